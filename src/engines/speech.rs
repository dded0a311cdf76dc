//! Local speech synthesis by child process: `piper -m VOICE.onnx -f OUT.wav`
//! (text on stdin), else `espeak-ng -w OUT.wav --stdin`. Both write 16-bit
//! mono WAV; other formats are converted with `ffmpeg`, else `sox`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::capabilities::tts::{Speech, SpeechRequest, TtsProviderConfig};
use crate::config::env;
use crate::error::{Error, Reason, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    Piper {
        command: PathBuf,
        voice: PathBuf,
    },
    Espeak {
        command: PathBuf,
        voice: Option<String>,
    },
}

impl Engine {
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Piper { .. } => "piper",
            Engine::Espeak { .. } => "espeak-ng",
        }
    }
}

/// `~/x` against the home directory (`OPENCLAW_HOME`, else `HOME`).
fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => env::var(env::HOME)
            .or_else(|| std::env::home_dir().map(|h| h.to_string_lossy().into_owned()))
            .map_or_else(|| PathBuf::from(path), |home| Path::new(&home).join(rest)),
        None => PathBuf::from(path),
    }
}

/// An executable by path, or found on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let candidate = Path::new(name);
    if candidate.components().count() > 1 {
        return candidate.is_file().then(|| candidate.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Pick the engine: piper when its command and a voice file are there
/// (voice from `--voice PATH.onnx`, `providers.local.voice`, or
/// `OPENCLAW_PIPER_VOICE`), else espeak-ng (`--voice` is its voice name).
pub fn engine(settings: &TtsProviderConfig, voice_flag: Option<&str>) -> Result<Engine> {
    let wanted = settings.engine.as_deref().map(str::to_ascii_lowercase);
    let voice = voice_flag.or(settings.voice());
    let piper_voice = voice
        .filter(|v| v.ends_with(".onnx"))
        .map(expand_home)
        .or_else(|| env::var(env::PIPER_VOICE).map(|v| expand_home(&v)));
    let command = settings
        .command
        .as_ref()
        .map(|c| expand_home(&c.0).to_string_lossy().into_owned());
    if wanted.as_deref() != Some("espeak-ng") {
        let piper = which(
            command
                .as_deref()
                .filter(|_| wanted.as_deref() != Some("espeak-ng"))
                .unwrap_or("piper"),
        );
        match (piper, piper_voice) {
            (Some(command), Some(voice)) if voice.is_file() => {
                return Ok(Engine::Piper { command, voice });
            }
            (_, Some(voice)) if wanted.as_deref() == Some("piper") && !voice.is_file() => {
                return Err(Error::usage(format!(
                    "piper voice file {} does not exist",
                    voice.display()
                )));
            }
            _ if wanted.as_deref() == Some("piper") => {
                return Err(Error::unsupported("the `piper` engine needs the `piper` command and a voice `.onnx` file")
                    .with_hint("set `messages.tts.providers.local.voice` (or OPENCLAW_PIPER_VOICE) to a piper voice, or run scripts/setup-engines.sh tts"));
            }
            _ => {}
        }
    }
    let espeak_command = if wanted.as_deref() == Some("espeak-ng") {
        command.as_deref()
    } else {
        None
    };
    match which(espeak_command.unwrap_or("espeak-ng")) {
        Some(command) => Ok(Engine::Espeak {
            command,
            voice: voice.filter(|v| !v.ends_with(".onnx")).map(str::to_owned),
        }),
        None => Err(Error::unsupported(
            "no local speech engine found: neither `piper` (with a voice file) nor `espeak-ng`",
        )
        .with_hint("install one (scripts/setup-engines.sh tts, or `apt-get install espeak-ng`)")),
    }
}

/// The converter for a non-WAV format, checked before any synthesis.
pub fn converter(format: &str) -> Result<Option<PathBuf>> {
    if format == "wav" {
        return Ok(None);
    }
    if let Some(ffmpeg) = which("ffmpeg") {
        return Ok(Some(ffmpeg));
    }
    let Some(sox) = which("sox") else {
        return Err(Error::usage(format!(
            "the local engine writes WAV; `.{format}` needs `ffmpeg` or `sox`, and neither is installed"
        ))
        .with_hint("use `--output file.wav`, or install ffmpeg or sox"));
    };
    // sox lists the file types it can write under "AUDIO FILE FORMATS:".
    let help = std::process::Command::new(&sox)
        .arg("-h")
        .stdin(Stdio::null())
        .output()
        .ok();
    let formats = help
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("AUDIO FILE FORMATS:").map(str::to_owned))
        })
        .unwrap_or_default();
    if formats.split_whitespace().any(|f| f == format) {
        Ok(Some(sox))
    } else {
        Err(Error::usage(format!(
            "the local engine writes WAV; this `sox` cannot write `.{format}` and `ffmpeg` is not installed"
        ))
        .with_hint("use `--output file.wav`, or install ffmpeg (or libsox-fmt-all for sox)"))
    }
}

pub async fn synthesize(
    settings: &TtsProviderConfig,
    request: &SpeechRequest<'_>,
    timeout: Duration,
) -> Result<Speech> {
    let engine = engine(settings, request.voice)?;
    let converter = converter(request.format)?;
    let work =
        tempfile::tempdir().map_err(|e| Error::io(format!("cannot make a temp dir: {e}")))?;
    let wav_path = work.path().join("speech.wav");
    let (mut command, voice) = match &engine {
        Engine::Piper { command, voice } => {
            let mut c = tokio::process::Command::new(command);
            c.arg("-m").arg(voice).arg("-f").arg(&wav_path);
            let name = voice
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            (c, name)
        }
        Engine::Espeak { command, voice } => {
            let mut c = tokio::process::Command::new(command);
            c.arg("-w").arg(&wav_path);
            if let Some(voice) = voice {
                c.arg("-v").arg(voice);
            }
            c.arg("--stdin");
            (c, voice.clone().unwrap_or_else(|| "default".to_owned()))
        }
    };
    run(&mut command, Some(request.text), timeout, engine.name()).await?;
    let mut bytes = std::fs::read(&wav_path).map_err(|e| {
        Error::provider(
            Reason::Unknown,
            format!("{} wrote no audio: {e}", engine.name()),
        )
    })?;
    if bytes.len() <= 44 {
        return Err(Error::provider(
            Reason::Unknown,
            format!("{} produced an empty recording", engine.name()),
        ));
    }
    if let Some(converter) = converter {
        let out = work.path().join(format!("speech.{}", request.format));
        let mut convert = tokio::process::Command::new(&converter);
        let is_ffmpeg = converter.file_name().is_some_and(|n| n == "ffmpeg");
        if is_ffmpeg {
            convert
                .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
                .arg(&wav_path);
            if matches!(request.format, "ogg" | "opus") {
                convert.args(["-c:a", "libopus"]);
            }
            convert.arg(&out);
        } else {
            convert.arg(&wav_path).arg(&out);
        }
        run(
            &mut convert,
            None,
            timeout,
            if is_ffmpeg { "ffmpeg" } else { "sox" },
        )
        .await?;
        bytes = std::fs::read(&out)
            .map_err(|e| Error::io(format!("conversion to .{} failed: {e}", request.format)))?;
    }
    Ok(Speech {
        bytes,
        model: engine.name().to_owned(),
        voice,
    })
}

async fn run(
    command: &mut tokio::process::Command,
    stdin: Option<&str>,
    timeout: Duration,
    name: &str,
) -> Result<()> {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| Error::provider(Reason::Unknown, format!("cannot start {name}: {e}")))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .await
            .map_err(|e| Error::io(format!("cannot feed {name}: {e}")))?;
        drop(pipe);
    }
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| {
            Error::provider(
                Reason::Timeout,
                format!("{name} did not finish in {} s", timeout.as_secs()),
            )
        })?
        .map_err(|e| Error::provider(Reason::Unknown, format!("{name} failed: {e}")))?;
    if !output.status.success() {
        let detail = String::from_utf8_lossy(&output.stderr);
        let detail: String = detail.trim().chars().take(300).collect();
        return Err(Error::provider(
            Reason::Unknown,
            format!("{name} failed ({}): {detail}", output.status),
        ));
    }
    Ok(())
}

/// The piper voice in use (if any), then espeak-ng's voice list.
pub async fn voices(settings: &TtsProviderConfig) -> Result<Vec<(String, String)>> {
    let mut list = Vec::new();
    if let Ok(Engine::Piper { voice, .. }) = engine(settings, None) {
        let name = voice
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        list.push((voice.display().to_string(), format!("piper {name}")));
    }
    if let Some(espeak) = which("espeak-ng") {
        let output = tokio::process::Command::new(espeak)
            .arg("--voices")
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| Error::io(format!("cannot run espeak-ng: {e}")))?;
        // Columns: Pty Language Age/Gender VoiceName File Other...
        for line in String::from_utf8_lossy(&output.stdout).lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() >= 4 {
                list.push((fields[1].to_owned(), format!("espeak-ng {}", fields[3])));
            }
        }
    }
    if list.is_empty() {
        return Err(Error::unsupported("no local speech engine found")
            .with_hint("run scripts/setup-engines.sh tts"));
    }
    Ok(list)
}
