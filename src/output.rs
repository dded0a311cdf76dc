//! The only place that writes to stdout and stderr. Stdout carries results
//! (one JSON envelope, or the bare text); everything else goes to stderr.
//! Every string passes `redact::clean` on the way out: known secrets are
//! masked and control characters escaped (JSON already escapes its own, so
//! a document stays valid).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the one printer of the crate"
)]

use std::io::{IsTerminal, Write};

use clap::ValueEnum;

use crate::config::env;
use crate::error::Error;
use crate::redact;

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
    let text = redact::clean(text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

pub fn stderr_line(text: &str) {
    raw_stderr_line(&redact::clean(text));
}

/// A line already cleaned (and maybe painted with our own colour codes).
fn raw_stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A question on stderr, without a newline, for the answer to follow.
pub fn stderr_prompt(text: &str) {
    let text = redact::clean(text);
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

    /// `error: ...`, one `Caused by: ...` per cause, then `hint: ...`
    /// lines, unless `--log-level silent`.
    pub fn error(&self, error: &Error) {
        if self.level == LogLevel::Silent {
            return;
        }
        // Cleaned before painting, so our own colour codes survive and a
        // server's do not; a message stays on its own line(s).
        let mut text = format!(
            "{}: {}",
            self.paint("error", "1;31"),
            redact::clean(error.message())
        );
        for cause in error.causes() {
            text.push_str(&format!(
                "\n  {}: {}",
                self.paint("Caused by", "1"),
                redact::clean(&cause)
            ));
        }
        for hint in error.hints() {
            text.push_str(&format!(
                "\n{}: {}",
                self.paint("hint", "1;36"),
                redact::clean(hint)
            ));
        }
        raw_stderr_line(&text);
    }

    pub fn warn(&self, message: &str) {
        if self.level >= LogLevel::Warn {
            raw_stderr_line(&format!(
                "{}: {}",
                self.paint("warning", "1;33"),
                redact::clean(message)
            ));
        }
    }

    pub fn info(&self, message: &str) {
        if self.level >= LogLevel::Info {
            stderr_line(message);
        }
    }
}

/// One NDJSON record on stdout: the line and its newline in a single
/// write, flushed, so concurrent readers never see half a record.
pub fn record_line(line: &str) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&bytes).and_then(|()| out.flush());
}

/// A progress bar on stderr for `total` items, only when stderr is a
/// terminal (never in pipes, logs or CI).
pub fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} · {per_sec} · ETA {eta} · {msg}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}
