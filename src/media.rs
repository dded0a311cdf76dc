//! Media files: MIME types and image dimensions from bytes, and atomic
//! writes (temp file in the same directory, then rename) so a failed or
//! killed run leaves no partial file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

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
    let bytes = crate::input::read_file(path, "--file", crate::input::max_input_bytes()?)?;
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

/// The usual file extension for a MIME type (`image/jpeg` -> `jpg`).
pub fn extension_for(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        "video/x-matroska" => "mkv",
        _ => return None,
    })
}

/// Whether a file's extension already names `mime` (`.jpeg` counts as JPEG).
fn extension_matches(path: &Path, mime: &str) -> bool {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return false;
    };
    let ext = ext.to_ascii_lowercase();
    match mime {
        "image/jpeg" => ext == "jpg" || ext == "jpeg",
        "video/quicktime" => ext == "mov" || ext == "qt",
        other => extension_for(other) == Some(ext.as_str()),
    }
}

/// Width and height read from the image bytes, when the format is known.
pub fn image_dimensions(bytes: &[u8]) -> Option<(u64, u64)> {
    let size = imagesize::blob_size(bytes).ok()?;
    Some((size.width as u64, size.height as u64))
}

/// The path to write output `index` (0-based) of `total` to.
///
/// With `--output x.png`: one output is `x.png`, several are `x-1.png`,
/// `x-2.png`, ...; the extension follows the bytes' real type (a JPEG asked
/// for as `.png` becomes `.jpg`). Without `--output`: a timestamped name in
/// `default_dir`, e.g. `image-20260101-120000-1.png`.
pub fn output_path(
    requested: Option<&Path>,
    default_dir: &Path,
    stem_prefix: &str,
    index: usize,
    total: usize,
    mime: &str,
) -> PathBuf {
    let ext = extension_for(mime);
    match requested {
        Some(path) => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| stem_prefix.to_owned());
            let numbered = if total > 1 {
                format!("{stem}-{}", index + 1)
            } else {
                stem
            };
            let ext = if extension_matches(path, mime) {
                path.extension().map(|e| e.to_string_lossy().into_owned())
            } else {
                ext.map(str::to_owned)
                    .or_else(|| path.extension().map(|e| e.to_string_lossy().into_owned()))
            };
            let name = match ext {
                Some(ext) => format!("{numbered}.{ext}"),
                None => numbered,
            };
            path.with_file_name(name)
        }
        None => {
            let stamp = timestamp();
            let name = match (total > 1, ext) {
                (true, Some(ext)) => format!("{stem_prefix}-{stamp}-{}.{ext}", index + 1),
                (true, None) => format!("{stem_prefix}-{stamp}-{}", index + 1),
                (false, Some(ext)) => format!("{stem_prefix}-{stamp}.{ext}"),
                (false, None) => format!("{stem_prefix}-{stamp}"),
            };
            default_dir.join(name)
        }
    }
}

/// `YYYYMMDD-HHMMSS-mmm` in UTC, for default output names.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}-{:03}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A media file written by a generate command, as reported in `outputs`.
#[derive(Debug, Clone)]
pub struct WrittenMedia {
    pub path: PathBuf,
    pub mime_type: String,
    pub size: u64,
    pub dimensions: Option<(u64, u64)>,
}

impl WrittenMedia {
    /// `{path, mimeType, size, width?, height?}`; the path is absolute.
    pub fn to_json(&self) -> Value {
        let shown = std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone());
        let mut value = json!({
            "path": shown.display().to_string(),
            "mimeType": self.mime_type,
            "size": self.size,
        });
        if let Some((width, height)) = self.dimensions {
            value["width"] = json!(width);
            value["height"] = json!(height);
        }
        value
    }
}

/// Generated files, checked and then written: all-or-nothing. Every file
/// is checked before the first is written, and a failed write removes the
/// files this call already wrote.
pub fn write_outputs(
    items: &[(&[u8], &'static str)],
    requested: Option<&Path>,
    default_dir: &Path,
    stem_prefix: &str,
) -> Result<Vec<WrittenMedia>> {
    let total = items.len();
    let mut written: Vec<WrittenMedia> = Vec::new();
    for (index, (bytes, mime)) in items.iter().enumerate() {
        let path = output_path(requested, default_dir, stem_prefix, index, total, mime);
        if let Err(error) = write_atomic(&path, bytes, None) {
            for done in &written {
                let _ = std::fs::remove_file(&done.path);
            }
            return Err(error);
        }
        written.push(WrittenMedia {
            path,
            mime_type: (*mime).to_owned(),
            size: bytes.len() as u64,
            dimensions: if mime.starts_with("image/") {
                image_dimensions(bytes)
            } else {
                None
            },
        });
    }
    Ok(written)
}

/// Name prefix of the temp copies of a file called `name`:
/// `.openclaw-<name>.tmp-`, so the writers of that file can find and remove
/// copies a killed run left.
pub fn temp_prefix(name: &str) -> String {
    format!(".openclaw-{name}.tmp-")
}

/// Write `bytes` to `path` through a temp file in the same directory.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(directory)
        .map_err(|error| Error::io(format!("cannot create {}: {error}", directory.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file = tempfile::Builder::new()
        .prefix(&temp_prefix(&name))
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

/// What an MP4/MOV file says about itself: the first video track's width
/// and height (from `tkhd`) and the movie's duration in seconds (`mvhd`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VideoInfo {
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub duration_seconds: Option<f64>,
}

/// Read `VideoInfo` from the ISO-BMFF boxes of `bytes`; `None` when the
/// bytes are not such a file. Box sizes are checked, so any input is safe.
pub fn video_info(bytes: &[u8]) -> Option<VideoInfo> {
    let moov = find_box(bytes, b"moov")?;
    let mut info = VideoInfo::default();
    if let Some(mvhd) = find_box(moov, b"mvhd") {
        let (scale, duration) = match mvhd.first()? {
            1 => (be(mvhd, 20, 4)?, be(mvhd, 24, 8)?),
            _ => (be(mvhd, 12, 4)?, be(mvhd, 16, 4)?),
        };
        if scale > 0 && duration > 0 {
            info.duration_seconds = Some(duration as f64 / scale as f64);
        }
    }
    let mut rest = moov;
    while let Some((trak, after)) = next_box(rest, b"trak") {
        rest = after;
        let Some(tkhd) = find_box(trak, b"tkhd") else {
            continue;
        };
        let offset = if tkhd.first() == Some(&1) { 88 } else { 76 };
        // 16.16 fixed point; audio tracks have zero size.
        let (width, height) = (be(tkhd, offset, 4)? >> 16, be(tkhd, offset + 4, 4)? >> 16);
        if width > 0 && height > 0 {
            info.width = Some(width);
            info.height = Some(height);
            break;
        }
    }
    Some(info)
}

/// A big-endian unsigned number of `len` bytes at `at`.
fn be(bytes: &[u8], at: usize, len: usize) -> Option<u64> {
    let slice = bytes.get(at..at.checked_add(len)?)?;
    Some(slice.iter().fold(0, |n, b| (n << 8) | u64::from(*b)))
}

/// The body of the first `kind` box among the boxes of `bytes`.
fn find_box<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    next_box(bytes, kind).map(|(body, _)| body)
}

/// The body of the next `kind` box and the bytes after it.
fn next_box<'a>(mut bytes: &'a [u8], kind: &[u8; 4]) -> Option<(&'a [u8], &'a [u8])> {
    while bytes.len() >= 8 {
        let size = be(bytes, 0, 4)?;
        let (header, size) = match size {
            1 => (16, usize::try_from(be(bytes, 8, 8)?).ok()?),
            0 => (8, bytes.len()),
            n => (8, usize::try_from(n).ok()?),
        };
        if size < header || size > bytes.len() {
            return None;
        }
        if &bytes[4..8] == kind {
            return Some((&bytes[header..size], &bytes[size..]));
        }
        bytes = &bytes[size..];
    }
    None
}

#[cfg(test)]
mod tests {
    /// A box: size, kind, body.
    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn video_info_reads_size_and_duration_and_survives_garbage() {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&4500u32.to_be_bytes());
        let audio = mp4_box(b"tkhd", &[0u8; 84]);
        let mut tkhd = vec![0u8; 84];
        tkhd[76..80].copy_from_slice(&(1280u32 << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(720u32 << 16).to_be_bytes());
        let mut moov_body = mp4_box(b"mvhd", &mvhd);
        moov_body.extend(mp4_box(b"trak", &audio));
        moov_body.extend(mp4_box(b"trak", &mp4_box(b"tkhd", &tkhd)));
        let mut file = mp4_box(b"ftyp", b"isom\0\0\0\0");
        file.extend(mp4_box(b"moov", &moov_body));
        let info = super::video_info(&file).unwrap();
        assert_eq!((info.width, info.height), (Some(1280), Some(720)));
        assert_eq!(info.duration_seconds, Some(4.5));
        for cut in 0..file.len() {
            let _ = super::video_info(&file[..cut]);
        }
        assert!(super::video_info(b"not a video").is_none());
    }

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
        assert!(error.message().contains("a.png"));
        assert_eq!(error.exit_code(), 2);

        let missing = read_image(&dir.path().join("missing.png")).unwrap_err();
        assert!(missing.message().contains("missing.png"));
    }

    #[test]
    fn real_images_give_type_and_dimensions() {
        let png = test_images::png(3, 2);
        assert_eq!(sniff(&png), Some("image/png"));
        assert_eq!(image_dimensions(&png), Some((3, 2)));
        let jpeg = test_images::jpeg(640, 480);
        assert_eq!(sniff(&jpeg), Some("image/jpeg"));
        assert_eq!(image_dimensions(&jpeg), Some((640, 480)));
        let webp = test_images::webp(300, 200);
        assert_eq!(sniff(&webp), Some("image/webp"));
        assert_eq!(image_dimensions(&webp), Some((300, 200)));
        assert_eq!(image_dimensions(b"not an image"), None);
    }

    #[test]
    fn output_names_number_and_follow_the_bytes() {
        let dir = Path::new("/d");
        let asked = Path::new("out/x.png");
        assert_eq!(
            output_path(Some(asked), dir, "image", 0, 1, "image/png"),
            Path::new("out/x.png")
        );
        assert_eq!(
            output_path(Some(asked), dir, "image", 1, 2, "image/png"),
            Path::new("out/x-2.png")
        );
        assert_eq!(
            output_path(Some(asked), dir, "image", 0, 1, "image/jpeg"),
            Path::new("out/x.jpg")
        );
        assert_eq!(
            output_path(Some(Path::new("x.JPEG")), dir, "image", 0, 1, "image/jpeg"),
            Path::new("x.JPEG")
        );
        assert_eq!(
            output_path(Some(Path::new("noext")), dir, "image", 0, 1, "image/webp"),
            Path::new("noext.webp")
        );
        let default = output_path(None, dir, "image", 0, 2, "image/png");
        assert!(default.starts_with("/d"));
        let name = default.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("image-") && name.ends_with("-1.png"),
            "{name}"
        );
    }

    #[test]
    fn calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn outputs_are_written_with_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let png = test_images::png(4, 4);
        let jpeg = test_images::jpeg(8, 6);
        let asked = dir.path().join("pic.png");
        let written = write_outputs(
            &[(&png, "image/png"), (&jpeg, "image/jpeg")],
            Some(&asked),
            dir.path(),
            "image",
        )
        .unwrap();
        assert_eq!(written[0].path, dir.path().join("pic-1.png"));
        assert_eq!(written[1].path, dir.path().join("pic-2.jpg"));
        assert_eq!(written[1].dimensions, Some((8, 6)));
        assert_eq!(std::fs::read(&written[0].path).unwrap(), png);
        let json = written[1].to_json();
        assert_eq!(json["mimeType"], "image/jpeg");
        assert_eq!(json["width"], 8);
        // No temp files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(".openclaw-")),
            "{names:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let png = test_images::png(1, 1);
        // The second output's directory cannot exist (a file is in the way).
        let error = write_outputs(
            &[(&png, "image/png"), (&png, "image/png")],
            Some(&blocker.join("sub/x.png")),
            dir.path(),
            "image",
        );
        assert!(error.is_err());
        let count = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(count, 1, "only the blocker remains");
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

/// Small but well-formed images built byte by byte, for tests. One file
/// serves these unit tests and the integration tests.
#[cfg(test)]
#[path = "../tests/it/support/images.rs"]
#[allow(dead_code)] // the integration tests use the builders these do not
pub mod test_images;
