//! Trying candidate models in order: each failure becomes an `Attempt` and
//! the next candidate runs, until one answers or the chain is exhausted.
//! Shared by every capability with primary/fallback model selection.

use std::collections::HashSet;
use std::time::Instant;

use crate::envelope::Attempt;
use crate::error::{Error, Reason, Result};
use crate::registry::Resolved;

/// What the winning candidate produced, and the tries before it.
#[derive(Debug)]
pub struct Success<T> {
    pub value: T,
    pub provider: String,
    pub model: String,
    pub attempts: Vec<Attempt>,
}

/// Every candidate failed; `attempts` lists each try.
#[derive(Debug)]
pub struct ChainFailure {
    pub error: Error,
    pub attempts: Vec<Attempt>,
    /// The last candidate tried, for the envelope's top level.
    pub provider: Option<String>,
    pub model: Option<String>,
}

/// Run `attempt` on each candidate in turn; it may record tries of its
/// own (a repaired answer) in the attempts it is given. A provider whose failure says
/// it is unusable (auth, billing, format) is skipped for its later models;
/// usage errors and cancellation stop the chain; so does the deadline.
pub async fn run<'r, T>(
    candidates: &[Resolved<'r>],
    deadline: Option<Instant>,
    mut attempt: impl AsyncFnMut(&Resolved<'r>, &mut Vec<Attempt>) -> Result<T>,
) -> Result<Success<T>, ChainFailure> {
    let mut attempts = Vec::new();
    let mut unusable_providers: HashSet<&str> = HashSet::new();
    let mut last_error = None;
    for candidate in candidates {
        if unusable_providers.contains(candidate.provider.id.as_str()) {
            continue;
        }
        let started = Instant::now();
        match attempt(candidate, &mut attempts).await {
            Ok(value) => {
                return Ok(Success {
                    value,
                    provider: candidate.provider.id.clone(),
                    model: candidate.model.id.clone(),
                    attempts,
                });
            }
            Err(error) => {
                if error.reason().disqualifies_provider() {
                    unusable_providers.insert(candidate.provider.id.as_str());
                }
                attempts.push(Attempt::failed(candidate, &error, started));
                // Input the person must fix, or a signal: no other model would do better.
                let stop = matches!(error.reason(), Reason::Usage | Reason::Cancelled);
                last_error = Some((
                    error,
                    candidate.provider.id.clone(),
                    candidate.model.id.clone(),
                ));
                if stop || deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
            }
        }
    }
    let Some((mut error, provider, model)) = last_error else {
        return Err(ChainFailure {
            error: Error::usage("no candidate model to try"),
            attempts,
            provider: None,
            model: None,
        });
    };
    if candidates.len() > 1 && attempts.len() > 1 {
        let tries = attempts
            .iter()
            .map(|a| format!("{}/{}: {} ({})", a.provider, a.model, a.error, a.reason))
            .collect::<Vec<_>>()
            .join("; ");
        error = error.with_message(format!(
            "all {} candidate models failed: {tries}",
            attempts.len()
        ));
    }
    Err(ChainFailure {
        error,
        attempts,
        provider: Some(provider),
        model: Some(model),
    })
}
