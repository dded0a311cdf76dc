//! Editing the JSON5 config in place: set or remove one value by path
//! while every other byte (comments, quoting, indentation, trailing commas)
//! stays as the user wrote it.
//!
//! A small tokenizer walks the text and records where each value, key and
//! comma sits; an edit replaces or inserts byte ranges only.
//!
//! The work is split by job: `path` reads and shows config paths,
//! `syntax` tokenizes with byte spans, `style` detects and renders the
//! file's style, `apply` turns set/unset/merge into byte edits. This file
//! holds the API the commands call and the safe write.

mod apply;
mod path;
mod style;
mod syntax;

use std::path::Path;

use serde_json::{Map, Value};

use super::env;
use crate::error::{Error, Result};

use env::CONFIG_READONLY as READONLY_ENV;

pub use apply::{get, merge, set, unset};
pub use path::{Segment, display_path, parse_path};
pub use syntax::{MAX_CONFIG_BYTES, MAX_DEPTH, key_positions, too_deep};

/// Syntax, size and nesting only, without building a value: the check
/// that runs before the recursive JSON5 parser sees the text.
pub fn check_syntax(text: &str) -> std::result::Result<(), super::TextError> {
    syntax::parse_tree(text).map(|_| ())
}

/// The whole file as JSON (comments dropped); empty text is `{}`.
pub fn parse_value(text: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    // The tokenizer first, for its clearer positions on a broken file.
    syntax::parse_tree(text)?;
    json5::from_str(text).map_err(|error| Error::config(error.to_string()))
}

/// Refuse when `OPENCLAW_CONFIG_READONLY=1`.
pub fn ensure_writable(path: &Path) -> Result<()> {
    if env::var(READONLY_ENV).as_deref() == Some("1") {
        return Err(Error::config(format!(
            "the config {} is read-only ({READONLY_ENV}=1); nothing was written",
            path.display()
        ))
        .with_hint(
            "change the file through the system that manages it, or unset OPENCLAW_CONFIG_READONLY",
        ));
    }
    Ok(())
}

/// Write the new config text: refuses read-only mode and text that does not
/// load as a config, keeps the previous file as `<name>.bak`, writes
/// atomically with mode 0600.
pub fn write(path: &Path, new_text: &str) -> Result<()> {
    ensure_writable(path)?;
    if let Err(problem) = super::load::parse(new_text) {
        return Err(Error::config(format!(
            "the edited config would not load ({problem}); {} was left unchanged",
            path.display()
        )));
    }
    if let Ok(metadata) = std::fs::symlink_metadata(path) {
        if metadata.file_type().is_symlink() {
            return Err(Error::config(format!(
                "{} is a symlink; refusing to replace it",
                path.display()
            ))
            .with_hint("point OPENCLAW_CONFIG_PATH at the real file"));
        }
        if let Ok(old) = std::fs::read(path) {
            let backup = backup_path(path);
            crate::media::write_atomic(&backup, &old, Some(0o600))?;
        }
    }
    crate::media::write_atomic(path, new_text.as_bytes(), Some(0o600))
}

pub fn backup_path(path: &Path) -> std::path::PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".bak");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_keeps_a_backup_and_refuses_a_broken_result() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(&path, "{ /* old */ }").unwrap();
        write(&path, "{ a: 1 }").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ a: 1 }");
        assert_eq!(
            std::fs::read_to_string(backup_path(&path)).unwrap(),
            "{ /* old */ }"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let error = write(&path, "{ models: { mode: 'sideways' } }").unwrap_err();
        assert!(
            error.message().contains("left unchanged"),
            "{}",
            error.message()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ a: 1 }");
    }
}
