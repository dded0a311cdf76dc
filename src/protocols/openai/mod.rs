//! OpenAI's published API: chat completions, Responses, audio, embeddings,
//! images, video and the Batch API (also spoken by every OpenAI-compatible vendor and
//! server).

pub mod audio;
pub mod batches;
pub mod chat;
pub mod embeddings;
pub mod images;
pub mod responses;
pub mod video;
