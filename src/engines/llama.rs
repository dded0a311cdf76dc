//! The in-process engine: llama.cpp through `llama-cpp-2`. The caller
//! (`engines::llm`) has already checked the file, the architecture,
//! the request and the CPU.

use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{LogOptions, send_logs_to_tracing};

use super::chat_template::{self, Message, SpecialTokens};
use super::gguf::Gguf;
use super::llm::{DEFAULT_MAX_TOKENS, LocalModel};
use crate::envelope::Usage;
use crate::error::{Error, Reason, Result};
use crate::protocols::{ChatEvent, ChatRequest, ChatResponse, EngineTimings, EventSink};

/// llama.cpp's backend may be initialised once per process.
fn backend(engine_logs: bool) -> Result<&'static LlamaBackend> {
    static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            if !engine_logs {
                // Before anything else: llama.cpp logs every load step to stderr.
                send_logs_to_tracing(LogOptions::default().with_logs_enabled(false));
            }
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|why| engine_error(format!("cannot start llama.cpp: {why}")))
}

fn engine_error(message: String) -> Error {
    Error::provider(Reason::ServerError, message)
}

pub fn chat(
    model: &LocalModel,
    gguf: &Gguf,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    let shown = model.path.display();
    let backend = backend(model.engine_logs)?;

    let load_started = Instant::now();
    let params = LlamaModelParams::default();
    let llama = LlamaModel::load_from_file(backend, &model.path, &params).map_err(|_| {
        engine_error(format!(
            "model file {shown}: llama.cpp could not load it (missing or malformed tensors)"
        ))
        .with_hint("`--log-level debug` shows llama.cpp's own account of the failure")
    })?;
    let load_ms = ms(load_started);

    // The prompt, formatted by the model's own template.
    let vocab = llama.vocab();
    // A model without BOS/EOS reports -1; llama.cpp must not see that id.
    let piece = |token: LlamaToken| {
        if token.0 < 0 || token.0 >= vocab.n_tokens() {
            return String::new();
        }
        String::from_utf8_lossy(&vocab.token_to_piece(token, true, None)).into_owned()
    };
    let tokens = SpecialTokens {
        bos: piece(vocab.bos()),
        eos: piece(vocab.eos()),
    };
    let template = gguf.chat_template().unwrap_or_default();
    let messages = [Message {
        role: "user",
        content: request.prompt,
    }];
    let prompt = chat_template::render(template, &messages, &tokens)
        .map_err(|why| Error::config(format!("model file {shown}: {why}")))?;
    // The template already holds BOS where the model wants it.
    let prompt_tokens = vocab.tokenize(prompt.as_bytes(), false, true);
    if prompt_tokens.is_empty() {
        return Err(Error::usage("the prompt formatted to no tokens"));
    }

    // Context window: the configured one, else the trained length.
    let window = model
        .context_window
        .or(gguf.context_length())
        .unwrap_or(u64::from(llama.n_ctx_train()))
        .min(u64::from(u32::MAX));
    let n_prompt = prompt_tokens.len() as u64;
    if n_prompt >= window {
        return Err(Error::usage(format!(
            "the prompt is {n_prompt} tokens with the chat template, but `{}` has a context window of {window} tokens",
            model.reference
        ))
        .with_hint("shorten the prompt, or raise `contextWindow` of the model in `models.providers.local.models` if the model supports more"));
    }
    let max_new = model
        .max_tokens
        .unwrap_or(DEFAULT_MAX_TOKENS)
        .clamp(1, window - n_prompt);
    let n_ctx = (n_prompt + max_new) as u32;
    let threads = model.threads.max(1) as i32;
    let context_params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_batch(n_ctx)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut context = llama.new_context(backend, context_params).map_err(|e| {
        engine_error(format!(
            "cannot create a llama.cpp context of {n_ctx} tokens: {e}"
        ))
    })?;

    // Evaluate the prompt in one batch; logits only for its last token.
    let prompt_started = Instant::now();
    let mut batch = LlamaBatch::new(n_ctx as usize, 1);
    let last = prompt_tokens.len() - 1;
    for (i, token) in prompt_tokens.iter().enumerate() {
        batch
            .add(*token, i as i32, &[0], i == last)
            .map_err(|e| engine_error(format!("cannot queue the prompt: {e}")))?;
    }
    context
        .decode(&mut batch)
        .map_err(|e| engine_error(format!("llama.cpp failed on the prompt: {e}")))?;
    let prompt_ms = ms(prompt_started);

    let mut sampler = match request.temperature {
        Some(t) if t > 0.0 => {
            LlamaSampler::chain_simple([LlamaSampler::temp(t as f32), LlamaSampler::dist(seed())])
        }
        // Greedy: the same prompt always gets the same answer.
        _ => LlamaSampler::greedy(),
    };

    let generate_started = Instant::now();
    let mut text = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut generated = 0u64;
    let mut position = prompt_tokens.len() as i32;
    let mut logits_index = batch.n_tokens() - 1;
    let mut finish = "length";
    while generated < max_new {
        if model.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::provider(
                Reason::Timeout,
                format!(
                    "`{}` ran out of time after {generated} tokens",
                    model.reference
                ),
            ));
        }
        // `sample` also feeds the token back to the sampler chain.
        let token = sampler.sample(&context, logits_index);
        if vocab.is_eog(token) {
            finish = "stop";
            break;
        }
        generated += 1;
        pending.extend(vocab.token_to_piece(token, false, None));
        let ready = take_complete_utf8(&mut pending);
        if !ready.is_empty() {
            on_event(ChatEvent::Text(&ready));
            text.push_str(&ready);
        }
        if generated == max_new {
            break;
        }
        batch.clear();
        batch
            .add(token, position, &[0], true)
            .map_err(|e| engine_error(format!("cannot queue a token: {e}")))?;
        position += 1;
        logits_index = 0;
        context
            .decode(&mut batch)
            .map_err(|e| engine_error(format!("llama.cpp failed while generating: {e}")))?;
    }
    if !pending.is_empty() {
        let rest = String::from_utf8_lossy(&pending).into_owned();
        on_event(ChatEvent::Text(&rest));
        text.push_str(&rest);
    }
    let generate_ms = ms(generate_started);

    Ok(ChatResponse {
        text,
        thinking: String::new(),
        usage: Some(Usage {
            input_tokens: Some(n_prompt),
            output_tokens: Some(generated),
            total_tokens: Some(n_prompt + generated),
            ..Usage::default()
        }),
        finish_reason: Some(finish.to_owned()),
        engine_timings: Some(EngineTimings {
            load_ms,
            prompt_ms,
            per_token_ms: (generated > 0).then(|| generate_ms / generated as f64),
        }),
    })
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn seed() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or(0)
}

/// The longest valid UTF-8 prefix of `pending` (a token can end inside a
/// multi-byte character); invalid bytes become U+FFFD.
fn take_complete_utf8(pending: &mut Vec<u8>) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(pending) {
            Ok(text) => {
                out.push_str(text);
                pending.clear();
                return out;
            }
            Err(error) => {
                let valid = error.valid_up_to();
                out.push_str(std::str::from_utf8(&pending[..valid]).expect("checked prefix"));
                match error.error_len() {
                    // Incomplete character at the end: wait for the next token.
                    None => {
                        pending.drain(..valid);
                        return out;
                    }
                    Some(bad) => {
                        out.push('\u{FFFD}');
                        pending.drain(..valid + bad);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_characters_wait_for_their_end() {
        let mut pending = "é".as_bytes()[..1].to_vec();
        assert_eq!(take_complete_utf8(&mut pending), "");
        pending.extend(&"é".as_bytes()[1..]);
        pending.extend(b"x");
        assert_eq!(take_complete_utf8(&mut pending), "éx");
        assert!(pending.is_empty());
        let mut pending = vec![b'a', 0xff, b'b'];
        assert_eq!(take_complete_utf8(&mut pending), "a\u{FFFD}b");
    }
}
