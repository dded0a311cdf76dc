//! fal's model API: synchronous image calls on `fal.run` and queued video
//! jobs on `queue.fal.run`.

use super::KeyStyle;

pub mod images;
pub mod video;

/// fal keys go in `Authorization: Key <key>`.
pub(crate) const KEY: KeyStyle = KeyStyle::Scheme("Key");
