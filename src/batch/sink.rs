//! Where records go: stdout, or a file opened for appending. Each record
//! is one `write` of the whole line with its newline, so a reader (or a
//! run killed mid-way) never sees two records interleaved.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output;

pub enum Sink {
    Stdout,
    File { path: PathBuf, file: File },
}

impl Sink {
    /// `--output FILE`, created if missing, appended to otherwise.
    pub fn open(path: Option<&Path>) -> Result<Sink> {
        let Some(path) = path else {
            return Ok(Sink::Stdout);
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|error| {
                Error::usage(format!("cannot open --output {}: {error}", path.display()))
            })?;
        Ok(Sink::File {
            path: path.to_owned(),
            file,
        })
    }

    /// One record; `line` has no newline of its own.
    pub fn write(&mut self, line: &str) -> Result<()> {
        match self {
            Sink::Stdout => {
                output::record_line(line);
                Ok(())
            }
            Sink::File { path, file } => {
                let mut bytes = Vec::with_capacity(line.len() + 1);
                bytes.extend_from_slice(line.as_bytes());
                bytes.push(b'\n');
                file.write_all(&bytes).map_err(|error| {
                    Error::io(format!(
                        "cannot write to --output {}: {error}",
                        path.display()
                    ))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "{\"old\":1}\n").unwrap();
        let mut sink = Sink::open(Some(&path)).unwrap();
        sink.write("{\"new\":2}").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"old\":1}\n{\"new\":2}\n"
        );
    }
}
