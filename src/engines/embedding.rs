//! In-process `local` embeddings: a sentence-transformer ONNX model run by
//! ONNX Runtime (loaded from `ORT_DYLIB_PATH`) through `fastembed`, with
//! mean pooling. Files come from a model directory holding `model.onnx`
//! and the tokenizer files (`tokenizer.json`, `config.json`,
//! `special_tokens_map.json`, `tokenizer_config.json`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::env;
use crate::context::Context;
use crate::error::{Error, Result};

pub const TOKENIZER_FILES: [&str; 4] = [
    "tokenizer.json",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
];

/// The model directory: `agents.defaults.memorySearch.local.modelPath`
/// (a directory or its `model.onnx`), else `OPENCLAW_LOCAL_EMBEDDING_MODEL`.
pub fn model_dir(ctx: &Context) -> Result<Option<PathBuf>> {
    let configured = ctx
        .config()?
        .agents
        .defaults
        .memory_search
        .as_ref()
        .and_then(|m| m.pointer("/local/modelPath"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(path) = configured.or_else(|| env::var(env::LOCAL_EMBEDDING_MODEL)) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    Ok(Some(if path.extension().is_some_and(|e| e == "onnx") {
        path.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        path
    }))
}

/// Check every file before loading: ONNX Runtime panics (no error) when
/// its library is missing, so nothing is called until all are there.
pub fn check(dir: &Path) -> Result<PathBuf> {
    let hint = "run scripts/setup-engines.sh embeddings, then set ORT_DYLIB_PATH and OPENCLAW_LOCAL_EMBEDDING_MODEL (see docs/embedding.md)";
    let runtime = env::var(env::ORT_DYLIB_PATH)
        .map(PathBuf::from)
        .ok_or_else(|| {
            Error::unsupported("`local` embeddings need ONNX Runtime: ORT_DYLIB_PATH is not set")
                .with_hint(hint)
        })?;
    if !runtime.is_file() {
        return Err(Error::unsupported(format!(
            "ORT_DYLIB_PATH {} is not a file",
            runtime.display()
        ))
        .with_hint(hint));
    }
    for name in std::iter::once("model.onnx").chain(TOKENIZER_FILES) {
        let file = dir.join(name);
        if !file.is_file() {
            return Err(Error::unsupported(format!(
                "`local` embedding model file {} is missing",
                file.display()
            ))
            .with_hint(hint));
        }
    }
    Ok(runtime)
}

#[cfg(feature = "local-embeddings")]
pub fn embed(dir: &Path, texts: &[String]) -> Result<Vec<Vec<f32>>> {
    use fastembed::{
        InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
    };
    check(dir)?;
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|e| Error::io(format!("cannot read {}: {e}", dir.join(name).display())))
    };
    let tokenizer = TokenizerFiles {
        tokenizer_file: read("tokenizer.json")?,
        config_file: read("config.json")?,
        special_tokens_map_file: read("special_tokens_map.json")?,
        tokenizer_config_file: read("tokenizer_config.json")?,
    };
    // The model outputs `last_hidden_state`; mean pooling gives the sentence vector.
    let model =
        UserDefinedEmbeddingModel::new(read("model.onnx")?, tokenizer).with_pooling(Pooling::Mean);
    let options = InitOptionsUserDefined::new().with_intra_threads(1);
    let mut engine = TextEmbedding::try_new_from_user_defined(model, options).map_err(|e| {
        Error::provider(
            crate::error::Reason::Unknown,
            format!("cannot load the local embedding model: {e}"),
        )
    })?;
    engine.embed(texts, None).map_err(|e| {
        Error::provider(
            crate::error::Reason::Unknown,
            format!("local embedding failed: {e}"),
        )
    })
}

#[cfg(not(feature = "local-embeddings"))]
pub fn embed(_dir: &Path, _texts: &[String]) -> Result<Vec<Vec<f32>>> {
    Err(not_built())
}

pub fn not_built() -> Error {
    Error::unsupported("in-process `local` embeddings are not available in this build").with_hint(
        "build with `cargo build --features local-embeddings`, or use an embeddings server (a `models.providers` entry)",
    )
}

/// Whether this build can run `local` embeddings at all.
pub const BUILT_IN: bool = cfg!(feature = "local-embeddings");
