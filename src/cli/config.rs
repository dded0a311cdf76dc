//! `openclaw config ...`: read and edit the JSON5 config file by path.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the path of the active config file
    File(ConfigFileArgs),
    /// Print the value at a path (secrets are redacted)
    Get(ConfigGetArgs),
    /// Set the value at a path, keeping comments and layout of the rest
    Set(ConfigSetArgs),
    /// Remove the value at a path
    Unset(ConfigUnsetArgs),
    /// Check the whole file against the reference's schema: bad values and unknown keys
    Validate(ConfigValidateArgs),
    /// Print the JSON Schema of the config file
    Schema(ConfigSchemaArgs),
}

#[derive(Debug, Args)]
pub struct ConfigSchemaArgs {
    /// Accepted for symmetry: the schema is JSON either way
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigValidateArgs {
    /// Print `{ok, path, findings}` as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigFileArgs {
    /// Print `{"path": ...}` as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigGetArgs {
    /// Dot or bracket path, e.g. `agents.defaults.models["openai/gpt-5.4"].alias`
    #[arg(value_name = "PATH")]
    pub path: String,

    /// Print the value as JSON
    #[arg(long)]
    pub json: bool,

    /// Print secret values (API keys, tokens, passwords, header values)
    /// instead of masking them
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// Dot or bracket path, e.g. `agents.defaults.model.primary`
    #[arg(value_name = "PATH")]
    pub path: String,

    /// The value: JSON5 when it parses, else taken as a string
    #[arg(value_name = "VALUE", allow_hyphen_values = true)]
    pub value: String,

    /// The value must be standard JSON (no string fallback)
    #[arg(long)]
    pub strict_json: bool,

    /// Same as `--strict-json`, and print the result as JSON
    #[arg(long)]
    pub json: bool,

    /// Deep-merge an object (or add array items) instead of replacing
    #[arg(long, conflicts_with = "replace")]
    pub merge: bool,

    /// Allow replacing a map of user entries with one lacking some of them
    #[arg(long)]
    pub replace: bool,

    /// Check the change without writing the file
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ConfigUnsetArgs {
    /// Dot or bracket path of the value to remove
    #[arg(value_name = "PATH")]
    pub path: String,

    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,

    /// Check the change without writing the file
    #[arg(long)]
    pub dry_run: bool,
}
