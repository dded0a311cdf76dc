//! The only place that writes to stdout and stderr. Stdout carries results
//! (one JSON envelope, or the bare text); everything else goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use clap::ValueEnum;

use crate::config::env;
use crate::error::Error;

/// How much goes to stderr (`--log-level`); ordered from quiet to chatty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum LogLevel {
    Silent,
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Whether stderr diagnostics may use colour.
pub fn color_enabled(no_color_flag: bool) -> bool {
    if no_color_flag || env::var(env::NO_COLOR).is_some() {
        return false;
    }
    if let Some(force) = env::var(env::FORCE_COLOR) {
        return force != "0";
    }
    std::io::stderr().is_terminal()
}

/// Write to stdout. A closed pipe (`| head`) is not an error worth reporting.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

pub fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A question on stderr, without a newline, for the answer to follow.
pub fn stderr_prompt(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

pub struct Diagnostics {
    pub level: LogLevel,
    pub color: bool,
}

impl Diagnostics {
    fn paint(&self, label: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{label}\x1b[0m")
        } else {
            label.to_owned()
        }
    }

    /// `error: ...` then `hint: ...` lines, unless `--log-level silent`.
    pub fn error(&self, error: &Error) {
        if self.level == LogLevel::Silent {
            return;
        }
        let mut text = format!("{}: {}", self.paint("error", "1;31"), error.message);
        for hint in &error.hints {
            text.push_str(&format!("\n{}: {hint}", self.paint("hint", "1;36")));
        }
        stderr_line(&text);
    }

    pub fn warn(&self, message: &str) {
        if self.level >= LogLevel::Warn {
            stderr_line(&format!("{}: {message}", self.paint("warning", "1;33")));
        }
    }

    pub fn info(&self, message: &str) {
        if self.level >= LogLevel::Info {
            stderr_line(message);
        }
    }
}
