//! `--resume`: which ids an earlier run already finished. A run killed
//! mid-write may leave a last line without its newline; that fragment is
//! cut off so the file holds whole records only.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::input::id_key;
use crate::error::{Error, Result};

/// The keys of ids recorded with `"ok": true` in `path` (none when the
/// file does not exist yet). Truncates a trailing partial line.
pub fn finished_ids(path: &Path) -> Result<HashSet<String>> {
    let cannot = |error: std::io::Error| {
        Error::usage(format!("cannot read --output {}: {error}", path.display()))
    };
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(error) => return Err(cannot(error)),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.last().is_some_and(|last| *last != b'\n') {
        let keep = bytes
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |at| at + 1);
        file.set_len(keep as u64).map_err(cannot)?;
        bytes.truncate(keep);
    }
    let mut finished = HashSet::new();
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(record) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if record.get("ok") == Some(&Value::Bool(true)) {
            if let Some(id) = record.get("id").filter(|id| !id.is_null()) {
                finished.insert(id_key(id));
            }
        }
    }
    Ok(finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_ids_are_kept_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            "{\"id\":1,\"ok\":true}\n{\"id\":\"b\",\"ok\":false}\n{\"id\":\"c\",\"ok\":true}\n{\"id\":4,\"ok\":tr",
        )
        .unwrap();
        let finished = finished_ids(&path).unwrap();
        assert!(finished.contains("1"));
        assert!(finished.contains("\"c\""));
        assert!(!finished.contains("\"b\""));
        assert_eq!(finished.len(), 2);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .ends_with("\"ok\":true}\n")
        );
    }

    #[test]
    fn a_missing_file_means_nothing_is_done() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            finished_ids(&dir.path().join("none.jsonl"))
                .unwrap()
                .is_empty()
        );
    }
}
