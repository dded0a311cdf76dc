//! Integration tests: the built binary, run against loopback servers.
//! One test binary (faster to link); one module per capability.

mod support;

mod cli;
mod config;
mod e2e_llama;
mod local_model;
mod model_auth;
mod model_inventory;
mod model_run;
