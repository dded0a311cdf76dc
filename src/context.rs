//! What a command runs with: resolved global options and paths, plus the
//! config, registry, saved credentials and HTTP client, each loaded on
//! first use so cheap commands never pay for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use serde_json::json;

use crate::auth::AuthProfiles;
use crate::config::{self, Config, Paths, env};
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Result};
use crate::output::LogLevel;
use crate::registry::Registry;

pub struct Context {
    pub json: bool,
    /// `--agent` as given; `agent()` is what it resolves to.
    agent_flag: Option<String>,
    agent: OnceLock<String>,
    pub log_level: LogLevel,
    pub paths: Paths,
    config: OnceLock<Config>,
    registry: OnceLock<Registry>,
    profiles: OnceLock<AuthProfiles>,
    client: OnceLock<reqwest::Client>,
    /// Set by commands that print JSON lines (`--stream json`): the final
    /// envelope then goes on one line.
    json_lines: AtomicBool,
    /// What a running command has produced so far, for the envelope of a
    /// run cut short by a signal.
    progress: Mutex<Progress>,
}

#[derive(Debug, Default)]
pub struct Progress {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub text: String,
}

impl Context {
    pub fn new(json: bool, agent: Option<String>, log_level: LogLevel, paths: Paths) -> Context {
        env::load_dotenv(&paths.dotenv_file());
        Context {
            json,
            agent_flag: agent.filter(|a| !a.trim().is_empty()),
            agent: OnceLock::new(),
            log_level,
            paths,
            config: OnceLock::new(),
            registry: OnceLock::new(),
            profiles: OnceLock::new(),
            client: OnceLock::new(),
            json_lines: AtomicBool::new(false),
            progress: Mutex::new(Progress::default()),
        }
    }

    pub fn set_json_lines(&self) {
        self.json_lines.store(true, Ordering::Relaxed);
    }

    /// Whether stdout carries JSON (an envelope, maybe after event lines).
    pub fn wants_json(&self) -> bool {
        self.json || self.json_lines()
    }

    pub fn json_lines(&self) -> bool {
        self.json_lines.load(Ordering::Relaxed)
    }

    pub fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The envelope of a run interrupted by `signal`, with any partial text.
    pub fn interrupted(
        &self,
        capability: &str,
        transport: Transport,
        signal: i32,
    ) -> (Error, Envelope) {
        let error = Error::cancelled(signal);
        let mut envelope = Envelope::failure(capability, transport, &error);
        let progress = self.progress();
        envelope.provider = progress.provider.clone();
        envelope.model = progress.model.clone();
        if !progress.text.is_empty() {
            envelope.outputs = vec![json!({"text": progress.text, "partial": true})];
        }
        (error, envelope)
    }

    pub fn config(&self) -> Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let mut loaded = config::load(&self.paths.config_file)?;
        let agent = loaded.agents.resolve(self.agent_flag.as_deref());
        if let Some(id) = &agent {
            loaded.agents.apply_agent(id);
        }
        let _ = self
            .agent
            .set(agent.unwrap_or_else(|| config::paths::DEFAULT_AGENT.to_owned()));
        Ok(self.config.get_or_init(|| loaded))
    }

    /// The agent this command acts for: `--agent`, else
    /// `agents.defaults.systemAgent.agentId`, else the sole configured
    /// agent, else the default agent (also when the config cannot load).
    pub fn agent(&self) -> &str {
        if self.agent.get().is_none() && self.config().is_err() {
            let fallback = self
                .agent_flag
                .clone()
                .unwrap_or_else(|| config::paths::DEFAULT_AGENT.to_owned());
            let _ = self.agent.set(fallback);
        }
        self.agent
            .get()
            .map_or(config::paths::DEFAULT_AGENT, String::as_str)
    }

    pub fn registry(&self) -> Result<&Registry> {
        if let Some(registry) = self.registry.get() {
            return Ok(registry);
        }
        let mut built = Registry::build(self.config()?)?;
        built.add_local_files(&crate::engines::local_models::models_dir(
            &self.paths.state_dir,
        ));
        Ok(self.registry.get_or_init(|| built))
    }

    pub fn profiles(&self) -> Result<&AuthProfiles> {
        if let Some(profiles) = self.profiles.get() {
            return Ok(profiles);
        }
        let loaded = AuthProfiles::load(&self.paths.auth_profiles_file(self.agent()))?;
        Ok(self.profiles.get_or_init(|| loaded))
    }

    /// The shared client; providers with their own `proxy` get their own.
    pub fn client(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let built = crate::http::build_client(None)?;
        Ok(self.client.get_or_init(|| built))
    }

    /// How many requests a fan-out (describe-many, doctor's probes) keeps
    /// in flight: the command's `--concurrency`, else
    /// `agents.defaults.maxConcurrent`, else the reference tool's default for
    /// that key, four per CPU and at least eight.
    pub fn concurrency(&self, flag: Option<std::num::NonZeroUsize>) -> Result<usize> {
        if let Some(limit) = flag.or(self.config()?.agents.defaults.max_concurrent) {
            return Ok(limit.get());
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok((cpus * 4).max(8))
    }

    /// A `--log-level debug` line on stderr; never on stdout.
    pub fn debug(&self, message: impl FnOnce() -> String) {
        if self.log_level >= LogLevel::Debug {
            crate::output::stderr_line(&format!("debug: {}", message()));
        }
    }
}
