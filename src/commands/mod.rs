//! Dispatch: one arm per leaf command. Each arm validates its arguments
//! (usage errors come before any request), calls an executor, and returns
//! a `Report` that `main` prints.

mod audio;
mod config;
mod doctor;
pub(crate) mod embedding;
mod image;
mod infer;
mod model;
mod models;
mod onboard;
mod providers;
mod tts;
mod video;
mod web;

use std::process::ExitCode;

use crate::cli::{Cli, Command, InferArgs, InferCommand, LogLevel};
use crate::cli::{audio::AudioCommand, embedding::EmbeddingCommand, image::ImageCommand};
use crate::cli::{
    model::AuthCommand, model::ModelCommand, tts::TtsCommand, video::VideoCommand, web::WebCommand,
};
use crate::config::Paths;
use crate::context::Context;
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Result};
use crate::output::{self, Diagnostics};

/// What a finished command shows: the envelope, and for text mode what
/// goes on stdout (`None` when it was already streamed there).
pub struct Report {
    pub envelope: Envelope,
    pub text: Option<String>,
    /// Informational commands: the document `--json` prints instead of
    /// the envelope, shaped as the reference tool prints it.
    pub data: Option<serde_json::Value>,
}

impl Report {
    pub fn new(envelope: Envelope, text: impl Into<String>) -> Report {
        Report {
            envelope,
            text: Some(text.into()),
            data: None,
        }
    }

    /// An informational command's result: `data` is what `--json` prints.
    pub fn data(envelope: Envelope, data: serde_json::Value, text: impl Into<String>) -> Report {
        Report {
            envelope,
            text: Some(text.into()),
            data: Some(data),
        }
    }
}

/// A command that failed, with whatever envelope fields it had filled.
pub struct Failure {
    pub error: Error,
    pub envelope: Option<Envelope>,
}

impl Failure {
    /// `error` with the envelope built so far, marked failed.
    pub fn with(error: Error, mut envelope: Envelope) -> Failure {
        envelope.ok = false;
        Failure {
            error,
            envelope: Some(envelope),
        }
    }

    /// Every candidate failed: the last one tried and each attempt go in
    /// the envelope.
    pub fn chain(
        failure: crate::capabilities::fallback::ChainFailure,
        mut envelope: Envelope,
    ) -> Failure {
        envelope.provider = failure.provider;
        envelope.model = failure.model;
        envelope.attempts = failure.attempts;
        Failure::with(failure.error, envelope)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            envelope: None,
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let global = cli.global;
    let leaf = cli.leaf;
    let log_level = global.log_level.unwrap_or(LogLevel::Info);
    let diagnostics = Diagnostics {
        level: log_level,
        color: output::color_enabled(global.no_color),
    };
    if let Some(name) = &global.container {
        let error = Error::unsupported(format!(
            "`--container {name}`: containers are not supported by this build"
        ))
        .with_hint("run openclaw directly on the host");
        diagnostics.error(&error);
        return ExitCode::from(error.exit_code());
    }
    let profile = if global.dev {
        Some("dev".to_owned())
    } else {
        global.profile.clone()
    };
    // Only environment reads: no file is touched until a command needs it.
    let paths = Paths::resolve(profile.as_deref());
    match cli.command {
        Command::Doctor(args) => {
            let ctx = Context::new(args.json, args.agent.clone(), log_level, paths);
            block_on(doctor::run(&ctx, args.online))
        }
        Command::Completion(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut buffer = Vec::new();
            clap_complete::generate(args.shell, &mut command, "openclaw", &mut buffer);
            output::stdout(&String::from_utf8_lossy(&buffer));
            ExitCode::SUCCESS
        }
        Command::Config(args) => {
            crate::config::env::load_dotenv(&paths.dotenv_file());
            config::run(args.command, &paths, &diagnostics)
        }
        Command::Models(args) => {
            use crate::cli::models::{ModelsCommand, ModelsStatusArgs};
            // Bare `models` is `models status`, as in the reference.
            let command = args
                .command
                .unwrap_or(ModelsCommand::Status(ModelsStatusArgs {
                    json: args.json,
                    plain: false,
                    agent: None,
                }));
            let (json, agent) = match &command {
                ModelsCommand::List(a) => (a.json, a.agent.clone()),
                ModelsCommand::Status(a) => (a.json, a.agent.clone()),
            };
            let ctx = Context::new(json, agent, log_level, paths);
            models::run(command, &ctx, &diagnostics)
        }
        Command::Onboard(args) => {
            let ctx = Context::new(args.json, None, log_level, paths);
            onboard::run(*args, &ctx, &diagnostics)
        }
        Command::Infer(InferArgs {
            output: flags,
            command,
        }) => {
            if crate::batch::requested(&command) {
                // Every line's envelope is a record, so the lines run in JSON mode.
                let ctx = Context::new(true, flags.agent, log_level, paths);
                return crate::batch::run(&ctx, &diagnostics, flags.json, command);
            }
            let ctx = Context::new(flags.json, flags.agent, log_level, paths);
            let capability = leaf;
            let transport = transport_of(&ctx, &command);
            let result = block_on(async {
                let work = infer_command(&ctx, &diagnostics, command);
                tokio::pin!(work);
                tokio::select! {
                    result = &mut work => result,
                    signal = interrupted() => {
                        if transport == Transport::Gateway {
                            // Let the client close its socket so the gateway
                            // sees the session end, not a dropped connection.
                            crate::cancel::request(signal);
                            let _ = tokio::time::timeout(GATEWAY_GRACE, &mut work).await;
                        }
                        let (error, envelope) = ctx.interrupted(capability, transport, signal);
                        Err(Failure { error, envelope: Some(envelope) })
                    }
                }
            });
            finish(&ctx, &diagnostics, capability, transport, result)
        }
    }
}

/// How long a gateway call interrupted by a signal may take to close its
/// socket before the process ends anyway.
const GATEWAY_GRACE: std::time::Duration = std::time::Duration::from_millis(1000);

/// Run a command's future on a current-thread runtime, built only for the
/// commands that do I/O (one request at a time needs no thread pool).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    let output = runtime.block_on(future);
    // A run cancelled while reading stdin leaves that read blocked on its
    // thread; the process is ending, so do not wait for it.
    runtime.shutdown_background();
    output
}

/// Resolves with the signal number on SIGINT or SIGTERM. Dropping the
/// command's future on the way out also drops its temp files, so an
/// interrupted run leaves no partial output behind.
async fn interrupted() -> i32 {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => 2,
        _ = terminate.recv() => 15,
    }
}

fn finish(
    ctx: &Context,
    diagnostics: &Diagnostics,
    capability: &'static str,
    transport: Transport,
    result: Result<Report, Failure>,
) -> ExitCode {
    match result {
        Ok(report) => {
            if ctx.json_lines() {
                output::stdout(&(report.envelope.to_json_line() + "\n"));
            } else if let (true, Some(data)) = (ctx.json, &report.data) {
                output::stdout(&(serde_json::to_string_pretty(data).expect("json") + "\n"));
            } else if ctx.json {
                output::stdout(&(report.envelope.to_json() + "\n"));
            } else if let Some(text) = report.text {
                output::stdout(&text);
            }
            ExitCode::SUCCESS
        }
        Err(Failure { error, envelope }) => {
            if ctx.wants_json() {
                let mut envelope =
                    envelope.unwrap_or_else(|| Envelope::failure(capability, transport, &error));
                envelope.ok = false;
                envelope.error = Some((&error).into());
                let text = if ctx.json_lines() {
                    envelope.to_json_line()
                } else {
                    envelope.to_json()
                };
                output::stdout(&(text + "\n"));
            }
            diagnostics.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

pub(crate) async fn infer_command(
    ctx: &Context,
    diagnostics: &Diagnostics,
    command: InferCommand,
) -> Result<Report, Failure> {
    match command {
        InferCommand::List => Ok(infer::list()),
        InferCommand::Inspect(args) => Ok(infer::inspect(&args)?),
        InferCommand::Model(ModelCommand::Run(args)) => model::run(ctx, diagnostics, args).await,
        InferCommand::Model(ModelCommand::List) => Ok(model::list(ctx, diagnostics).await?),
        InferCommand::Model(ModelCommand::Inspect(args)) => Ok(model::inspect(ctx, &args)?),
        InferCommand::Model(ModelCommand::Providers) => Ok(model::providers(ctx)?),
        InferCommand::Model(ModelCommand::Auth(AuthCommand::Login(args))) => {
            Ok(model::auth_login(ctx, &args)?)
        }
        InferCommand::Model(ModelCommand::Auth(AuthCommand::Logout(args))) => {
            Ok(model::auth_logout(ctx, &args)?)
        }
        InferCommand::Model(ModelCommand::Auth(AuthCommand::Status)) => {
            Ok(model::auth_status(ctx)?)
        }
        InferCommand::Web(WebCommand::Search(args)) => web::search(ctx, diagnostics, args).await,
        InferCommand::Web(WebCommand::Fetch(args)) => web::fetch(ctx, args).await,
        InferCommand::Web(WebCommand::Providers) => Ok(web::providers(ctx)?),
        InferCommand::Image(ImageCommand::Generate(args)) => image::generate(ctx, args).await,
        InferCommand::Image(ImageCommand::Edit(args)) => image::edit(ctx, args).await,
        InferCommand::Image(ImageCommand::Describe(args)) => image::describe(ctx, args).await,
        InferCommand::Image(ImageCommand::DescribeMany(args)) => {
            image::describe_many(ctx, args).await
        }
        InferCommand::Image(ImageCommand::Providers) => Ok(image::providers(ctx)?),
        InferCommand::Video(VideoCommand::Generate(args)) => video::generate(ctx, args).await,
        InferCommand::Video(VideoCommand::Describe(args)) => video::describe(ctx, args).await,
        InferCommand::Video(VideoCommand::Providers) => Ok(video::providers(ctx)?),
        InferCommand::Audio(AudioCommand::Transcribe(args)) => audio::transcribe(ctx, args).await,
        InferCommand::Audio(AudioCommand::Providers) => Ok(audio::providers(ctx)?),
        InferCommand::Tts(command) if tts::goes_to_gateway(ctx, &command)? => {
            tts::on_gateway(ctx, &command).await
        }
        InferCommand::Tts(TtsCommand::Convert(args)) => tts::convert(ctx, args).await,
        InferCommand::Tts(TtsCommand::Voices(args)) => Ok(tts::voices(ctx, args).await?),
        InferCommand::Tts(TtsCommand::Providers(_)) => Ok(tts::providers(ctx)?),
        InferCommand::Tts(TtsCommand::Status(_)) => Ok(tts::status(ctx)?),
        InferCommand::Tts(TtsCommand::Enable(_)) => Ok(tts::set_enabled(ctx, true)?),
        InferCommand::Tts(TtsCommand::Disable(_)) => Ok(tts::set_enabled(ctx, false)?),
        InferCommand::Tts(TtsCommand::SetProvider(args)) => Ok(tts::set_provider(ctx, &args)?),
        InferCommand::Tts(TtsCommand::Personas) => Ok(tts::personas(ctx)?),
        InferCommand::Tts(TtsCommand::SetPersona(args)) => Ok(tts::set_persona(ctx, &args)?),
        InferCommand::Embedding(EmbeddingCommand::Create(args)) => {
            embedding::create(ctx, args).await
        }
        InferCommand::Embedding(EmbeddingCommand::Providers) => Ok(embedding::providers(ctx)?),
        // `crate::batch` runs these before a leaf is dispatched.
        InferCommand::Batch(_) => {
            Err(Error::internal("batch jobs run through crate::batch").into())
        }
    }
}

/// Where the leaf runs: the gateway when its flag says so (or, for the
/// `tts` leaves, when `tts::goes_to_gateway` sends it there by default),
/// else this process.
fn transport_of(ctx: &Context, command: &InferCommand) -> Transport {
    let gateway = match command {
        InferCommand::Model(ModelCommand::Run(args)) => args.transport.gateway,
        // A config too broken to say is reported by the command itself.
        InferCommand::Tts(command) => tts::goes_to_gateway(ctx, command).unwrap_or(false),
        _ => false,
    };
    if gateway {
        Transport::Gateway
    } else {
        Transport::Local
    }
}
