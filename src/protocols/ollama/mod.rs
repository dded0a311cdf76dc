//! Ollama's native API (`/api/...`): chat and embeddings.

pub mod chat;
pub mod embeddings;
