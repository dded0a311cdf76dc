//! OpenAI's published API: chat completions, Responses, audio, embeddings,
//! images and video (also spoken by every OpenAI-compatible vendor and
//! server).

pub mod audio;
pub mod chat;
pub mod embeddings;
pub mod images;
pub mod responses;
pub mod video;
