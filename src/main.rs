//! `openclaw`: parse, dispatch, print, exit.
#![warn(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod auth;
mod batch;
mod capabilities;
mod catalog;
mod chat_template;
mod cli;
mod commands;
mod config;
mod context;
mod cost;
mod envelope;
mod error;
mod gguf;
mod http;
mod media;
mod output;
mod protocols;
mod proxy;
mod registry;
mod thinking;
mod usage_error;
mod web;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::Cli::try_parse() {
        Ok(cli) => commands::run(cli),
        Err(error) => usage_error::report(error),
    }
}
