//! The `local` provider: GGUF models run inside this process through
//! llama.cpp (cargo feature `local-llm`). This part is always compiled: it
//! checks the model file, the request and the CPU before any C code runs,
//! and says how to get a build with the engine when it is missing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::gguf::{self, Gguf, GgufError};
use crate::config::env;
use crate::error::{Error, Reason, Result};
use crate::protocols::{ChatRequest, ChatResponse, EventSink};

/// Up to this many new tokens when neither the config nor the catalog sets
/// `maxTokens` (the context buffer is sized for prompt + this).
#[cfg_attr(not(feature = "local-llm"), allow(dead_code))]
pub const DEFAULT_MAX_TOKENS: u64 = 1024;

/// Everything the engine needs to answer one prompt (the fields the engine
/// reads are unused in a build without it).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "local-llm"), allow(dead_code))]
pub struct LocalModel {
    /// `local/<id>`, for messages.
    pub reference: String,
    pub path: PathBuf,
    /// `<state dir>/models`, for hints.
    pub models_dir: PathBuf,
    pub threads: u32,
    /// The configured context window; the model's trained length otherwise.
    pub context_window: Option<u64>,
    pub max_tokens: Option<u64>,
    /// Let llama.cpp log to stderr (`--log-level debug`).
    pub engine_logs: bool,
    pub deadline: Option<Instant>,
}

/// Threads from the config: unset means 1 (on small machines one thread
/// answered fastest, see docs/local.md), 0 means every available core.
pub fn threads_from_config(configured: Option<u32>) -> u32 {
    match configured {
        None => 1,
        Some(0) => std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        Some(n) => n,
    }
}

/// Read and check a model file's GGUF header: a one-line error naming the
/// file for anything llama.cpp could not load.
pub fn open_model_file(path: &Path, models_dir: &Path) -> Result<Gguf> {
    let shown = path.display();
    match gguf::read(path) {
        Ok(gguf) => Ok(gguf),
        Err(GgufError::Missing) => {
            Err(Error::config(format!("model file {shown}: no such file"))
                .with_reason(Reason::ModelNotFound)
                .with_hint(format!(
                    "put GGUF files in {} (scripts/fetch-local-model.sh fetches SmolLM2 there), or pass `--model local/./path/to/model.gguf`",
                    models_dir.display()
                )))
        }
        Err(GgufError::Unreadable(why)) => Err(Error::io(format!(
            "model file {shown}: cannot read it: {why}"
        ))),
        Err(other) => Err(Error::config(format!("model file {shown}: {other}"))),
    }
}

/// Refuse what the engine cannot do before loading anything.
pub fn check_runnable(model: &LocalModel, gguf: &Gguf, request: &ChatRequest<'_>) -> Result<()> {
    if !request.images.is_empty() {
        return Err(Error::usage(format!(
            "`--file`: model `{}` runs in-process without a vision projector, so it cannot take images",
            model.reference
        ))
        .with_hint("send images to a provider whose model lists `image` input"));
    }
    gguf.check_supported()
        .map_err(|why| Error::unsupported(format!("model file {}: {why}", model.path.display())))?;
    if gguf.chat_template().is_none() {
        return Err(Error::config(format!(
            "model file {}: it has no chat template (`tokenizer.chat_template`), so a prompt cannot be formatted for it",
            model.path.display()
        ))
        .with_hint("use an instruction-tuned (chat) GGUF"));
    }
    check_cpu()
}

/// The bundled llama.cpp is compiled for x86-64 with AVX2, FMA, F16C and
/// BMI2; on a CPU without them it would die of an illegal instruction.
pub fn check_cpu() -> Result<()> {
    #[cfg(target_arch = "x86_64")]
    {
        let missing: Vec<&str> = [
            ("sse4.2", std::arch::is_x86_feature_detected!("sse4.2")),
            ("avx", std::arch::is_x86_feature_detected!("avx")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
            ("f16c", std::arch::is_x86_feature_detected!("f16c")),
            ("bmi2", std::arch::is_x86_feature_detected!("bmi2")),
        ]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| name)
        .collect();
        if !missing.is_empty() || env::var(env::TEST_CPU_WITHOUT_AVX2).is_some() {
            let missing = if missing.is_empty() {
                "avx2 (simulated)".to_owned()
            } else {
                missing.join(", ")
            };
            return Err(Error::unsupported(format!(
                "this CPU lacks instructions the in-process llama.cpp was built for: {missing}"
            ))
            .with_hint("run the model behind a llama.cpp server built for this CPU and configure it as an HTTP provider"));
        }
    }
    Ok(())
}

/// Answer one prompt with a local GGUF model.
pub fn chat(
    model: &LocalModel,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    if !cfg!(feature = "local-llm") {
        return Err(not_built(&model.reference));
    }
    let gguf = open_model_file(&model.path, &model.models_dir)?;
    check_runnable(model, &gguf, request)?;
    run_engine(model, &gguf, request, on_event)
}

#[cfg(feature = "local-llm")]
fn run_engine(
    model: &LocalModel,
    gguf: &Gguf,
    request: &ChatRequest<'_>,
    on_event: EventSink<'_>,
) -> Result<ChatResponse> {
    super::llama::chat(model, gguf, request, on_event)
}

#[cfg(not(feature = "local-llm"))]
fn run_engine(
    model: &LocalModel,
    _: &Gguf,
    _: &ChatRequest<'_>,
    _: EventSink<'_>,
) -> Result<ChatResponse> {
    Err(not_built(&model.reference))
}

pub fn not_built(reference: &str) -> Error {
    Error::unsupported(format!(
        "`{reference}`: this openclaw binary was built without the `local-llm` feature, so it cannot run GGUF models in-process"
    ))
    .with_hint("rebuild with `cargo build --release --features local-llm` (needs cmake and libclang-dev: `scripts/setup-engines.sh local` installs them)")
}
