//! Anthropic's published API: Messages (also spoken by llama.cpp's server
//! and some proxies) and Message Batches.

pub mod batches;
pub mod messages;

/// The `anthropic-version` header every request carries.
pub const API_VERSION: &str = "2023-06-01";
