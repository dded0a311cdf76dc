//! Advisory file locks that serialise the read-modify-write of a state
//! file (config, auth profiles) between processes, and the clean-up of temp
//! copies a killed writer left behind.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `<dir>/.<name>.lock`: the lock of `target`. It is never deleted, so two
/// processes always lock the same inode.
fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "openclaw".to_owned());
    target.with_file_name(format!(".{name}.lock"))
}

/// Run `work` while holding the exclusive lock of `target`: it must re-read
/// the file itself, so nothing another process wrote in between is lost.
/// Temp copies of `target` left by a writer killed mid-write are removed
/// first (only writers holding this lock make them).
pub fn with_lock<T>(target: &Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    let path = lock_path(target);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|error| Error::io(format!("cannot create {}: {error}", dir.display())))?;
    }
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file: File = options
        .open(&path)
        .map_err(|error| Error::io(format!("cannot open lock {}: {error}", path.display())))?;
    lock_exclusive(&file)
        .map_err(|error| Error::io(format!("cannot lock {}: {error}", path.display())))?;
    remove_stale_temps(target);
    let result = work();
    // Closing the file releases the lock, also when `work` failed.
    drop(file);
    result
}

/// Wait for the exclusive `flock` of `file`; the kernel drops it when the
/// descriptor closes, including when the process is killed.
#[cfg(unix)]
fn lock_exclusive(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: `flock` only reads the descriptor, which `file` keeps
        // open for the whole call.
        let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if status == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// No advisory lock off Unix: writes stay atomic, but concurrent edits
/// are not serialised.
#[cfg(not(unix))]
fn lock_exclusive(_file: &File) -> std::io::Result<()> {
    Ok(())
}

/// Temp copies of `target` (and of its `.bak`) that a killed writer left:
/// they may hold secrets, and no live writer owns them while we hold the lock.
pub fn remove_stale_temps(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let name = name.to_string_lossy();
    let prefixes = [
        crate::media::temp_prefix(&name),
        crate::media::temp_prefix(&format!("{name}.bak")),
    ];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if prefixes.iter().any(|p| file_name.starts_with(p.as_str())) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temps_of_the_file_are_removed_under_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("openclaw.json");
        let stale = dir.path().join(".openclaw-openclaw.json.tmp-abc123");
        let stale_bak = dir.path().join(".openclaw-openclaw.json.bak.tmp-xyz");
        let other = dir.path().join(".openclaw-other.json.tmp-abc123");
        for path in [&stale, &stale_bak, &other] {
            std::fs::write(path, "{apiKey: 'sk-secret'}").unwrap();
        }
        let seen = with_lock(&target, || Ok(std::fs::exists(&stale).unwrap())).unwrap();
        assert!(!seen);
        assert!(!stale_bak.exists());
        assert!(other.exists());
        assert!(dir.path().join(".openclaw.json.lock").exists());
    }
}
