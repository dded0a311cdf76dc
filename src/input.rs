//! Reading the files and stdin a command takes as input: regular files
//! only (a FIFO, directory or device such as `/dev/zero` is refused before
//! any read), and never more than a cap, so no input can eat the memory.

use std::io::Read;
use std::path::Path;

use crate::config::{bounds, env};
use crate::error::{Error, Result};

/// Default cap on a prompt (`--prompt @file`, stdin) and an image `--file`.
pub const DEFAULT_MAX_INPUT_MB: u64 = 64;

/// The cap on prompt text and image files: `OPENCLAW_MAX_INPUT_MB`
/// (1 to 4096), else 64 MiB.
pub fn max_input_bytes() -> Result<u64> {
    let mb = bounds::env_u64(env::MAX_INPUT_MB, 1, 4096)?.unwrap_or(DEFAULT_MAX_INPUT_MB);
    Ok(mb * 1024 * 1024)
}

/// The whole of `path`, which must be a regular file (symlinks followed)
/// of at most `cap` bytes. Errors are usage errors naming `flag` and the file.
pub fn read_file(path: &Path, flag: &str, cap: u64) -> Result<Vec<u8>> {
    let shown = path.display();
    let cannot =
        |error: std::io::Error| Error::usage(format!("cannot read {flag} {shown}: {error}"));
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    if !metadata.is_file() {
        let kind = if metadata.is_dir() {
            "a directory"
        } else {
            "not a regular file (a pipe, socket or device)"
        };
        return Err(Error::usage(format!("{flag} {shown} is {kind}"))
            .with_hint("pass a regular file, or `-` to read stdin where the flag allows it"));
    }
    if metadata.len() > cap {
        return Err(too_big(flag, &shown.to_string(), cap));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    // The file may grow after the size check: read one byte past the cap.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > cap {
        return Err(too_big(flag, &shown.to_string(), cap));
    }
    Ok(bytes)
}

/// `read_file` as UTF-8 text.
pub fn read_text(path: &Path, flag: &str, cap: u64) -> Result<String> {
    let bytes = read_file(path, flag, cap)?;
    String::from_utf8(bytes)
        .map_err(|_| Error::usage(format!("{flag} {} is not UTF-8 text", path.display())))
}

/// All of stdin, up to `cap` bytes, read without blocking the runtime so a
/// signal still ends the run while it waits.
pub async fn read_stdin(what: &str, cap: u64) -> Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    tokio::io::stdin()
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|error| Error::usage(format!("cannot read {what} from stdin: {error}")))?;
    if bytes.len() as u64 > cap {
        return Err(too_big(what, "on stdin", cap));
    }
    Ok(bytes)
}

/// All of stdin up to `cap` bytes, blocking (for commands without a runtime).
pub fn read_stdin_blocking(what: &str, cap: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| Error::usage(format!("cannot read {what} from stdin: {error}")))?;
    if bytes.len() as u64 > cap {
        return Err(too_big(what, "on stdin", cap));
    }
    Ok(bytes)
}

fn too_big(flag: &str, shown: &str, cap: u64) -> Error {
    Error::usage(format!(
        "{flag} {shown} is larger than the {} limit",
        human(cap)
    ))
    .with_hint(format!(
        "raise {} (in MB) if this input is meant to be this large",
        env::MAX_INPUT_MB
    ))
}

fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_fifos_are_refused() {
        let error = read_file(Path::new("/dev/zero"), "--file", 1024).unwrap_err();
        assert!(
            error
                .message()
                .contains("--file /dev/zero is not a regular file"),
            "{}",
            error.message()
        );
        let dir = tempfile::tempdir().unwrap();
        let error = read_file(dir.path(), "--file", 1024).unwrap_err();
        assert!(
            error.message().contains("is a directory"),
            "{}",
            error.message()
        );
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if status.is_ok_and(|s| s.success()) {
            let error = read_file(&fifo, "--prompt", 1024).unwrap_err();
            assert!(
                error.message().contains("not a regular file"),
                "{}",
                error.message()
            );
        }
    }

    #[test]
    fn files_over_the_cap_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        std::fs::write(&path, vec![b'a'; 2048]).unwrap();
        let error = read_file(&path, "--prompt", 1024).unwrap_err();
        assert!(error.message().contains("--prompt"), "{}", error.message());
        assert!(
            error.message().contains("larger than"),
            "{}",
            error.message()
        );
        assert_eq!(read_file(&path, "--prompt", 4096).unwrap().len(), 2048);
    }
}
