//! What a command runs with: resolved global options and paths, plus the
//! config, registry, saved credentials and HTTP client, each loaded on
//! first use so cheap commands never pay for them.

use std::sync::OnceLock;

use crate::auth::AuthProfiles;
use crate::cli::LogLevel;
use crate::config::{self, Config, Paths, env};
use crate::error::Result;
use crate::registry::Registry;

pub struct Context {
    pub json: bool,
    pub agent: String,
    pub log_level: LogLevel,
    pub paths: Paths,
    config: OnceLock<Config>,
    registry: OnceLock<Registry>,
    profiles: OnceLock<AuthProfiles>,
    client: OnceLock<reqwest::Client>,
}

impl Context {
    pub fn new(json: bool, agent: Option<String>, log_level: LogLevel, paths: Paths) -> Context {
        env::load_dotenv(&paths.dotenv_file());
        Context {
            json,
            agent: agent
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(|| config::paths::DEFAULT_AGENT.to_owned()),
            log_level,
            paths,
            config: OnceLock::new(),
            registry: OnceLock::new(),
            profiles: OnceLock::new(),
            client: OnceLock::new(),
        }
    }

    pub fn config(&self) -> Result<&Config> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let loaded = config::load(&self.paths.config_file)?;
        Ok(self.config.get_or_init(|| loaded))
    }

    pub fn registry(&self) -> Result<&Registry> {
        if let Some(registry) = self.registry.get() {
            return Ok(registry);
        }
        let mut built = Registry::build(self.config()?)?;
        built.add_local_files(&crate::registry::local::models_dir(&self.paths.state_dir));
        Ok(self.registry.get_or_init(|| built))
    }

    pub fn profiles(&self) -> Result<&AuthProfiles> {
        if let Some(profiles) = self.profiles.get() {
            return Ok(profiles);
        }
        let loaded = AuthProfiles::load(&self.paths.auth_profiles_file(&self.agent))?;
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

    pub fn logs(&self, level: LogLevel) -> bool {
        level <= self.log_level && self.log_level != LogLevel::Silent
    }
}
