//! `openclaw onboard`: choose a provider, save its key, set the default model.

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// Run without prompts; everything comes from flags and the environment
    #[arg(long)]
    pub non_interactive: bool,

    /// Acknowledge the reference tool's risk notice (accepted; not required here)
    #[arg(long)]
    pub accept_risk: bool,

    /// `local` (default); `remote` gateways are not supported by this build
    #[arg(long, value_enum, default_value_t = OnboardMode::Local)]
    pub mode: OnboardMode,

    /// Which provider and credential to set up, e.g. `huggingface-api-key`
    #[arg(long, value_name = "CHOICE")]
    pub auth_choice: Option<String>,

    /// Print what was written as JSON (never the secret)
    #[arg(long)]
    pub json: bool,

    /// `plaintext` saves the key; `ref` saves a `${ENV_VAR}` reference instead
    #[arg(long, value_enum, value_name = "MODE")]
    pub secret_input_mode: Option<SecretInputMode>,

    /// Hugging Face token (else HUGGINGFACE_HUB_TOKEN or HF_TOKEN)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub huggingface_api_key: Option<String>,
    /// OpenAI API key (else OPENAI_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub openai_api_key: Option<String>,
    /// Anthropic API key (else ANTHROPIC_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub anthropic_api_key: Option<String>,
    /// Gemini API key (else GEMINI_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub gemini_api_key: Option<String>,
    /// OpenRouter API key (else OPENROUTER_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub openrouter_api_key: Option<String>,
    /// Mistral API key (else MISTRAL_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub mistral_api_key: Option<String>,
    /// LM Studio API token (else LM_API_TOKEN)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub lmstudio_api_key: Option<String>,
    /// llama-server API key (else LLAMA_SERVER_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Provider keys")]
    pub llama_server_api_key: Option<String>,

    /// Base URL of a custom, Ollama, LM Studio or llama.cpp endpoint
    #[arg(long, value_name = "URL", help_heading = "Custom endpoint")]
    pub custom_base_url: Option<String>,
    /// Model id at the custom endpoint
    #[arg(long, value_name = "ID", help_heading = "Custom endpoint")]
    pub custom_model_id: Option<String>,
    /// API key of the custom endpoint (else CUSTOM_API_KEY)
    #[arg(long, value_name = "KEY", help_heading = "Custom endpoint")]
    pub custom_api_key: Option<String>,
    /// Provider id to save the custom endpoint under (default `custom`)
    #[arg(long, value_name = "ID", help_heading = "Custom endpoint")]
    pub custom_provider_id: Option<String>,
    /// Wire protocol of the custom endpoint
    #[arg(long, value_enum, value_name = "API", help_heading = "Custom endpoint")]
    pub custom_compatibility: Option<Compatibility>,
    /// Mark the custom model as accepting images
    #[arg(
        long,
        conflicts_with = "custom_text_input",
        help_heading = "Custom endpoint"
    )]
    pub custom_image_input: bool,
    /// Mark the custom model as text only
    #[arg(long, help_heading = "Custom endpoint")]
    pub custom_text_input: bool,

    #[command(flatten)]
    pub absent: AbsentParts,
}

/// Flags of the reference tool for parts this build does not have
/// (gateway, daemon, channels, skills, UI). Accepted and noted on stderr.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Accepted for compatibility (no effect in this build)")]
pub struct AbsentParts {
    #[arg(long)]
    pub skip_channels: bool,
    #[arg(long)]
    pub skip_skills: bool,
    #[arg(long)]
    pub skip_health: bool,
    #[arg(long)]
    pub skip_ui: bool,
    #[arg(long)]
    pub skip_daemon: bool,
    #[arg(long)]
    pub no_install_daemon: bool,
    #[arg(long)]
    pub install_daemon: bool,
    #[arg(long)]
    pub skip_hooks: bool,
    #[arg(long)]
    pub skip_search: bool,
    #[arg(long)]
    pub skip_bootstrap: bool,
    #[arg(long)]
    pub suppress_gateway_token_output: bool,
    #[arg(long)]
    pub classic: bool,
    #[arg(long)]
    pub modern: bool,
    #[arg(long)]
    pub tui: bool,
    #[arg(long)]
    pub reset: bool,
    #[arg(long, value_name = "SCOPE")]
    pub reset_scope: Option<String>,
    #[arg(long, value_name = "FLOW")]
    pub flow: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub agent_name: Option<String>,
    #[arg(long, value_name = "RUNTIME")]
    pub daemon_runtime: Option<String>,
    #[arg(long, value_name = "MANAGER")]
    pub node_manager: Option<String>,
    #[arg(long, value_name = "PORT")]
    pub gateway_port: Option<String>,
    #[arg(long, value_name = "BIND")]
    pub gateway_bind: Option<String>,
    #[arg(long, value_name = "MODE")]
    pub gateway_auth: Option<String>,
    #[arg(long, value_name = "TOKEN")]
    pub gateway_token: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub gateway_token_ref_env: Option<String>,
    #[arg(long, value_name = "PASSWORD")]
    pub gateway_password: Option<String>,
    #[arg(long, value_name = "MODE")]
    pub tailscale: Option<String>,
    #[arg(long, value_name = "URL")]
    pub remote_url: Option<String>,
    #[arg(long, value_name = "TOKEN")]
    pub remote_token: Option<String>,
    #[arg(long, value_name = "PASSWORD")]
    pub remote_password: Option<String>,
    #[arg(long, value_name = "ID")]
    pub import_from: Option<String>,
    #[arg(long, value_name = "DIR")]
    pub import_source: Option<String>,
    #[arg(long)]
    pub import_secrets: bool,
}

impl AbsentParts {
    /// The flags given, by name (values are not shown: some are secrets).
    pub fn given(&self) -> Vec<&'static str> {
        let flags: [(&'static str, bool); 35] = [
            ("--skip-channels", self.skip_channels),
            ("--skip-skills", self.skip_skills),
            ("--skip-health", self.skip_health),
            ("--skip-ui", self.skip_ui),
            ("--skip-daemon", self.skip_daemon),
            ("--no-install-daemon", self.no_install_daemon),
            ("--install-daemon", self.install_daemon),
            ("--skip-hooks", self.skip_hooks),
            ("--skip-search", self.skip_search),
            ("--skip-bootstrap", self.skip_bootstrap),
            (
                "--suppress-gateway-token-output",
                self.suppress_gateway_token_output,
            ),
            ("--classic", self.classic),
            ("--modern", self.modern),
            ("--tui", self.tui),
            ("--reset", self.reset),
            ("--reset-scope", self.reset_scope.is_some()),
            ("--flow", self.flow.is_some()),
            ("--workspace", self.workspace.is_some()),
            ("--agent-name", self.agent_name.is_some()),
            ("--daemon-runtime", self.daemon_runtime.is_some()),
            ("--node-manager", self.node_manager.is_some()),
            ("--gateway-port", self.gateway_port.is_some()),
            ("--gateway-bind", self.gateway_bind.is_some()),
            ("--gateway-auth", self.gateway_auth.is_some()),
            ("--gateway-token", self.gateway_token.is_some()),
            (
                "--gateway-token-ref-env",
                self.gateway_token_ref_env.is_some(),
            ),
            ("--gateway-password", self.gateway_password.is_some()),
            ("--tailscale", self.tailscale.is_some()),
            ("--remote-url", self.remote_url.is_some()),
            ("--remote-token", self.remote_token.is_some()),
            ("--remote-password", self.remote_password.is_some()),
            ("--import-from", self.import_from.is_some()),
            ("--import-source", self.import_source.is_some()),
            ("--import-secrets", self.import_secrets),
            ("--accept-risk", false),
        ];
        flags
            .iter()
            .filter(|(_, given)| *given)
            .map(|(name, _)| *name)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnboardMode {
    Local,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretInputMode {
    Plaintext,
    Ref,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compatibility {
    Openai,
    OpenaiResponses,
    Anthropic,
}
