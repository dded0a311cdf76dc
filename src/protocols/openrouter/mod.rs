//! OpenRouter beyond OpenAI-compatible chat: image output.

pub mod images;
