//! `openclaw`: parse, dispatch, print, exit.

mod auth;
mod batch;
mod cancel;
mod capabilities;
mod catalog;
mod cli;
mod commands;
mod config;
mod context;
mod cost;
mod engines;
mod envelope;
mod error;
mod gateway;
mod http;
mod input;
mod media;
mod output;
mod protocols;
mod proxy;
mod redact;
mod registry;
mod thinking;
mod tls;
mod usage_error;
mod web;

use std::process::ExitCode;

/// Defence in depth: a bug ends like any other failure (one failed
/// envelope on stdout with `--json`, one line on stderr, exit 1) instead of
/// an abort with exit 134 and nothing on stdout. The release profile
/// aborts on panic, so the hook exits itself after printing.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let detail = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let error = error::Error::internal(format!(
            "internal error: {detail}{place}; this is a bug in openclaw, please report it"
        ));
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--json" || a == "--stream") {
            let capability = usage_error::capability_from_args(&args);
            let envelope =
                envelope::Envelope::failure(&capability, envelope::Transport::Local, &error);
            output::stdout(&(envelope.to_json() + "\n"));
        }
        output::stderr_line(&format!("error: {}", error.message()));
        #[expect(
            clippy::exit,
            reason = "the release profile aborts on panic, so the hook ends the process itself"
        )]
        std::process::exit(1);
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    #[cfg(debug_assertions)]
    if config::env::var(config::env::TEST_PANIC).is_some() {
        panic!("test panic requested by OPENCLAW_TEST_PANIC");
    }
    match cli::Cli::parse_args() {
        Ok(cli) => commands::run(cli),
        Err(error) => usage_error::report(error),
    }
}
