//! Ollama's native chat API (`POST {base}/api/chat`): one JSON object, or
//! with `stream: true` newline-delimited JSON objects (NDJSON).

use base64::Engine as _;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::envelope::Usage;
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::{
    ChatEvent, ChatRequest, ChatResponse, Endpoint, EventSink, KeyStyle, format_error,
};
use crate::thinking::ThinkingLevel;

/// `{base}/api/chat`; a base written for Ollama's OpenAI layer (`.../v1`)
/// is taken back to the server root.
pub fn url(endpoint: &Endpoint<'_>) -> String {
    let base = crate::protocols::ollama::embeddings::native_base(endpoint.base_url);
    format!("{base}/api/chat")
}

/// The request body; the prompt is borrowed, so serializing is its only copy.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    model: &'a str,
    messages: [OutMessage<'a>; 1],
    stream: bool,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, Serialize)]
struct OutMessage<'a> {
    role: &'static str,
    content: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<String>,
}

/// `params` keys that go into Ollama's `options` (its Modelfile
/// parameters).
const OPTION_KEYS: &[&str] = &[
    "num_keep",
    "seed",
    "num_predict",
    "top_k",
    "top_p",
    "min_p",
    "typical_p",
    "repeat_last_n",
    "temperature",
    "repeat_penalty",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "num_ctx",
    "num_batch",
    "num_gpu",
    "main_gpu",
    "use_mmap",
    "num_thread",
];

/// `params` keys that are request fields of their own.
const TOP_LEVEL_KEYS: &[&str] = &["format", "keep_alive", "truncate", "shift"];

/// The body for `request`; `base_url` tells a local host (which must fail
/// rather than silently drop the start of a prompt that does not fit) from
/// Ollama's cloud.
pub fn body<'a>(request: &ChatRequest<'a>, base_url: &str) -> Body<'a> {
    let images = request
        .images
        .iter()
        .map(|image| base64::engine::general_purpose::STANDARD.encode(&image.bytes))
        .collect();
    let mut extra = Map::new();
    if let Some(level) = request.thinking {
        extra.insert("think".into(), json!(level != ThinkingLevel::Off));
    }
    if let Some(schema) = request.schema {
        extra.insert("format".into(), schema.clone());
    }
    let mut options = Map::new();
    if let Some(temperature) = request.temperature {
        options.insert("temperature".into(), json!(temperature));
    }
    if let Some(max_tokens) = request.max_tokens.or(request.output_limit) {
        options.insert("num_predict".into(), json!(max_tokens));
    }
    let params = request.params.into_iter().flatten();
    // The model's `params` are the operator's own engine options: they win.
    for (key, value) in params.clone() {
        if OPTION_KEYS.contains(&key.as_str()) && !value.is_null() {
            options.insert(key.clone(), value.clone());
        }
    }
    // Without it Ollama uses its small default context and silently drops
    // the start of a long prompt: `params.num_ctx`, else the runtime cap
    // `contextTokens`, else the whole `contextWindow`.
    let num_ctx = options
        .get("num_ctx")
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite() && *n > 0.0)
        .map(|n| n as u64)
        .or(request.context_tokens)
        .or(request.context_window);
    options.remove("num_ctx");
    if let Some(window) = num_ctx {
        options.insert("num_ctx".into(), json!(window));
    }
    if !options.is_empty() {
        extra.insert("options".into(), Value::Object(options));
    }
    let cloud = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(|host| host.ends_with("ollama.com")))
        .unwrap_or(false);
    if !cloud {
        extra.insert("truncate".into(), json!(false));
        extra.insert("shift".into(), json!(false));
    }
    for (key, value) in params {
        // `--schema` asks for its own `format`.
        let schema_format = key == "format" && request.schema.is_some();
        if TOP_LEVEL_KEYS.contains(&key.as_str()) && !value.is_null() && !schema_format {
            extra.insert(key.clone(), value.clone());
        }
    }
    Body {
        model: request.model,
        messages: [OutMessage {
            role: "user",
            content: request.prompt,
            images,
        }],
        // Ollama streams unless told otherwise, so `stream` is always sent.
        stream: request.stream,
        extra,
    }
}

#[cfg(test)]
pub fn request_body(request: &ChatRequest<'_>) -> Value {
    serde_json::to_value(body(request, "https://ollama.com")).expect("a request body is JSON")
}

pub async fn chat(
    endpoint: Endpoint<'_>,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    let url = url(&endpoint);
    let response = crate::protocols::post_json_with_text(
        &endpoint,
        &url,
        request.prompt,
        |prompt| body(&ChatRequest { prompt, ..*request }, endpoint.base_url),
        KeyStyle::Bearer,
        &[],
    )
    .await?;
    let mut answer = ChatResponse::default();
    let read = read_lines(response, &url, endpoint.deadline, &mut answer, on_event).await;
    // Only a line with `done: true` says the answer is whole.
    crate::protocols::stream_end(read, false, &url, &answer)?;
    Ok(answer)
}

/// Fold the NDJSON body into `answer`; true once a `done` line is seen.
/// A last line cut mid-object counts as the stream ending early.
async fn read_lines(
    response: reqwest::Response,
    url: &str,
    deadline: Option<std::time::Instant>,
    answer: &mut ChatResponse,
    on_event: EventSink<'_>,
) -> Result<bool> {
    let mut lines = LineBuffer::default();
    let mut body = std::pin::pin!(response.bytes_stream());
    let mut total = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|error| http::body_error(error, url))?;
        // The clock is read per chunk as in `read_sse`: an always-ready
        // body must not outrun the deadline.
        if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
            return Err(http::timed_out(url));
        }
        total += chunk.len();
        if total > http::ANSWER_LIMIT {
            return Err(http::too_large(url, http::ANSWER_LIMIT));
        }
        for line in lines.push(&chunk, url)? {
            if !apply_line(&line, answer, on_event)? {
                return Ok(true);
            }
        }
    }
    match lines.finish() {
        Some(line) => match apply_line(&line, answer, on_event) {
            Ok(more) => Ok(!more),
            Err(error) if error.reason() == Reason::Format => Ok(false),
            Err(error) => Err(error),
        },
        None => Ok(false),
    }
}

/// Splits a byte stream into complete lines, whatever the chunking; each
/// byte is scanned once and a line may not pass `http::SSE_LINE_LIMIT`.
#[derive(Debug, Default)]
pub struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    pub fn push(&mut self, bytes: &[u8], url: &str) -> Result<Vec<String>> {
        let scanned = self.pending.len();
        self.pending.extend_from_slice(bytes);
        let mut lines = Vec::new();
        let mut start = 0;
        for at in scanned..self.pending.len() {
            if self.pending[at] == b'\n' {
                lines.push(
                    String::from_utf8_lossy(&self.pending[start..=at])
                        .trim()
                        .to_owned(),
                );
                start = at + 1;
            }
        }
        self.pending.drain(..start);
        if self.pending.len() > http::SSE_LINE_LIMIT {
            return Err(Error::provider(
                Reason::Format,
                format!(
                    "the stream from {} sent a line longer than {} MiB",
                    http::redact_url(url),
                    http::SSE_LINE_LIMIT / (1024 * 1024)
                ),
            ));
        }
        Ok(lines)
    }

    /// What is left after the body ended without a final newline.
    pub fn finish(&mut self) -> Option<String> {
        let rest = String::from_utf8_lossy(&std::mem::take(&mut self.pending))
            .trim()
            .to_owned();
        (!rest.is_empty()).then_some(rest)
    }
}

#[derive(Debug, Deserialize)]
struct Line {
    message: Option<Message>,
    #[serde(default)]
    done: bool,
    done_reason: Option<String>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Message {
    content: Option<String>,
    thinking: Option<String>,
}

/// Fold one JSON line (or a whole non-streamed answer) into the answer.
/// Returns false once the line says `done`.
pub fn apply_line(line: &str, answer: &mut ChatResponse, on_event: EventSink<'_>) -> Result<bool> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(true);
    }
    let parsed: Line = serde_json::from_str(line).map_err(format_error)?;
    if let Some(error) = parsed.error {
        let message = match &error {
            Value::String(text) => text.clone(),
            other => {
                http::provider_message(&other.to_string()).unwrap_or_else(|| other.to_string())
            }
        };
        return Err(stream_error(&message));
    }
    if let Some(message) = parsed.message {
        if let Some(thinking) = message.thinking.filter(|t| !t.is_empty()) {
            answer.thinking.push_str(&thinking);
            on_event(ChatEvent::Thinking(&thinking));
        }
        if let Some(text) = message.content.filter(|t| !t.is_empty()) {
            answer.text.push_str(&text);
            on_event(ChatEvent::Text(&text));
        }
    }
    if parsed.done {
        answer.finish_reason = parsed.done_reason;
        if parsed.prompt_eval_count.is_some() || parsed.eval_count.is_some() {
            answer.usage = Some(Usage {
                cost: None,
                input_tokens: parsed.prompt_eval_count,
                output_tokens: parsed.eval_count,
                cached_tokens: None,
                reasoning_tokens: None,
                total_tokens: parsed
                    .prompt_eval_count
                    .zip(parsed.eval_count)
                    .map(|(i, o)| i + o),
            });
        }
        return Ok(false);
    }
    Ok(true)
}

/// Ollama reports errors as bare text; a missing model is the common case.
fn stream_error(message: &str) -> Error {
    let lower = message.to_ascii_lowercase();
    if lower.contains("not found") && lower.contains("model") {
        return Error::provider(Reason::ModelNotFound, message.to_owned())
            .with_hint("pull the model first with `ollama pull <model>`");
    }
    http::stream_error(None, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::test_support::{png, request};
    use std::collections::BTreeMap;

    #[test]
    fn body_for_text_prompt_always_says_whether_to_stream() {
        assert_eq!(
            request_body(&request(&[], None, false)),
            json!({"model": "m1", "messages": [{"role": "user", "content": "hi"}], "stream": false})
        );
        assert_eq!(request_body(&request(&[], None, true))["stream"], true);
    }

    #[test]
    fn model_params_become_options_and_request_fields() {
        let params: BTreeMap<String, Value> = serde_json::from_value(json!({
            "num_ctx": 8192, "top_k": 20, "keep_alive": "15m", "thinking": false, "bogus": 1
        }))
        .unwrap();
        let mut req = request(&[], None, false);
        req.context_window = Some(32768);
        req.context_tokens = Some(16384);
        req.params = Some(&params);
        let local = serde_json::to_value(body(&req, "http://127.0.0.1:11434")).unwrap();
        assert_eq!(local["options"], json!({"num_ctx": 8192, "top_k": 20}));
        assert_eq!(local["keep_alive"], "15m");
        assert!(local.get("bogus").is_none() && local.get("thinking").is_none());
        // Without `params.num_ctx`: the runtime cap, then the window.
        req.params = None;
        let local = serde_json::to_value(body(&req, "http://127.0.0.1:11434")).unwrap();
        assert_eq!(local["options"]["num_ctx"], 16384);
    }

    #[test]
    fn model_limits_become_num_predict_and_num_ctx() {
        let mut req = request(&[], None, false);
        req.output_limit = Some(2048);
        req.context_window = Some(32768);
        let local = serde_json::to_value(body(&req, "http://127.0.0.1:11434")).unwrap();
        assert_eq!(
            local["options"],
            json!({"num_predict": 2048, "num_ctx": 32768})
        );
        // A local server must refuse an oversized prompt, not cut it.
        assert_eq!(
            (&local["truncate"], &local["shift"]),
            (&json!(false), &json!(false))
        );
        let cloud = request_body(&req);
        assert!(cloud.get("truncate").is_none());
    }

    #[test]
    fn body_with_images_think_and_options() {
        let images = png();
        let mut req = request(&images, Some(ThinkingLevel::High), true);
        req.temperature = Some(0.0);
        req.max_tokens = Some(64);
        let body = request_body(&req);
        assert_eq!(body["messages"][0]["images"], json!(["AQID"]));
        assert_eq!(body["think"], true);
        assert_eq!(
            body["options"],
            json!({"temperature": 0.0, "num_predict": 64})
        );
        assert_eq!(
            request_body(&request(&[], Some(ThinkingLevel::Off), true))["think"],
            false
        );
    }

    #[test]
    fn urls_point_at_the_native_api() {
        let client = crate::http::build_client(None).unwrap();
        let headers = Default::default();
        for base in ["http://h:11434", "http://h:11434/", "http://h:11434/v1"] {
            let endpoint = Endpoint {
                client: &client,
                base_url: base,
                api_key: None,
                headers: &headers,
                deadline: None,
                guard: None,
            };
            assert_eq!(url(&endpoint), "http://h:11434/api/chat", "{base}");
        }
    }

    #[test]
    fn whole_answer_with_thinking_and_counts() {
        let mut answer = ChatResponse::default();
        let more = apply_line(
            r#"{"model": "qwen3", "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": "Paris", "thinking": "capital of France"},
                "done": true, "done_reason": "stop", "total_duration": 5000, "prompt_eval_count": 12, "eval_count": 7}"#,
            &mut answer,
            &mut |_| {},
        )
        .unwrap();
        assert!(!more);
        assert_eq!(
            (answer.text.as_str(), answer.thinking.as_str()),
            ("Paris", "capital of France")
        );
        assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
        let usage = answer.usage.unwrap();
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.total_tokens),
            (Some(12), Some(7), Some(19))
        );
    }

    #[test]
    fn errors_are_classified() {
        let mut answer = ChatResponse::default();
        let error = apply_line(
            r#"{"error": "model \"llama9\" not found, try pulling it first"}"#,
            &mut answer,
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(error.reason(), Reason::ModelNotFound);
    }

    #[test]
    fn ndjson_parsing_is_independent_of_chunk_boundaries() {
        let stream = concat!(
            "{\"model\":\"m1\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hm\"},\"done\":false}\n",
            "{\"model\":\"m1\",\"message\":{\"role\":\"assistant\",\"content\":\"Pa\"},\"done\":false}\r\n",
            "{\"model\":\"m1\",\"message\":{\"role\":\"assistant\",\"content\":\"rïs\"},\"done\":false}\n",
            "{\"model\":\"m1\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",",
            "\"prompt_eval_count\":4,\"eval_count\":3}",
        )
        .as_bytes();
        for cut in 0..=stream.len() {
            let mut lines = LineBuffer::default();
            let mut answer = ChatResponse::default();
            let mut all = lines.push(&stream[..cut], "u").unwrap();
            all.extend(lines.push(&stream[cut..], "u").unwrap());
            all.extend(lines.finish());
            let mut finished = false;
            for line in all {
                finished = !apply_line(&line, &mut answer, &mut |_| {}).unwrap();
            }
            assert!(finished, "cut at {cut}");
            assert_eq!(answer.text, "Parïs", "cut at {cut}");
            assert_eq!(answer.thinking, "Hm", "cut at {cut}");
            assert_eq!(
                answer.usage.as_ref().unwrap().output_tokens,
                Some(3),
                "cut at {cut}"
            );
        }
    }
}
