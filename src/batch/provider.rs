//! `--via provider-batch`: the whole file goes to the provider's own batch
//! engine as one job, recorded under `<state>/batches/`; `infer batch
//! status|fetch|cancel` read the job back and turn its results into one
//! envelope per input id.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::sink::Sink;
use super::summary::Summary;
use super::{input, runner};
use crate::capabilities::embedding::{self, EmbeddingProtocol};
use crate::capabilities::provider_call::{self, Connection};
use crate::capabilities::structured::OutputSchema;
use crate::catalog::{Api, ModelKind};
use crate::cli::LogLevel;
use crate::cli::batch::{BatchArgs, BatchFetchArgs, BatchJobCommand};
use crate::cli::embedding::{EmbeddingCommand, EmbeddingCreateArgs};
use crate::cli::model::ModelRunArgs;
use crate::cli::{InferCommand, model::ModelCommand};
use crate::context::Context;
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Reason, Result};
use crate::output::{self, Diagnostics};
use crate::protocols::anthropic::batches as anthropic;
use crate::protocols::google::batches as gemini;
use crate::protocols::google::chat as google_chat;
use crate::protocols::openai::batches::{self as openai, BatchObject};
use crate::protocols::openai::chat as openai_chat;
use crate::protocols::openai::embeddings as openai_embeddings;
use crate::protocols::{ChatRequest, ChatResponse};
use crate::registry::Resolved;

/// Each call to the batch API (not the job) ends within this.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// `--wait` polls first after this, doubling up to `POLL_MAX`.
const POLL_FIRST: Duration = Duration::from_secs(2);
const POLL_MAX: Duration = Duration::from_secs(60);

/// What is kept about a submitted job, in `<state>/batches/<job>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub job: String,
    pub provider: String,
    /// The batch API spoken (`openai`, `anthropic` or `gemini`).
    pub api: String,
    pub capability: String,
    pub model: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    pub count: usize,
    /// The last state seen at the provider.
    #[serde(default)]
    pub status: Option<String>,
    pub ids: Vec<IdEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdEntry {
    pub custom_id: String,
    pub id: Value,
    pub line: usize,
    /// An embedding line's texts: each output names its text, as a direct
    /// run's does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texts: Option<Vec<String>>,
}

fn jobs_dir(ctx: &Context) -> PathBuf {
    ctx.paths.state_dir.join("batches")
}

/// A file name for the job id (ids with other characters are escaped).
fn record_path(ctx: &Context, job: &str) -> PathBuf {
    let name: String = job
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    jobs_dir(ctx).join(format!("{}.json", name.trim_start_matches('.')))
}

fn save(ctx: &Context, record: &JobRecord) -> Result<()> {
    let path = record_path(ctx, &record.job);
    let dir = jobs_dir(ctx);
    std::fs::create_dir_all(&dir)
        .map_err(|error| Error::io(format!("cannot create {}: {error}", dir.display())))?;
    let text = serde_json::to_string_pretty(record).expect("a job record serializes");
    // Written aside, then renamed: a record is never half there.
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, &path))
        .map_err(|error| Error::io(format!("cannot write {}: {error}", path.display())))
}

fn load(ctx: &Context, job: &str) -> Result<JobRecord> {
    let path = record_path(ctx, job);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Error::usage(format!("no batch job `{job}` is recorded here"))
            .with_hint("`openclaw infer batch status` lists the recorded jobs")
    })?;
    let record: JobRecord = serde_json::from_str(&text).map_err(|error| {
        Error::config(format!("{} is not a job record: {error}", path.display()))
    })?;
    if record.job != job {
        return Err(Error::usage(format!(
            "no batch job `{job}` is recorded here"
        )));
    }
    Ok(record)
}

fn list(ctx: &Context) -> Vec<JobRecord> {
    let Ok(entries) = std::fs::read_dir(jobs_dir(ctx)) else {
        return Vec::new();
    };
    let mut records: Vec<JobRecord> = entries
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "json"))
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter_map(|text| serde_json::from_str(&text).ok())
        .collect();
    records.sort_by(|a, b| (a.created_at, &a.job).cmp(&(b.created_at, &b.job)));
    records
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn finish(diagnostics: &Diagnostics, result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(error) => {
            diagnostics.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

/// The custom id sent for a line: its own id as text.
fn custom_id(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Submit checked lines as one job; prints the job id (or, with `--wait`,
/// the records once it has ended).
pub fn submit(
    ctx: &Context,
    diagnostics: &Diagnostics,
    json: bool,
    args: &BatchArgs,
    jobs: Vec<input::Job>,
) -> ExitCode {
    let result = crate::commands::block_on(async {
        if args.resume || args.keep_going {
            return Err(Error::usage(
                "`--resume` and `--keep-going` do not apply to `--via provider-batch`",
            ));
        }
        let record = send_job(ctx, jobs).await?;
        if args.wait {
            let fetch = BatchFetchArgs {
                job: record.job.clone(),
                wait: true,
                output: args.batch_output.clone(),
            };
            if diagnostics.level > LogLevel::Silent {
                output::stderr_line(&format!(
                    "batch: submitted {} ({} lines to {}); waiting",
                    record.job, record.count, record.provider
                ));
            }
            return fetch_job(ctx, diagnostics, json, &fetch).await;
        }
        if json {
            let document = json!({
                "job": record.job,
                "provider": record.provider,
                "model": record.model,
                "count": record.count,
                "status": record.status,
            });
            output::stdout(&format!("{document}\n"));
        } else {
            output::stdout(&format!("{}\n", record.job));
            if diagnostics.level > LogLevel::Silent {
                output::stderr_line(&format!(
                    "batch: submitted {} lines to {} ({}); `openclaw infer batch fetch {} --wait` prints the results",
                    record.count, record.provider, record.model, record.job
                ));
            }
        }
        Ok(ExitCode::SUCCESS)
    });
    finish(diagnostics, result)
}

/// The model a line runs on (its `model`, else the configured primary).
fn line_model<'r>(
    ctx: &Context,
    registry: &'r crate::registry::Registry,
    args: &ModelRunArgs,
) -> Result<Resolved<'r>> {
    if let Some(reference) = &args.model {
        return registry.resolve(reference, ModelKind::Chat);
    }
    let primary = ctx
        .config()?
        .agents
        .defaults
        .model
        .as_ref()
        .and_then(|m| m.primary())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::usage("no model given and no default model configured")
                .with_hint("pass `--model <provider/model>` or give `model` on each line")
        })?;
    registry.resolve(&primary, ModelKind::Chat)
}

/// The batch APIs this build speaks, by the provider's chat API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BatchApi {
    OpenAi,
    Anthropic,
    Gemini,
}

impl BatchApi {
    fn of(api: Api) -> Option<BatchApi> {
        match api {
            Api::OpenAiCompletions => Some(BatchApi::OpenAi),
            Api::AnthropicMessages => Some(BatchApi::Anthropic),
            Api::GoogleGenerativeAi => Some(BatchApi::Gemini),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            BatchApi::OpenAi => "openai",
            BatchApi::Anthropic => "anthropic",
            BatchApi::Gemini => "gemini",
        }
    }

    fn parse(name: &str) -> Option<BatchApi> {
        [BatchApi::OpenAi, BatchApi::Anthropic, BatchApi::Gemini]
            .into_iter()
            .find(|api| api.name() == name)
    }
}

/// The custom id a line is sent under: its id as text, unless the API's
/// pattern refuses that text (Anthropic), then one made from the line.
fn wire_id(api: BatchApi, job: &input::Job) -> String {
    let text = custom_id(&job.id);
    if api == BatchApi::Anthropic && !anthropic::valid_custom_id(&text) {
        return format!("line-{}", job.line);
    }
    text
}

async fn send_job(ctx: &Context, jobs: Vec<input::Job>) -> Result<JobRecord> {
    let registry = ctx.registry()?;
    let mut chosen: Option<(Resolved<'_>, BatchApi)> = None;
    let mut requests = Vec::with_capacity(jobs.len());
    let mut ids = Vec::with_capacity(jobs.len());
    let mut seen = HashSet::new();
    let mut capability = "model.run";
    for job in &jobs {
        let (resolved, api, line_capability) = match &job.work {
            Ok(InferCommand::Model(ModelCommand::Run(args))) => {
                let resolved = line_model(ctx, registry, args)
                    .map_err(|error| error.context(format!("line {}", job.line)))?;
                let api = BatchApi::of(resolved.provider.api);
                (resolved, api, "model.run")
            }
            Ok(InferCommand::Embedding(EmbeddingCommand::Create(args))) => {
                let resolved = embedding_model(ctx, registry, args)
                    .map_err(|error| error.context(format!("line {}", job.line)))?;
                let openai = EmbeddingProtocol::for_provider(resolved.provider)
                    == Some(EmbeddingProtocol::OpenAi);
                (
                    resolved,
                    openai.then_some(BatchApi::OpenAi),
                    "embedding.create",
                )
            }
            _ => {
                return Err(Error::unsupported(
                    "`--via provider-batch` runs `infer model run` and `infer embedding create` lines only in this build",
                ));
            }
        };
        let api = match &chosen {
            None => {
                let Some(api) = api else {
                    let spoken = if line_capability == "model.run" {
                        "OpenAI-compatible chat, Anthropic Messages and Gemini only"
                    } else {
                        "OpenAI-style embeddings only"
                    };
                    return Err(Error::unsupported(format!(
                        "provider `{}` has no batch API this build speaks ({spoken})",
                        resolved.provider.id
                    ))
                    .with_hint("drop `--via provider-batch` to run the lines from this process"));
                };
                chosen = Some((resolved.clone(), api));
                capability = line_capability;
                api
            }
            Some((first, _))
                if first.provider.id != resolved.provider.id
                    || first.model.id != resolved.model.id =>
            {
                return Err(Error::usage(format!(
                    "line {}: a provider batch runs one model, and this line asks for `{}` after `{}`",
                    job.line,
                    resolved.model.reference(),
                    first.model.reference()
                )));
            }
            Some((_, api)) => *api,
        };
        let custom = wire_id(api, job);
        if !seen.insert(custom.clone()) {
            return Err(Error::usage(format!(
                "line {}: id {} reads the same as an earlier id once sent as text",
                job.line, job.id
            )));
        }
        let (body, texts) = match &job.work {
            Ok(InferCommand::Embedding(EmbeddingCommand::Create(args))) => (
                serde_json::to_value(openai_embeddings::body(
                    &resolved.model.id,
                    &args.texts,
                    None,
                ))
                .map_err(|error| Error::internal(format!("cannot encode a request: {error}")))?,
                Some(args.texts.clone()),
            ),
            Ok(InferCommand::Model(ModelCommand::Run(args))) => (
                line_body(api, args, &resolved)
                    .map_err(|error| error.context(format!("line {}", job.line)))?,
                None,
            ),
            _ => unreachable!("other lines were refused above"),
        };
        requests.push(match api {
            BatchApi::OpenAi => Value::String(openai::request_line(
                &custom,
                openai_path(capability),
                &body,
            )),
            BatchApi::Anthropic => json!({"custom_id": custom, "params": body}),
            BatchApi::Gemini => gemini::inline_request(&custom, body),
        });
        ids.push(IdEntry {
            custom_id: custom,
            id: job.id.clone(),
            line: job.line,
            texts,
        });
    }
    let Some((chosen, api)) = chosen else {
        return Err(Error::usage("the batch file has no lines"));
    };
    let connection = Connection::open(ctx, chosen.provider)?;
    let endpoint = connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
    ctx.debug(|| {
        format!(
            "batch: sending {} lines to {} ({} batch API)",
            ids.len(),
            chosen.provider.id,
            api.name()
        )
    });
    let (job, status) = match api {
        BatchApi::OpenAi => {
            let mut lines = String::new();
            for request in &requests {
                lines.push_str(request.as_str().unwrap_or_default());
                lines.push('\n');
            }
            let file_id = openai::upload(&endpoint, lines.into_bytes()).await?;
            let endpoint = connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
            let object = openai::create(&endpoint, &file_id, openai_path(capability)).await?;
            (object.id, object.status)
        }
        BatchApi::Anthropic => {
            let batch = anthropic::create(&endpoint, requests).await?;
            (batch.id, batch.processing_status)
        }
        BatchApi::Gemini => {
            let name = format!("openclaw-batch-{}", now_seconds());
            let batch = gemini::create(&endpoint, &chosen.model.id, &name, requests).await?;
            (batch.name, batch.state)
        }
    };
    let record = JobRecord {
        job,
        provider: chosen.provider.id.clone(),
        api: api.name().to_owned(),
        capability: capability.to_owned(),
        model: chosen.model.id.clone(),
        created_at: now_seconds(),
        count: ids.len(),
        status: Some(status),
        ids,
    };
    save(ctx, &record)?;
    Ok(record)
}

/// The endpoint an OpenAI batch runs its lines against.
fn openai_path(capability: &str) -> &'static str {
    if capability == "embedding.create" {
        openai::EMBEDDINGS_PATH
    } else {
        openai::CHAT_PATH
    }
}

/// The remote embedding model a line runs on, as a direct run selects it.
fn embedding_model<'r>(
    ctx: &Context,
    registry: &'r crate::registry::Registry,
    args: &EmbeddingCreateArgs,
) -> Result<Resolved<'r>> {
    match embedding::select(
        ctx,
        registry,
        args.provider.as_deref(),
        args.model.as_deref(),
    )? {
        embedding::Target::Remote(resolved) => Ok(*resolved),
        embedding::Target::Local(_) => Err(Error::unsupported(
            "the in-process `local` embedder has no batch API",
        )
        .with_hint("drop `--via provider-batch` to run the lines from this process")),
    }
}

/// The same body a single run sends over the provider's API (never
/// streamed): the OpenAI request body, Anthropic's `params`, or Gemini's
/// `generateContent` request.
fn line_body(api: BatchApi, args: &ModelRunArgs, resolved: &Resolved<'_>) -> Result<Value> {
    let prompt = args.prompt.as_deref().unwrap_or_default();
    let images = args
        .files
        .iter()
        .map(|path| crate::media::read_image(path))
        .collect::<Result<Vec<_>>>()?;
    let schema = args
        .schema
        .as_deref()
        .map(OutputSchema::parse)
        .transpose()?;
    let request = ChatRequest {
        thinking: args.thinking,
        schema: schema.as_ref().map(|schema| &schema.value),
        ..crate::capabilities::model_run::chat_request(resolved, prompt, &images)
    };
    let body = match api {
        BatchApi::OpenAi => {
            serde_json::to_value(openai_chat::body(&request, &resolved.provider.base_url))
        }
        BatchApi::Anthropic => {
            serde_json::to_value(crate::protocols::anthropic::messages::body(&request))
        }
        BatchApi::Gemini => serde_json::to_value(google_chat::body(&request)),
    };
    body.map_err(|error| Error::internal(format!("cannot encode a request: {error}")))
}

/// The job as its provider reports it.
enum Remote {
    OpenAi(BatchObject),
    Anthropic(anthropic::MessageBatch),
    Gemini(gemini::BatchJob),
}

/// Request counts: total, succeeded, failed.
type Tally = (u64, u64, u64);

impl Remote {
    fn status(&self) -> &str {
        match self {
            Remote::OpenAi(object) => &object.status,
            Remote::Anthropic(batch) => &batch.processing_status,
            Remote::Gemini(job) => &job.state,
        }
    }

    fn has_ended(&self) -> bool {
        match self {
            Remote::OpenAi(object) => object.has_ended(),
            Remote::Anthropic(batch) => batch.has_ended(),
            Remote::Gemini(job) => job.has_ended(),
        }
    }

    fn counts(&self) -> Option<Tally> {
        match self {
            Remote::OpenAi(object) => object
                .request_counts
                .map(|c| (c.total, c.completed, c.failed)),
            Remote::Anthropic(batch) => batch
                .request_counts
                .map(|c| (c.total(), c.succeeded, c.failed())),
            Remote::Gemini(job) => job
                .total
                .map(|total| (total, job.succeeded.unwrap_or(0), job.failed.unwrap_or(0))),
        }
    }

    /// Why a line has no result: the job's own error, or how it ended.
    fn missing_result(&self) -> Error {
        let job_error = match self {
            Remote::OpenAi(object) => object.job_error(),
            Remote::Gemini(job) => job.job_error(),
            Remote::Anthropic(_) => None,
        };
        if let Some(error) = job_error {
            return error;
        }
        let status = self.status().to_ascii_lowercase();
        let reason = if status.ends_with("expired") {
            Reason::Timeout
        } else if status.ends_with("cancelled") || status.ends_with("canceled") {
            Reason::Cancelled
        } else {
            Reason::Unknown
        };
        Error::provider(
            reason,
            format!(
                "no result for this line: the job ended as `{}`",
                self.status()
            ),
        )
    }
}

/// `infer batch status|fetch|cancel`.
pub fn run_job_command(
    ctx: &Context,
    diagnostics: &Diagnostics,
    json: bool,
    command: BatchJobCommand,
) -> ExitCode {
    let result = crate::commands::block_on(async {
        match command {
            BatchJobCommand::Status(args) => match args.job {
                None => Ok(print_list(ctx, json)),
                Some(job) => {
                    let mut record = load(ctx, &job)?;
                    let remote = poll_once(ctx, &mut record).await?;
                    print_state(&record, &remote, json);
                    Ok(ExitCode::SUCCESS)
                }
            },
            BatchJobCommand::Fetch(args) => fetch_job(ctx, diagnostics, json, &args).await,
            BatchJobCommand::Cancel(args) => {
                let mut record = load(ctx, &args.job)?;
                let remote = {
                    let (connection, api) = connect(ctx, &record)?;
                    let endpoint = connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
                    match api {
                        BatchApi::OpenAi => {
                            Remote::OpenAi(openai::cancel(&endpoint, &record.job).await?)
                        }
                        BatchApi::Anthropic => {
                            Remote::Anthropic(anthropic::cancel(&endpoint, &record.job).await?)
                        }
                        BatchApi::Gemini => {
                            gemini::cancel(&endpoint, &record.job).await?;
                            let endpoint =
                                connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
                            Remote::Gemini(gemini::get(&endpoint, &record.job).await?)
                        }
                    }
                };
                record.status = Some(remote.status().to_owned());
                save(ctx, &record)?;
                print_state(&record, &remote, json);
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    finish(diagnostics, result)
}

fn connect<'r>(ctx: &'r Context, record: &JobRecord) -> Result<(Connection<'r>, BatchApi)> {
    let Some(api) = BatchApi::parse(&record.api) else {
        return Err(Error::unsupported(format!(
            "job `{}` uses the `{}` batch API, which this build does not speak",
            record.job, record.api
        )));
    };
    let registry = ctx.registry()?;
    let provider = registry.provider(&record.provider).ok_or_else(|| {
        Error::config(format!(
            "job `{}` was sent to provider `{}`, which is no longer configured",
            record.job, record.provider
        ))
    })?;
    Ok((Connection::open(ctx, provider)?, api))
}

/// Ask the provider for the job's state, and remember it.
async fn poll_once(ctx: &Context, record: &mut JobRecord) -> Result<Remote> {
    let (connection, api) = connect(ctx, record)?;
    let job = record.job.clone();
    let remote = provider_call::with_retries(|| {
        let endpoint = connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
        let job = job.clone();
        async move {
            Ok(match api {
                BatchApi::OpenAi => Remote::OpenAi(openai::get(&endpoint, &job).await?),
                BatchApi::Anthropic => Remote::Anthropic(anthropic::get(&endpoint, &job).await?),
                BatchApi::Gemini => Remote::Gemini(gemini::get(&endpoint, &job).await?),
            })
        }
    })
    .await?;
    if record.status.as_deref() != Some(remote.status()) {
        record.status = Some(remote.status().to_owned());
        // The record is a cache of the last state; failing to update it
        // must not hide the answer.
        let _ = save(ctx, record);
    }
    Ok(remote)
}

fn state_json(record: &JobRecord, remote: Option<&Remote>) -> Value {
    let counts = remote
        .and_then(Remote::counts)
        .map(|(total, completed, failed)| {
            json!({"total": total, "completed": completed, "failed": failed})
        });
    json!({
        "job": record.job,
        "provider": record.provider,
        "model": record.model,
        "capability": record.capability,
        "count": record.count,
        "createdAt": record.created_at,
        "status": remote.map(|r| r.status().to_owned()).or_else(|| record.status.clone()),
        "requestCounts": counts,
    })
}

fn print_state(record: &JobRecord, remote: &Remote, json: bool) {
    if json {
        output::stdout(&format!("{}\n", state_json(record, Some(remote))));
        return;
    }
    let mut line = format!(
        "{} {} ({}/{})",
        record.job,
        remote.status(),
        record.provider,
        record.model
    );
    if let Some((total, completed, failed)) = remote.counts() {
        line.push_str(&format!(" · {completed} of {total} done, {failed} failed"));
    }
    output::stdout(&format!("{line}\n"));
}

fn print_list(ctx: &Context, json: bool) -> ExitCode {
    let records = list(ctx);
    if json {
        let jobs: Vec<Value> = records.iter().map(|r| state_json(r, None)).collect();
        output::stdout(&format!("{}\n", json!({ "jobs": jobs })));
    } else if records.is_empty() {
        output::stdout("no batch jobs recorded\n");
    } else {
        let mut text = String::new();
        for record in &records {
            text.push_str(&format!(
                "{}\t{}\t{}/{}\t{} lines\n",
                record.job,
                record.status.as_deref().unwrap_or("unknown"),
                record.provider,
                record.model,
                record.count
            ));
        }
        output::stdout(&text);
    }
    ExitCode::SUCCESS
}

fn poll_first() -> Duration {
    std::env::var("OPENCLAW_BATCH_POLL_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(POLL_FIRST, Duration::from_millis)
}

async fn fetch_job(
    ctx: &Context,
    diagnostics: &Diagnostics,
    json: bool,
    args: &BatchFetchArgs,
) -> Result<ExitCode> {
    let mut record = load(ctx, &args.job)?;
    let started = Instant::now();
    let mut pause = poll_first();
    let remote = loop {
        let remote = poll_once(ctx, &mut record).await?;
        if remote.has_ended() {
            break remote;
        }
        if !args.wait {
            let done = remote
                .counts()
                .map(|(total, completed, _)| format!(" ({completed} of {total} done)"))
                .unwrap_or_default();
            return Err(Error::provider(
                Reason::Unknown,
                format!("job `{}` is still {}{done}", record.job, remote.status()),
            )
            .with_hint("pass `--wait` to poll until it ends"));
        }
        ctx.debug(|| {
            format!(
                "batch: {} is {}; next look in {pause:?}",
                record.job,
                remote.status()
            )
        });
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL_MAX);
    };
    let envelopes = collect_results(ctx, &record, &remote).await?;
    let mut sink = Sink::open(args.output.as_deref())?;
    let mut summary = Summary::new(record.count, 0);
    for (entry, envelope) in record.ids.iter().zip(envelopes) {
        summary.add(&envelope);
        sink.write(&runner::record(&entry.id, entry.line, &envelope))?;
    }
    let wall = started.elapsed();
    if diagnostics.level > LogLevel::Silent {
        output::stderr_line(&summary.to_text(wall, 0, false));
    }
    if json {
        output::record_line(&summary.to_json(wall, 0, false).to_string());
    }
    Ok(if summary.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What one line produced: the envelope's outputs and usage.
struct Answer {
    outputs: Vec<Value>,
    usage: Option<crate::envelope::Usage>,
}

type Outcome = std::result::Result<Answer, Error>;

fn chat_answer(response: Result<ChatResponse>) -> Outcome {
    let response = response?;
    if response.text.trim().is_empty() {
        return Err(Error::provider(
            Reason::Format,
            "the model returned no text",
        ));
    }
    Ok(Answer {
        outputs: vec![json!({"text": response.text, "mediaUrl": null})],
        usage: response.usage,
    })
}

/// An embeddings answer as a direct run shows it: one output per text.
fn embedding_answer(entry: &IdEntry, body: &str) -> Outcome {
    let texts = entry.texts.as_deref().unwrap_or_default();
    let response = openai_embeddings::parse_response(body, texts.len())?;
    let outputs = texts
        .iter()
        .zip(&response.vectors)
        .map(|(text, vector)| {
            json!({
                "text": text,
                "embedding": crate::commands::embedding::as_json_numbers(vector),
                "dimensions": vector.len(),
            })
        })
        .collect();
    Ok(Answer {
        outputs,
        usage: response.usage,
    })
}

/// One envelope per recorded id, in input order.
async fn collect_results(
    ctx: &Context,
    record: &JobRecord,
    remote: &Remote,
) -> Result<Vec<Envelope>> {
    let (connection, _) = connect(ctx, record)?;
    let entries: HashMap<&str, &IdEntry> = record
        .ids
        .iter()
        .map(|entry| (entry.custom_id.as_str(), entry))
        .collect();
    let mut results: HashMap<String, Outcome> = HashMap::new();
    match remote {
        Remote::OpenAi(object) => {
            for file in [&object.output_file_id, &object.error_file_id]
                .into_iter()
                .flatten()
            {
                let text = provider_call::with_retries(|| {
                    let endpoint = connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
                    let file = file.clone();
                    async move { openai::content(&endpoint, &file).await }
                })
                .await?;
                for line in openai::parse_results(&text) {
                    let Some(entry) = entries.get(line.custom_id.as_str()) else {
                        continue;
                    };
                    let outcome = line.outcome.and_then(|body| {
                        if record.capability == "embedding.create" {
                            embedding_answer(entry, &body)
                        } else {
                            chat_answer(openai_chat::parse_completion(&body))
                        }
                    });
                    results.entry(line.custom_id).or_insert(outcome);
                }
            }
        }
        Remote::Anthropic(batch) => {
            let text = provider_call::with_retries(|| {
                let endpoint = connection.endpoint(connection.deadline(Some(CALL_TIMEOUT)));
                async move { anthropic::results(&endpoint, batch).await }
            })
            .await?;
            for (custom_id, outcome) in anthropic::parse_results(&text) {
                results
                    .entry(custom_id)
                    .or_insert_with(|| chat_answer(outcome));
            }
        }
        Remote::Gemini(job) => {
            let keys: Vec<String> = record.ids.iter().map(|e| e.custom_id.clone()).collect();
            for (key, outcome) in gemini::parse_results(job, &keys) {
                results.entry(key).or_insert_with(|| chat_answer(outcome));
            }
        }
    }
    let envelopes = record
        .ids
        .iter()
        .map(|entry| {
            let outcome = results
                .remove(&entry.custom_id)
                .unwrap_or_else(|| Err(remote.missing_result()));
            envelope_for(record, outcome)
        })
        .collect();
    Ok(envelopes)
}

fn envelope_for(record: &JobRecord, outcome: Outcome) -> Envelope {
    let mut envelope = match outcome {
        Ok(answer) => {
            let mut envelope = Envelope::success(record.capability.clone(), Transport::Local)
                .with_outputs(answer.outputs);
            envelope.usage = answer.usage;
            envelope
        }
        Err(error) => Envelope::failure(record.capability.clone(), Transport::Local, &error),
    };
    envelope.provider = Some(record.provider.clone());
    envelope.model = Some(record.model.clone());
    envelope
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_ids_outside_its_pattern_are_made_from_the_line() {
        let job = |id: Value| input::Job {
            line: 4,
            id,
            work: Err(String::new()),
        };
        assert_eq!(
            wire_id(BatchApi::Anthropic, &job(Value::from("ok-1"))),
            "ok-1"
        );
        assert_eq!(
            wire_id(BatchApi::Anthropic, &job(Value::from("a b"))),
            "line-4"
        );
        assert_eq!(wire_id(BatchApi::OpenAi, &job(Value::from("a b"))), "a b");
    }

    #[test]
    fn custom_ids_are_the_ids_as_text() {
        assert_eq!(custom_id(&Value::from("r1")), "r1");
        assert_eq!(custom_id(&Value::from(7)), "7");
    }
}
