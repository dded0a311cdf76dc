//! `audio.transcribe`.
