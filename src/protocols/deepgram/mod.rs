//! Deepgram's API: pre-recorded transcription (`listen`).

pub mod listen;
