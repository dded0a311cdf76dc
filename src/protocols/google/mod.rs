//! Google's Gemini API (`generativelanguage.googleapis.com`): chat and embeddings.

pub mod chat;
pub mod embeddings;
