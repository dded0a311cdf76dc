//! OpenAI's published API: chat completions, Responses, audio and embeddings
//! (also spoken by every OpenAI-compatible vendor and server).

pub mod audio;
pub mod chat;
pub mod embeddings;
pub mod responses;
