//! `--batch FILE`: run a leaf command once per line of a JSONL file, with a
//! shared per-provider limiter, NDJSON records, resume and a summary.

pub mod input;
pub mod limiter;
mod provider;
mod resume;
mod runner;
mod sink;
mod summary;

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use crate::catalog::{Api, ModelKind};
use crate::cli::InferCommand;
use crate::cli::LogLevel;
use crate::cli::audio::AudioCommand;
use crate::cli::batch::{BatchArgs, BatchVia};
use crate::cli::embedding::EmbeddingCommand;
use crate::cli::image::ImageCommand;
use crate::cli::model::ModelCommand;
use crate::cli::web::WebCommand;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{self, Diagnostics};
use input::Leaf;
use sink::Sink;
use summary::Summary;

/// How many invalid lines are listed before the rest are only counted.
const LISTED_PROBLEMS: usize = 20;

/// Whether `command` asks for a batch run.
pub fn requested(command: &InferCommand) -> bool {
    match command {
        InferCommand::Model(ModelCommand::Run(args)) => args.batch.batch.is_some(),
        InferCommand::Embedding(EmbeddingCommand::Create(args)) => args.batch.batch.is_some(),
        InferCommand::Image(ImageCommand::Describe(args)) => args.batch.batch.is_some(),
        InferCommand::Audio(AudioCommand::Transcribe(args)) => args.batch.batch.is_some(),
        InferCommand::Web(WebCommand::Fetch(args)) => args.batch.batch.is_some(),
        InferCommand::Batch(_) => true,
        _ => false,
    }
}

fn split(command: InferCommand) -> Option<(BatchArgs, Leaf)> {
    match command {
        InferCommand::Model(ModelCommand::Run(mut args)) => {
            let batch = std::mem::take(&mut args.batch);
            Some((batch, Leaf::ModelRun(args)))
        }
        InferCommand::Embedding(EmbeddingCommand::Create(mut args)) => {
            let batch = std::mem::take(&mut args.batch);
            Some((batch, Leaf::EmbeddingCreate(args)))
        }
        InferCommand::Image(ImageCommand::Describe(mut args)) => {
            let batch = std::mem::take(&mut args.batch);
            Some((batch, Leaf::ImageDescribe(args)))
        }
        InferCommand::Audio(AudioCommand::Transcribe(mut args)) => {
            let batch = std::mem::take(&mut args.batch);
            Some((batch, Leaf::AudioTranscribe(args)))
        }
        InferCommand::Web(WebCommand::Fetch(mut args)) => {
            let batch = std::mem::take(&mut args.batch);
            Some((batch, Leaf::WebFetch(args)))
        }
        _ => None,
    }
}

/// Run the batch; `json` is the user's `--json` (the per-line commands
/// always produce envelopes, so `ctx` is built with JSON on).
pub fn run(
    ctx: &Context,
    diagnostics: &Diagnostics,
    json: bool,
    command: InferCommand,
) -> ExitCode {
    if let InferCommand::Batch(command) = command {
        return provider::run_job_command(ctx, diagnostics, json, command);
    }
    let Some((args, leaf)) = split(command) else {
        let error = Error::usage("this command does not take `--batch`");
        diagnostics.error(&error);
        return ExitCode::from(error.exit_code());
    };
    if args.wait && args.via != Some(BatchVia::ProviderBatch) {
        let error = Error::usage(
            "`--wait` waits for a provider batch job; it cannot be combined with `--via direct`",
        );
        diagnostics.error(&error);
        return ExitCode::from(error.exit_code());
    }
    if args.via == Some(BatchVia::ProviderBatch) {
        return match checked_jobs(diagnostics, &args, &leaf) {
            Ok(Some(jobs)) => provider::submit(ctx, diagnostics, json, &args, jobs),
            Ok(None) => ExitCode::from(2),
            Err(error) => {
                diagnostics.error(&error);
                ExitCode::from(error.exit_code())
            }
        };
    }
    match prepare(ctx, diagnostics, &args, &leaf) {
        Ok(Some(plan)) => execute(ctx, diagnostics, json, &args, &leaf, plan),
        Ok(None) => ExitCode::from(2),
        Err(error) => {
            diagnostics.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

struct Plan {
    jobs: Vec<input::Job>,
    sink: Sink,
    skipped: usize,
    total: usize,
}

/// Everything checked before the first request: flags, the file, every
/// line, the output file. `Ok(None)` when invalid lines were reported.
fn prepare(
    ctx: &Context,
    diagnostics: &Diagnostics,
    args: &BatchArgs,
    leaf: &Leaf,
) -> Result<Option<Plan>> {
    let Some(jobs) = checked_jobs(diagnostics, args, leaf)? else {
        return Ok(None);
    };
    let total = jobs.len();
    let (jobs, skipped) = match (&args.batch_output, args.resume) {
        (Some(path), true) => {
            let finished = resume::finished_ids(path)?;
            let before = jobs.len();
            let jobs: Vec<_> = jobs
                .into_iter()
                .filter(|job| !finished.contains(&job.key()))
                .collect();
            let skipped = before - jobs.len();
            (jobs, skipped)
        }
        _ => (jobs, 0),
    };
    // A broken config fails once, here, not once per line.
    ctx.registry()?;
    let sink = Sink::open(args.batch_output.as_deref())?;
    Ok(Some(Plan {
        jobs,
        sink,
        skipped,
        total,
    }))
}

/// The flags and every line checked; `Ok(None)` when invalid lines were
/// reported (and `--keep-going` was not given).
fn checked_jobs(
    diagnostics: &Diagnostics,
    args: &BatchArgs,
    leaf: &Leaf,
) -> Result<Option<Vec<input::Job>>> {
    if let Leaf::ModelRun(run) = leaf {
        if run.stream.is_some() {
            return Err(Error::usage(
                "`--stream` cannot be combined with `--batch`; each line's envelope is one record",
            ));
        }
        if run.prompt.as_deref() == Some("-") && args.batch.as_deref() == Some("-") {
            return Err(Error::usage(
                "`--prompt -` and `--batch -` both want standard input",
            ));
        }
    }
    let source = args.batch.as_deref().unwrap_or("-");
    let text = read_input(source)?;
    let jobs = input::parse(leaf, &text);
    let invalid: Vec<&input::Job> = jobs.iter().filter(|job| job.work.is_err()).collect();
    if !invalid.is_empty() && !args.keep_going {
        let name = if source == "-" { "stdin" } else { source };
        for job in invalid.iter().take(LISTED_PROBLEMS) {
            let problem = job.work.as_ref().err().map_or("", String::as_str);
            diagnostics.error(&Error::usage(format!(
                "--batch {name} line {}: {problem}",
                job.line
            )));
        }
        if invalid.len() > LISTED_PROBLEMS {
            diagnostics.error(&Error::usage(format!(
                "--batch {name}: {} more invalid lines",
                invalid.len() - LISTED_PROBLEMS
            )));
        }
        if diagnostics.level > LogLevel::Silent {
            output::stderr_line(
                "hint: fix the lines, or pass `--keep-going` to record them as failed and run the rest",
            );
        }
        return Ok(None);
    }
    Ok(Some(jobs))
}

fn execute(
    ctx: &Context,
    diagnostics: &Diagnostics,
    json: bool,
    args: &BatchArgs,
    leaf: &Leaf,
    plan: Plan,
) -> ExitCode {
    let Plan {
        jobs,
        mut sink,
        skipped,
        total,
    } = plan;
    let concurrency = args
        .concurrency
        .map_or_else(|| default_concurrency(ctx, leaf), |n| n as usize)
        .max(1);
    ctx.debug(|| format!("batch: {} lines, {concurrency} at once", jobs.len()));
    limiter::enable(args.rpm);
    let settings = runner::Settings {
        concurrency,
        ordered: args.ordered,
        tpm: args.tpm,
        capability: leaf.capability(),
    };
    let mut summary = Summary::new(total, skipped);
    let started = Instant::now();
    let ending = crate::commands::block_on(runner::run(
        ctx,
        diagnostics,
        jobs,
        &mut sink,
        &settings,
        &mut summary,
    ));
    let wall = started.elapsed();
    let retried = limiter::retried();
    let interrupted = ending.signal.is_some();
    if diagnostics.level > LogLevel::Silent {
        output::stderr_line(&summary.to_text(wall, retried, interrupted));
    }
    if json {
        output::record_line(&summary.to_json(wall, retried, interrupted).to_string());
    }
    if let Some(error) = &ending.write_error {
        diagnostics.error(error);
        return ExitCode::from(error.exit_code());
    }
    if let Some(signal) = ending.signal {
        return ExitCode::from(128u8.saturating_add(signal as u8));
    }
    if summary.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn read_input(source: &str) -> Result<String> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| Error::usage(format!("cannot read --batch from stdin: {error}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(source)
        .map_err(|error| Error::usage(format!("cannot read --batch file {source}: {error}")))
}

/// 4 at once for a model served on this machine, 8 for a cloud provider.
fn default_concurrency(ctx: &Context, leaf: &Leaf) -> usize {
    const LOCAL: usize = 4;
    const CLOUD: usize = 8;
    let Ok(registry) = ctx.registry() else {
        return LOCAL;
    };
    let (reference, kind) = match leaf {
        Leaf::ModelRun(args) => {
            let configured = ctx
                .config()
                .ok()
                .and_then(|c| c.agents.defaults.model.as_ref())
                .and_then(|m| m.primary())
                .map(str::to_owned);
            (args.model.clone().or(configured), ModelKind::Chat)
        }
        Leaf::EmbeddingCreate(args) => (args.model.clone(), ModelKind::Embedding),
        _ => (None, ModelKind::Chat),
    };
    let provider = match leaf {
        Leaf::ImageDescribe(args) => crate::capabilities::image_describe::candidates(
            ctx,
            registry,
            args.options.model.as_deref(),
        )
        .ok()
        .and_then(|chain| chain.into_iter().next())
        .map(|r| r.provider),
        Leaf::AudioTranscribe(args) => {
            crate::capabilities::audio::select(ctx, registry, args.model.as_deref())
                .ok()
                .map(|(r, _)| r.provider)
        }
        // Pages come from many hosts; the limiter still paces each one.
        Leaf::WebFetch(_) => return CLOUD,
        _ => match (reference, leaf) {
            (Some(reference), _) => registry.resolve(&reference, kind).ok().map(|r| r.provider),
            (None, Leaf::EmbeddingCreate(args)) => args
                .provider
                .as_deref()
                .and_then(|id| registry.provider(id)),
            (None, _) => None,
        },
    };
    match provider {
        Some(provider) if provider.api != Api::Local && !is_loopback(&provider.base_url) => CLOUD,
        _ => LOCAL,
    }
}

fn is_loopback(base_url: &str) -> bool {
    let Ok(url) = url::Url::parse(base_url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_local() {
        assert!(is_loopback("http://127.0.0.1:8080/v1"));
        assert!(is_loopback("http://localhost:11434"));
        assert!(is_loopback("http://[::1]:9000"));
        assert!(!is_loopback("https://api.openai.com/v1"));
    }
}
