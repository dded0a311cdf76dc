//! Where config and state live: `OPENCLAW_*` overrides first, then the
//! profile, then `~/.openclaw`.

use std::path::PathBuf;

use super::env;

#[derive(Debug, Clone)]
pub struct Paths {
    pub state_dir: PathBuf,
    pub config_file: PathBuf,
}

pub const DEFAULT_AGENT: &str = "main";

impl Paths {
    pub fn resolve(profile: Option<&str>) -> Paths {
        let home = env::var(env::HOME)
            .map(PathBuf::from)
            .or_else(std::env::home_dir)
            .unwrap_or_else(|| PathBuf::from("."));
        let state_dir = match env::var(env::STATE_DIR) {
            Some(dir) => expand_home(&dir, &home),
            None => match profile.filter(|name| !name.is_empty() && *name != "default") {
                Some(name) => home.join(format!(".openclaw-{name}")),
                None => home.join(".openclaw"),
            },
        };
        let config_file = match env::var(env::CONFIG_PATH) {
            Some(path) => expand_home(&path, &home),
            None => state_dir.join("openclaw.json"),
        };
        Paths {
            state_dir,
            config_file,
        }
    }

    pub fn dotenv_file(&self) -> PathBuf {
        self.state_dir.join(".env")
    }

    /// `<state>/agents/<id>/agent`: the agent's own files (auth profiles).
    pub fn agent_dir(&self, agent: &str) -> PathBuf {
        self.state_dir.join("agents").join(agent).join("agent")
    }

    pub fn auth_profiles_file(&self, agent: &str) -> PathBuf {
        self.agent_dir(agent).join("auth-profiles.json")
    }
}

fn expand_home(path: &str, home: &std::path::Path) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home.join(rest),
        None if path == "~" => home.to_path_buf(),
        None => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_expands_against_home() {
        let home = std::path::Path::new("/h");
        assert_eq!(expand_home("~/x/y", home), PathBuf::from("/h/x/y"));
        assert_eq!(expand_home("/abs", home), PathBuf::from("/abs"));
    }
}
