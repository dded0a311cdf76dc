//! Runs the jobs of a batch: up to `concurrency` at once on this thread,
//! each through the same leaf code a single command uses, so fallbacks,
//! deadlines, reasons and redaction hold per line. Records are written as
//! they finish (or in input order with `--ordered`). SIGINT/SIGTERM stop
//! new lines; in-flight ones get a grace period.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Map, Value};

use super::input::Job;
use super::sink::Sink;
use super::summary::Summary;
use crate::commands::{self, Failure};
use crate::context::Context;
use crate::envelope::{Envelope, Transport};
use crate::error::Error;
use crate::output::{self, Diagnostics};

/// How long in-flight lines may run on after the first SIGINT.
const GRACE: Duration = Duration::from_secs(10);
const MINUTE: Duration = Duration::from_secs(60);

pub struct Settings {
    pub concurrency: usize,
    pub ordered: bool,
    pub tpm: Option<u64>,
    /// The capability of invalid lines' records.
    pub capability: &'static str,
}

/// How the run ended.
pub struct Ending {
    /// The signal that stopped it early.
    pub signal: Option<i32>,
    /// A record could not be written; nothing more was started.
    pub write_error: Option<Error>,
}

/// A finished line.
struct Done {
    seq: usize,
    text: String,
    envelope: Envelope,
}

pub async fn run(
    ctx: &Context,
    diagnostics: &Diagnostics,
    jobs: Vec<Job>,
    sink: &mut Sink,
    settings: &Settings,
    summary: &mut Summary,
) -> Ending {
    let bar = output::progress_bar(jobs.len() as u64);
    let mut queue = jobs.into_iter().enumerate().peekable();
    let mut running = FuturesUnordered::new();
    let mut waiting: BTreeMap<usize, Done> = BTreeMap::new();
    let mut next_seq = 0;
    let mut tokens: VecDeque<(Instant, u64)> = VecDeque::new();
    let mut ending = Ending {
        signal: None,
        write_error: None,
    };
    let mut signals = Signals::new();
    let mut grace_ends: Option<tokio::time::Instant> = None;

    loop {
        let stopping = ending.signal.is_some() || ending.write_error.is_some();
        let mut token_wait = None;
        while !stopping && running.len() < settings.concurrency && queue.peek().is_some() {
            if let Some(wait) = settings.tpm.and_then(|tpm| over_budget(&mut tokens, tpm)) {
                token_wait = Some(wait);
                break;
            }
            let (seq, job) = queue.next().expect("peeked");
            running.push(execute(ctx, diagnostics, seq, job, settings.capability));
        }
        if running.is_empty() && (stopping || token_wait.is_none()) {
            break;
        }
        let token_sleep = tokio::time::sleep(token_wait.unwrap_or(Duration::ZERO));
        let grace_sleep =
            tokio::time::sleep_until(grace_ends.unwrap_or_else(tokio::time::Instant::now));
        tokio::select! {
            Some(done) = running.next() => {
                summary.add(&done.envelope);
                if let Some(usage) = &done.envelope.usage {
                    let used = usage.input_tokens.unwrap_or(0) + usage.output_tokens.unwrap_or(0);
                    tokens.push_back((Instant::now(), used));
                }
                if let Some(bar) = &bar {
                    bar.inc(1);
                    bar.set_message(format!("{} failed", summary.failed()));
                }
                let result = if settings.ordered {
                    waiting.insert(done.seq, done);
                    let mut result = Ok(());
                    while let Some(done) = waiting.remove(&next_seq) {
                        next_seq += 1;
                        result = result.and_then(|()| sink.write(&done.text));
                    }
                    result
                } else {
                    sink.write(&done.text)
                };
                if let Err(error) = result {
                    ending.write_error.get_or_insert(error);
                }
            }
            _ = token_sleep, if token_wait.is_some() && running.is_empty() => {}
            signal = signals.next() => {
                if ending.signal.is_some() {
                    // A second signal: stop waiting for in-flight lines.
                    break;
                }
                ending.signal = Some(signal);
                grace_ends = Some(tokio::time::Instant::now() + GRACE);
                if let Some(bar) = &bar {
                    bar.set_message("stopping: finishing in-flight lines");
                }
            }
            _ = grace_sleep, if grace_ends.is_some() => break,
        }
    }
    // With `--ordered`, lines that finished behind an unfinished one are
    // still written: they are complete records, only out of place.
    for done in std::mem::take(&mut waiting).into_values() {
        if let Err(error) = sink.write(&done.text) {
            ending.write_error.get_or_insert(error);
            break;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    ending
}

/// When the tokens of the last minute reach `tpm`, how long until the
/// oldest of them falls out of the window.
fn over_budget(tokens: &mut VecDeque<(Instant, u64)>, tpm: u64) -> Option<Duration> {
    let now = Instant::now();
    while tokens
        .front()
        .is_some_and(|(at, _)| now.duration_since(*at) >= MINUTE)
    {
        tokens.pop_front();
    }
    let used: u64 = tokens.iter().map(|(_, n)| n).sum();
    if used < tpm {
        return None;
    }
    tokens
        .front()
        .map(|(at, _)| (*at + MINUTE).saturating_duration_since(now))
}

async fn execute(
    ctx: &Context,
    diagnostics: &Diagnostics,
    seq: usize,
    job: Job,
    capability: &'static str,
) -> Done {
    let envelope = match job.work {
        Err(problem) => {
            let error = Error::usage(format!("line {}: {problem}", job.line));
            Envelope::failure(capability, Transport::Local, &error)
        }
        Ok(command) => match commands::infer_command(ctx, diagnostics, command).await {
            Ok(report) => report.envelope,
            Err(Failure { error, envelope }) => {
                let mut envelope = envelope
                    .unwrap_or_else(|| Envelope::failure(capability, Transport::Local, &error));
                envelope.ok = false;
                envelope.error = Some((&error).into());
                envelope
            }
        },
    };
    let text = record(&job.id, job.line, &envelope);
    Done {
        seq,
        text,
        envelope,
    }
}

/// The envelope with the line's `id` and `line` number in front.
pub fn record(id: &Value, line: usize, envelope: &Envelope) -> String {
    let mut map = Map::new();
    map.insert("id".into(), id.clone());
    map.insert("line".into(), Value::from(line));
    if let Ok(Value::Object(fields)) = serde_json::to_value(envelope) {
        map.extend(fields);
    }
    Value::Object(map).to_string()
}

/// SIGINT and SIGTERM, as a stream of signal numbers.
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn next(&mut self) -> i32 {
        let interrupt = async {
            match &mut self.interrupt {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        let terminate = async {
            match &mut self.terminate {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = interrupt => 2,
            _ = terminate => 15,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lead_with_id_and_line() {
        let envelope = Envelope::success("model.run", Transport::Local);
        let text = record(&Value::from("a"), 3, &envelope);
        assert!(text.starts_with("{\"id\":\"a\",\"line\":3,\"ok\":true"));
        assert!(!text.contains('\n'));
    }

    #[test]
    fn token_budget_waits_for_the_window_to_move() {
        let mut tokens = VecDeque::new();
        assert!(over_budget(&mut tokens, 10).is_none());
        tokens.push_back((Instant::now(), 12));
        let wait = over_budget(&mut tokens, 10).unwrap();
        assert!(wait > Duration::from_secs(50));
    }
}
