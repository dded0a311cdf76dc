//! In-process engines: code that runs a model on this machine (llama.cpp,
//! ONNX Runtime, piper/espeak-ng) rather than speaking a wire protocol.
//!
//! - `gguf`: GGUF header reader (every build; `model inspect` uses it);
//! - `local_models`: where the `local` provider's GGUF files are found;
//! - `llm`: the `local` chat provider's checks and entry point (every build);
//! - `llama`, `chat_template`: llama.cpp and the model's Jinja chat template
//!   (feature `local-llm`);
//! - `embedding`: ONNX sentence embeddings (runs with `local-embeddings`);
//! - `speech`: piper and espeak-ng as child processes.

#[cfg(feature = "local-llm")]
pub mod chat_template;
pub mod embedding;
pub mod gguf;
#[cfg(feature = "local-llm")]
mod llama;
pub mod llm;
pub mod local_models;
pub mod speech;
