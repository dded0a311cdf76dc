//! Hugging Face beyond its OpenAI-compatible chat router: hf-inference
//! task endpoints.

pub mod images;
