//! Google's Gemini API (`generativelanguage.googleapis.com`): chat,
//! embeddings, images (Gemini and Imagen), video (Veo, understanding) and
//! batch mode.

use super::KeyStyle;

pub mod batches;
pub mod chat;
pub mod embeddings;
pub mod images;
pub mod video;

/// Gemini keys go in `x-goog-api-key`.
pub(crate) const KEY: KeyStyle = KeyStyle::Header("x-goog-api-key");
