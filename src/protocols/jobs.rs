//! Long-running provider jobs: after a submit, check the job's status with
//! a growing pause until it is done, has failed, or the deadline comes.
//! Every vendor's video job (and Gemini's file processing) runs through
//! `poll`; only the reading of a status document is the vendor's.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::env;
use crate::error::{Error, Reason, Result};

/// Progress while a job runs: the provider's status word.
pub type StatusSink<'s> = &'s mut (dyn FnMut(&str) + Send);

/// Pause between status checks: 2 s growing to 10 s (near zero in tests).
pub struct Poller {
    pub deadline: Option<Instant>,
    wait: Duration,
    pub polls: u32,
}

impl Poller {
    pub fn new(deadline: Option<Instant>) -> Poller {
        Poller {
            deadline,
            wait: Duration::from_secs(2),
            polls: 0,
        }
    }

    /// Sleep before the next check, or fail when the deadline has passed.
    pub async fn wait(&mut self, job: &str) -> Result<()> {
        self.polls += 1;
        let pause = if env::var(env::TEST_NO_RETRY_DELAY).is_some() {
            Duration::from_millis(10)
        } else {
            self.wait
        };
        if let Some(deadline) = self.deadline {
            if Instant::now() + pause >= deadline {
                return Err(Error::provider(
                    Reason::Timeout,
                    format!(
                        "video job {job} did not finish in time ({} status checks)",
                        self.polls - 1
                    ),
                )
                .with_hint(
                    "raise `--timeout-ms` (or `agents.defaults.mediaModels.video.timeoutMs`)",
                ));
            }
        }
        tokio::time::sleep(pause).await;
        self.wait = (self.wait.mul_f64(1.5)).min(Duration::from_secs(10));
        Ok(())
    }
}

/// What one status document says.
pub enum Status<T> {
    /// Still running, with the provider's status word.
    Running(String),
    /// Finished: the status word and what the caller needs next.
    Done(String, T),
    /// Failed for good: the status word and the provider's reason.
    Failed(String, String),
}

/// Where the first status comes from.
pub enum FirstStatus {
    /// The submit answer already carries one.
    Submitted(Value),
    /// Ask for it right away.
    CheckNow,
    /// Ask for it after the first pause.
    CheckLater,
}

/// Check a submitted job until it is done: `check` fetches the status
/// document, `read` interprets it. Each status word goes to `on_status`.
pub async fn poll<T>(
    job: &str,
    first: FirstStatus,
    poller: &mut Poller,
    on_status: StatusSink<'_>,
    mut check: impl AsyncFnMut() -> Result<Value>,
    read: impl Fn(&Value) -> Result<Status<T>>,
) -> Result<T> {
    let mut document = match first {
        FirstStatus::Submitted(answer) => answer,
        FirstStatus::CheckNow => check().await?,
        FirstStatus::CheckLater => {
            poller.wait(job).await?;
            check().await?
        }
    };
    loop {
        match read(&document)? {
            Status::Running(word) => on_status(&word),
            Status::Done(word, value) => {
                on_status(&word);
                return Ok(value);
            }
            Status::Failed(word, detail) => {
                on_status(&word);
                return Err(failed(job, &detail));
            }
        }
        poller.wait(job).await?;
        document = check().await?;
    }
}

/// The job ended without a result.
pub fn failed(job: &str, detail: &str) -> Error {
    Error::provider(Reason::Unknown, format!("video job {job} failed: {detail}"))
}

/// A provider's error member as one line: a string, or an object's
/// `message`, or the JSON itself.
pub fn error_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(error) => error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| error.to_string()),
        None => "no reason given".to_owned(),
    }
}

/// The string at `key`, or "unknown".
pub fn word<'v>(document: &'v Value, key: &str, missing: &'v str) -> &'v str {
    document.get(key).and_then(Value::as_str).unwrap_or(missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(document: &Value) -> Result<Status<u32>> {
        Ok(match word(document, "status", "unknown") {
            "done" => Status::Done("done".into(), 7),
            "failed" => Status::Failed("failed".into(), error_text(document.get("error"))),
            other => Status::Running(other.to_owned()),
        })
    }

    #[tokio::test]
    async fn polls_until_done_and_reports_each_status() {
        let mut answers = vec![json!({"status": "done"}), json!({"status": "running"})];
        let mut seen = Vec::new();
        let mut sink = |s: &str| seen.push(s.to_owned());
        let mut poller = Poller {
            wait: Duration::from_millis(1),
            ..Poller::new(None)
        };
        let value = poll(
            "job-1",
            FirstStatus::Submitted(json!({"status": "queued"})),
            &mut poller,
            &mut sink,
            async || Ok(answers.pop().unwrap()),
            read,
        )
        .await
        .unwrap();
        assert_eq!(value, 7);
        assert_eq!(seen, ["queued", "running", "done"]);
        assert_eq!(poller.polls, 2);
    }

    #[tokio::test]
    async fn a_failed_job_names_the_job_and_the_reason() {
        let mut sink = |_: &str| {};
        let error = poll(
            "job-2",
            FirstStatus::CheckNow,
            &mut Poller::new(None),
            &mut sink,
            async || Ok(json!({"status": "failed", "error": {"message": "quota"}})),
            read,
        )
        .await
        .unwrap_err();
        assert_eq!(error.message(), "video job job-2 failed: quota");
    }

    #[tokio::test]
    async fn the_deadline_stops_polling() {
        let mut sink = |_: &str| {};
        let error = poll(
            "job-3",
            FirstStatus::Submitted(json!({"status": "queued"})),
            &mut Poller::new(Some(Instant::now())),
            &mut sink,
            async || Ok(json!({"status": "queued"})),
            read,
        )
        .await
        .unwrap_err();
        assert_eq!(error.reason(), Reason::Timeout);
    }
}
