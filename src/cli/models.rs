//! `openclaw models ...`: the reference's top-level model inventory and
//! status commands.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ModelsArgs {
    /// Without a subcommand: `models status`
    #[command(subcommand)]
    pub command: Option<ModelsCommand>,

    /// With no subcommand: print the status object as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the configured models (`--all`: the whole catalog)
    List(ModelsListArgs),
    /// Show the default model, its fallbacks and where credentials come from
    Status(ModelsStatusArgs),
}

#[derive(Debug, Args)]
pub struct ModelsListArgs {
    /// Every model of the catalog, not only the configured ones
    #[arg(long)]
    pub all: bool,

    /// Only this provider's models
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// Print `{count, models}` as JSON
    #[arg(long)]
    pub json: bool,

    /// Plain text: one model reference a line
    #[arg(long)]
    pub plain: bool,

    /// The agent whose config and credentials are used
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Debug, Args)]
pub struct ModelsStatusArgs {
    /// Print the status object as JSON
    #[arg(long)]
    pub json: bool,

    /// Plain text output
    #[arg(long)]
    pub plain: bool,

    /// The agent whose config and credentials are used
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}
