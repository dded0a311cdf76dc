//! The `local` provider's models: GGUF files in `<state dir>/models/`,
//! config entries with a `path`, or a file path typed as the model id.

use std::path::{Path, PathBuf};

use crate::catalog::{Api, ModelKind};
use crate::registry::{Model, Registry};

pub const PROVIDER: &str = "local";

/// Where `model list` looks for GGUF files.
pub fn models_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("models")
}

/// `local/./x.gguf`, `local//abs/x.gguf`, `local/~/x.gguf`, `local/x.gguf`:
/// the id is a path rather than a name.
pub fn looks_like_path(id: &str) -> bool {
    id.starts_with('/')
        || id.starts_with("./")
        || id.starts_with("../")
        || id.starts_with("~/")
        || id.to_ascii_lowercase().ends_with(".gguf")
}

/// The file a local model runs from: its configured `path` (relative to
/// the state dir), the id itself when it is a path (relative to the
/// working directory), or `<models dir>/<id>.gguf`.
pub fn model_file(model: &Model, state_dir: &Path) -> PathBuf {
    let home = crate::config::env::var(crate::config::env::HOME)
        .map(PathBuf::from)
        .or_else(std::env::home_dir);
    let expand = |text: &str| -> PathBuf {
        match (text.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(text),
        }
    };
    if let Some(path) = &model.path {
        let path = expand(path);
        return if path.is_absolute() {
            path
        } else {
            state_dir.join(path)
        };
    }
    if looks_like_path(&model.id) {
        return expand(&model.id);
    }
    models_dir(state_dir).join(format!("{}.gguf", model.id))
}

impl Registry {
    /// Add every `*.gguf` of `dir` to the `local` provider (id = file stem),
    /// unless the config already lists that id.
    pub fn add_local_files(&mut self, dir: &Path) {
        let Some(provider) = self
            .providers
            .iter_mut()
            .find(|p| p.id == PROVIDER && p.api == Api::Local)
        else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut files: Vec<(String, PathBuf)> = entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.path())
            .filter(|path| {
                path.is_file()
                    && path
                        .extension()
                        .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"))
            })
            .filter_map(|path| {
                let stem = path.file_stem()?.to_str()?.to_owned();
                Some((stem, path))
            })
            .collect();
        files.sort();
        for (id, path) in files {
            if provider.models.iter().any(|m| m.id == id) {
                continue;
            }
            let mut model = Model::unlisted(PROVIDER, &id, ModelKind::Chat);
            model.path = Some(path.display().to_string());
            model.known = true;
            provider.models.push(model);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    #[test]
    fn files_in_the_models_dir_become_models() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.gguf"), b"x").unwrap();
        std::fs::write(dir.path().join("a.GGUF"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let config = config::parse(
            r#"{models: {providers: {local: {models: [{id: "b", path: "/elsewhere/b.gguf"}]}}}}"#,
        )
        .unwrap();
        let mut registry = Registry::build(&config).unwrap();
        registry.add_local_files(dir.path());
        let local = registry.provider("local").unwrap();
        let ids: Vec<&str> = local.models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(local.models[0].path.as_deref(), Some("/elsewhere/b.gguf"));
    }

    #[test]
    fn model_file_prefers_config_then_path_then_models_dir() {
        let state = Path::new("/state");
        let mut model = Model::unlisted(PROVIDER, "tiny", ModelKind::Chat);
        assert_eq!(
            model_file(&model, state),
            PathBuf::from("/state/models/tiny.gguf")
        );
        model.id = "./x.gguf".into();
        assert_eq!(model_file(&model, state), PathBuf::from("./x.gguf"));
        model.id = "/abs/x.gguf".into();
        assert_eq!(model_file(&model, state), PathBuf::from("/abs/x.gguf"));
        model.path = Some("sub/y.gguf".into());
        assert_eq!(
            model_file(&model, state),
            PathBuf::from("/state/sub/y.gguf")
        );
    }
}
