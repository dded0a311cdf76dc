//! xAI's API beyond OpenAI-compatible chat: images and video jobs.

pub mod images;
pub mod video;
