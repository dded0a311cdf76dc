//! ElevenLabs' API: text to speech, voices and Scribe transcription. The
//! key goes in `xi-api-key`.

use super::KeyStyle;

pub mod speech;
pub mod transcription;

const KEY: KeyStyle = KeyStyle::Header("xi-api-key");
