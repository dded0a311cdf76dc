//! The clap command tree. Parsing only: value parsers here never read the
//! config or the catalog, so `--help` and usage errors stay instant.

pub mod audio;
pub mod batch;
pub mod common;
pub mod config;
pub mod doctor;
pub mod embedding;
pub mod image;
pub mod infer;
pub mod model;
pub mod models;
pub mod onboard;
pub mod tts;
pub mod video;
pub mod web;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

pub use crate::output::LogLevel;
pub use infer::{InferArgs, InferCommand};

/// Run inference through configured AI providers: text, images, audio,
/// speech, video, web search and embeddings.
#[derive(Debug, Parser)]
#[command(
    name = "openclaw",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,

    /// The capability id of an `infer` leaf (`model.run`), read off the
    /// parsed tree: a leaf's id is its path of command names, so it is
    /// never listed apart from the tree (`capabilities::CAPABILITIES` holds
    /// its metadata; a unit test keeps the two in step).
    #[arg(skip)]
    pub leaf: &'static str,
}

impl Cli {
    /// Parse the process arguments. An environment variable set to the
    /// empty string counts as unset, as it does for every other read
    /// (`config::env::var`); clap alone would take `""` as the value.
    pub fn parse_args() -> Result<Cli, clap::Error> {
        let command = Cli::command().mut_args(|arg| {
            let empty = arg
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|value| value.is_empty());
            if empty { arg.env(None) } else { arg }
        });
        let mut matches = command.try_get_matches()?;
        let leaf = leaf_id(&matches);
        let mut cli = Cli::from_arg_matches_mut(&mut matches)?;
        cli.leaf = leaf;
        Ok(cli)
    }
}

/// `infer image describe-many` -> `image.describe-many`. Commands under
/// `infer` that are not capabilities get ids of their own.
fn leaf_id(matches: &clap::ArgMatches) -> &'static str {
    let Some(("infer", mut matches)) = matches.subcommand() else {
        return "";
    };
    let mut path = Vec::new();
    while let Some((name, sub)) = matches.subcommand() {
        path.push(name);
        matches = sub;
    }
    match crate::capabilities::find(&path.join(".")) {
        Some(capability) => capability.id,
        None => match path.first() {
            Some(&"list") => "infer.list",
            Some(&"inspect") => "infer.inspect",
            Some(&"batch") => "batch.job",
            _ => "infer",
        },
    }
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// How much to log on stderr; `silent` prints no diagnostics at all
    #[arg(
        long,
        value_enum,
        global = true,
        env = crate::config::env::LOG_LEVEL,
        value_name = "LEVEL"
    )]
    pub log_level: Option<LogLevel>,

    /// Use the named profile: config and state live under `~/.openclaw-<name>`
    #[arg(long, global = true, env = crate::config::env::PROFILE, value_name = "NAME")]
    pub profile: Option<String>,

    /// Shorthand for `--profile dev`
    #[arg(long, global = true)]
    pub dev: bool,

    /// Never colour diagnostics (also `NO_COLOR`)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Run inside a named container (not supported by this build)
    #[arg(long, global = true, value_name = "NAME", hide = true)]
    pub container: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run provider-backed inference (alias: `capability`)
    #[command(visible_alias = "capability")]
    Infer(InferArgs),

    /// Check config, credentials, network routes and engines; `--online` tries every configured model
    Doctor(doctor::DoctorArgs),

    /// Read and edit the config file by path (comments are kept)
    Config(config::ConfigArgs),

    /// Model inventory and default-model status
    Models(models::ModelsArgs),

    /// Set up a provider: save its key and choose the default model
    Onboard(Box<onboard::OnboardArgs>),

    /// Print a shell completion script
    Completion(CompletionArgs),
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn capability_is_an_alias_of_infer() {
        let cli = Cli::try_parse_from(["openclaw", "capability", "model", "list"]).unwrap();
        assert!(matches!(cli.command, Command::Infer(_)));
    }

    #[test]
    fn local_and_gateway_conflict() {
        let error = Cli::try_parse_from([
            "openclaw",
            "infer",
            "model",
            "run",
            "--prompt",
            "hi",
            "--local",
            "--gateway",
        ])
        .unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn json_and_agent_are_accepted_on_groups_and_leaves() {
        Cli::try_parse_from([
            "openclaw", "infer", "--json", "model", "--agent", "a", "list",
        ])
        .unwrap();
        Cli::try_parse_from([
            "openclaw", "infer", "model", "list", "--json", "--agent", "a",
        ])
        .unwrap();
    }

    #[test]
    fn global_options_go_before_the_command() {
        let cli = Cli::try_parse_from([
            "openclaw",
            "--log-level",
            "silent",
            "infer",
            "model",
            "run",
            "--prompt",
            "p",
        ])
        .unwrap();
        assert_eq!(cli.global.log_level, Some(LogLevel::Silent));
    }
}
