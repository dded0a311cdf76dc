//! Media files: MIME types from bytes, and atomic writes (temp file in the
//! same directory, then rename) so a failed run leaves no partial file.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Image types every image-capable provider accepts.
pub const IMAGE_MIME_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/// The MIME type of the bytes, if recognised.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    infer::get(bytes).map(|kind| kind.mime_type())
}

/// An image file read and checked for `model run --file`.
#[derive(Debug, Clone)]
pub struct ImageFile {
    pub path: String,
    pub mime_type: &'static str,
    pub bytes: Vec<u8>,
}

pub fn read_image(path: &Path) -> Result<ImageFile> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|error| Error::usage(format!("cannot read --file {shown}: {error}")))?;
    let mime = sniff(&bytes);
    match mime {
        Some(mime) if IMAGE_MIME_TYPES.contains(&mime) => Ok(ImageFile {
            path: shown,
            mime_type: mime,
            bytes,
        }),
        Some(mime) if mime.starts_with("audio/") => Err(Error::usage(format!(
            "--file {shown} is audio ({mime}), not an image"
        ))
        .with_hint("use `openclaw infer audio transcribe --file ...` for audio")),
        Some(mime) if mime.starts_with("video/") => Err(Error::usage(format!(
            "--file {shown} is video ({mime}), not an image"
        ))
        .with_hint("use `openclaw infer video describe --file ...` for video")),
        other => Err(Error::usage(format!(
            "--file {shown} is not a supported image ({}); expected PNG, JPEG, WebP or GIF",
            other.unwrap_or("unrecognised type")
        ))
        .with_hint("audio goes to `infer audio transcribe`, video to `infer video describe`")),
    }
}

/// Write `bytes` to `path` through a temp file in the same directory.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(directory)
        .map_err(|error| Error::io(format!("cannot create {}: {error}", directory.display())))?;
    let mut file = tempfile::Builder::new()
        .prefix(".openclaw-")
        .tempfile_in(directory)
        .map_err(|error| Error::io(format!("cannot write in {}: {error}", directory.display())))?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|error| {
                Error::io(format!("cannot set mode on {}: {error}", path.display()))
            })?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|error| Error::io(format!("cannot write {}: {error}", path.display())))?;
    file.persist(path)
        .map_err(|error| Error::io(format!("cannot write {}: {}", path.display(), error.error)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_HEADER: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];

    #[test]
    fn images_are_recognised_and_others_refused() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.bin");
        std::fs::write(&png, PNG_HEADER).unwrap();
        assert_eq!(read_image(&png).unwrap().mime_type, "image/png");

        let text = dir.path().join("a.png");
        std::fs::write(&text, "just text").unwrap();
        let error = read_image(&text).unwrap_err();
        assert!(error.message.contains("a.png"));
        assert_eq!(error.exit_code(), 2);

        let missing = read_image(&dir.path().join("missing.png")).unwrap_err();
        assert!(missing.message.contains("missing.png"));
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_sets_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret.json");
        write_atomic(&path, b"{}", Some(0o600)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
    }
}
