//! The totals of a batch: printed on stderr, and as the last record with
//! `--json`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::envelope::Envelope;

#[derive(Debug, Default)]
pub struct Summary {
    pub total: usize,
    pub done: usize,
    pub skipped: usize,
    failed_by_reason: BTreeMap<&'static str, usize>,
    /// Failed tries before a fallback model answered (or gave up).
    fallbacks: usize,
    input_tokens: u64,
    output_tokens: u64,
    cost: f64,
    currency: Option<&'static str>,
}

impl Summary {
    pub fn new(total: usize, skipped: usize) -> Summary {
        Summary {
            total,
            skipped,
            ..Summary::default()
        }
    }

    pub fn add(&mut self, envelope: &Envelope) {
        if envelope.ok {
            self.done += 1;
        } else {
            let reason = envelope
                .error
                .as_ref()
                .map_or("unknown", |error| error.reason.as_str());
            *self.failed_by_reason.entry(reason).or_default() += 1;
        }
        self.fallbacks += envelope.attempts.len();
        if let Some(usage) = &envelope.usage {
            self.input_tokens += usage.input_tokens.unwrap_or(0);
            self.output_tokens += usage.output_tokens.unwrap_or(0);
            if let Some(cost) = &usage.cost {
                self.cost += cost.total;
                self.currency = Some(cost.currency);
            }
        }
    }

    pub fn failed(&self) -> usize {
        self.failed_by_reason.values().sum()
    }

    fn rate(&self, wall: Duration) -> f64 {
        let finished = (self.done + self.failed()) as f64;
        let seconds = wall.as_secs_f64();
        if seconds > 0.0 {
            (finished / seconds * 100.0).round() / 100.0
        } else {
            0.0
        }
    }

    pub fn to_json(&self, wall: Duration, retried: u64, interrupted: bool) -> Value {
        let mut value = json!({
            "type": "summary",
            "total": self.total,
            "done": self.done,
            "failed": self.failed(),
            "failedByReason": self.failed_by_reason,
            "skipped": self.skipped,
            "retried": retried,
            "fallbacks": self.fallbacks,
            "tokens": {"input": self.input_tokens, "output": self.output_tokens},
            "wallMs": wall.as_millis() as u64,
            "requestsPerSecond": self.rate(wall),
            "interrupted": interrupted,
        });
        if let Some(currency) = self.currency {
            value["cost"] = json!({"total": self.cost, "currency": currency});
        }
        value
    }

    pub fn to_text(&self, wall: Duration, retried: u64, interrupted: bool) -> String {
        let mut text = format!("batch: {} done, {} failed", self.done, self.failed());
        if !self.failed_by_reason.is_empty() {
            let reasons: Vec<String> = self
                .failed_by_reason
                .iter()
                .map(|(reason, count)| format!("{reason} {count}"))
                .collect();
            text.push_str(&format!(" ({})", reasons.join(", ")));
        }
        if self.skipped > 0 {
            text.push_str(&format!(", {} skipped", self.skipped));
        }
        text.push_str(&format!(", {retried} retried"));
        if self.input_tokens + self.output_tokens > 0 {
            text.push_str(&format!(
                " · {} in, {} out tokens",
                self.input_tokens, self.output_tokens
            ));
        }
        if let Some(currency) = self.currency {
            text.push_str(&format!(" · {:.4} {currency}", self.cost));
        }
        text.push_str(&format!(
            " · {:.1} s · {:.2} req/s",
            wall.as_secs_f64(),
            self.rate(wall)
        ));
        if interrupted {
            text.push_str(" · interrupted");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Transport, Usage};
    use crate::error::Error;

    #[test]
    fn totals_count_reasons_and_tokens() {
        let mut summary = Summary::default();
        let mut ok = Envelope::success("model.run", Transport::Local);
        ok.usage = Some(Usage {
            input_tokens: Some(3),
            output_tokens: Some(4),
            ..Usage::default()
        });
        summary.add(&ok);
        summary.add(&Envelope::failure(
            "model.run",
            Transport::Local,
            &Error::usage("bad"),
        ));
        let value = summary.to_json(Duration::from_secs(2), 1, false);
        assert_eq!(value["done"], 1);
        assert_eq!(value["failed"], 1);
        assert_eq!(value["failedByReason"]["usage"], 1);
        assert_eq!(value["tokens"]["output"], 4);
        assert_eq!(value["requestsPerSecond"], 1.0);
        let text = summary.to_text(Duration::from_secs(2), 1, false);
        assert!(text.contains("1 done, 1 failed (usage 1)"), "{text}");
    }
}
