//! Every environment variable openclaw reads, in one place, and the lookup
//! that layers `~/.openclaw/.env` under the real environment.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// Path of the config file (overrides `<state dir>/openclaw.json`).
pub const CONFIG_PATH: &str = "OPENCLAW_CONFIG_PATH";
/// The state directory (default `~/.openclaw`).
pub const STATE_DIR: &str = "OPENCLAW_STATE_DIR";
/// The home directory used to resolve `~` paths.
pub const HOME: &str = "OPENCLAW_HOME";
/// Profile name: state under `~/.openclaw-<name>`.
pub const PROFILE: &str = "OPENCLAW_PROFILE";
/// Log level for stderr diagnostics.
pub const LOG_LEVEL: &str = "OPENCLAW_LOG_LEVEL";
/// Any value turns colour off.
pub const NO_COLOR: &str = "NO_COLOR";
/// Any value but `0` forces colour on.
pub const FORCE_COLOR: &str = "FORCE_COLOR";
/// `--gateway`: the gateway's WebSocket URL; then only the env token or password is used.
pub const GATEWAY_URL: &str = "OPENCLAW_GATEWAY_URL";
/// `--gateway`: the loopback port when no URL is set.
pub const GATEWAY_PORT: &str = "OPENCLAW_GATEWAY_PORT";
/// `--gateway`: the shared token (after `gateway.auth.token` for a local gateway).
pub const GATEWAY_TOKEN: &str = "OPENCLAW_GATEWAY_TOKEN";
/// `--gateway`: the shared password, when no token is set.
pub const GATEWAY_PASSWORD: &str = "OPENCLAW_GATEWAY_PASSWORD";
/// A PEM bundle of extra trusted CA certificates.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// A directory of extra trusted CA certificates (PEM).
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";
/// Tests set this to a PEM file that stands in for the OS trust store.
pub const TEST_OS_CA_FILE: &str = "OPENCLAW_TEST_OS_CA_FILE";
/// `1` makes the config file read-only: every writer refuses.
pub const CONFIG_READONLY: &str = "OPENCLAW_CONFIG_READONLY";
/// The piper voice (`.onnx`) used by the `local` speech engine.
pub const PIPER_VOICE: &str = "OPENCLAW_PIPER_VOICE";
/// Directory of the `local` embedding model (`model.onnx` + tokenizer files).
pub const LOCAL_EMBEDDING_MODEL: &str = "OPENCLAW_LOCAL_EMBEDDING_MODEL";
/// The ONNX Runtime shared library for `local` embeddings (read by `ort` itself).
pub const ORT_DYLIB_PATH: &str = "ORT_DYLIB_PATH";
/// Milliseconds without a byte from a server before a request fails.
pub const STALL_TIMEOUT_MS: &str = "OPENCLAW_STALL_TIMEOUT_MS";
/// Cap in MB on a prompt (`--prompt @file`, stdin) and an image `--file`.
pub const MAX_INPUT_MB: &str = "OPENCLAW_MAX_INPUT_MB";
/// Debug builds only: any value makes the process panic at start, so tests
/// can check the panic hook.
#[cfg(debug_assertions)]
pub const TEST_PANIC: &str = "OPENCLAW_TEST_PANIC";
/// Tests set this to skip the pause between retries.
pub const TEST_NO_RETRY_DELAY: &str = "OPENCLAW_TEST_NO_RETRY_DELAY";
/// Tests set this to take the path of a CPU without the instructions the
/// in-process llama.cpp needs (AVX2...), which the test machine has.
pub const TEST_CPU_WITHOUT_AVX2: &str = "OPENCLAW_TEST_CPU_WITHOUT_AVX2";

/// SearXNG instance for `web search` when no `baseUrl` is configured.
pub const SEARXNG_BASE_URL: &str = "SEARXNG_BASE_URL";
/// Brave Search API key.
pub const BRAVE_API_KEY: &str = "BRAVE_API_KEY";
/// Tavily API key.
pub const TAVILY_API_KEY: &str = "TAVILY_API_KEY";
/// Tavily endpoint when no `baseUrl` is configured.
pub const TAVILY_BASE_URL: &str = "TAVILY_BASE_URL";
/// Ollama's cloud key (its hosted web search, and Ollama Cloud models).
pub const OLLAMA_API_KEY: &str = "OLLAMA_API_KEY";
/// Exa API key.
pub const EXA_API_KEY: &str = "EXA_API_KEY";
/// Perplexity Search API key.
pub const PERPLEXITY_API_KEY: &str = "PERPLEXITY_API_KEY";
/// Firecrawl API key (scrape for `web fetch --provider firecrawl`).
pub const FIRECRAWL_API_KEY: &str = "FIRECRAWL_API_KEY";
/// Firecrawl endpoint when no `baseUrl` is configured.
pub const FIRECRAWL_BASE_URL: &str = "FIRECRAWL_BASE_URL";

static DOTENV: OnceLock<HashMap<String, String>> = OnceLock::new();

/// Load `.env` once; values fill only variables the environment lacks.
pub fn load_dotenv(path: &Path) {
    DOTENV.get_or_init(|| match std::fs::read_to_string(path) {
        Ok(text) => {
            let values = parse_dotenv(&text);
            for (name, value) in &values {
                if crate::redact::is_secret_name(name) {
                    crate::redact::register(value);
                }
            }
            values
        }
        Err(_) => HashMap::new(),
    });
}

/// The config's `env.vars`, the layer below `.env`.
static CONFIG_VARS: OnceLock<HashMap<String, String>> = OnceLock::new();
/// `env.shellEnv`: whether to ask the login shell, and for how long.
static SHELL_IMPORT: OnceLock<Option<Duration>> = OnceLock::new();
/// The login shell's environment, read at most once, on the first miss.
static SHELL_VARS: OnceLock<HashMap<String, String>> = OnceLock::new();

/// Turns on the login-shell import (`OPENCLAW_LOAD_SHELL_ENV=1` does too).
pub const LOAD_SHELL_ENV: &str = "OPENCLAW_LOAD_SHELL_ENV";
/// The reference's default wait for the login shell.
const SHELL_TIMEOUT: Duration = Duration::from_millis(15_000);
/// More than any real environment; a shell printing more is cut off.
const SHELL_OUTPUT_LIMIT: usize = 1 << 20;

/// Install the config's `env` block: `vars` fill only variables that the
/// environment and `.env` lack; `shellEnv.enabled` imports a missing
/// variable from the login shell when it is first looked up. First call wins.
pub fn install_config_env(vars: HashMap<String, String>, shell: Option<Duration>) {
    CONFIG_VARS.get_or_init(|| vars);
    let from_env = std::env::var(LOAD_SHELL_ENV).is_ok_and(|v| v == "1" || v == "true");
    SHELL_IMPORT.get_or_init(|| shell.or(from_env.then_some(SHELL_TIMEOUT)));
}

/// A variable from the environment, else `.env`, else the config's
/// `env.vars`, else (when enabled) the login shell; empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    if let Ok(value) = std::env::var(name)
        && !value.is_empty()
    {
        return Some(value);
    }
    let layered = [DOTENV.get(), CONFIG_VARS.get()]
        .into_iter()
        .flatten()
        .find_map(|values| values.get(name).filter(|value| !value.is_empty()));
    if let Some(value) = layered {
        return Some(value.clone());
    }
    let timeout = (*SHELL_IMPORT.get()?)?;
    SHELL_VARS
        .get_or_init(|| login_shell_env(timeout))
        .get(name)
        .filter(|value| !value.is_empty())
        .cloned()
}

/// Run `$SHELL -l -c 'env -0'` (no stdin, bounded output, killed after
/// `timeout`) and parse what it prints; any failure is an empty map.
fn login_shell_env(timeout: Duration) -> HashMap<String, String> {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".to_owned());
    let Ok(mut child) = Command::new(&shell)
        .args(["-l", "-c", "env -0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return HashMap::new();
    };
    let Some(stdout) = child.stdout.take() else {
        return HashMap::new();
    };
    // Read on a thread so the wait is bounded even when the shell (or
    // something it started) keeps the pipe open.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout
            .take(SHELL_OUTPUT_LIMIT as u64)
            .read_to_end(&mut bytes);
        let _ = sender.send(bytes);
    });
    let bytes = receiver.recv_timeout(timeout);
    // Whatever is still running has had its chance (and its output is read).
    if !matches!(child.try_wait(), Ok(Some(_))) {
        let _ = child.kill();
    }
    let _ = child.wait();
    let Ok(bytes) = bytes else {
        return HashMap::new();
    };
    parse_env_nul(&bytes)
}

/// `NAME=value` records separated by NUL bytes (`env -0`).
fn parse_env_nul(bytes: &[u8]) -> HashMap<String, String> {
    bytes
        .split(|&b| b == 0)
        .filter_map(|record| {
            let text = std::str::from_utf8(record).ok()?;
            let (name, value) = text.split_once('=')?;
            (!name.is_empty() && !name.contains('\n')).then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// `KEY=value` lines; `#` comments, `export ` prefixes and quotes allowed.
fn parse_dotenv(text: &str) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            &value[1..value.len() - 1]
        } else {
            value.split(" #").next().unwrap_or(value).trim_end()
        };
        values.insert(key.trim().to_owned(), value.to_owned());
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_records_split_on_nul() {
        let parsed = parse_env_nul(b"A=1\0B=x=y\0bad\0C=multi\nline\0");
        assert_eq!(parsed.get("A").map(String::as_str), Some("1"));
        assert_eq!(parsed.get("B").map(String::as_str), Some("x=y"));
        assert_eq!(parsed.get("C").map(String::as_str), Some("multi\nline"));
        assert_eq!(parsed.len(), 3);
    }

    #[test]
    fn dotenv_lines() {
        let values = parse_dotenv(
            "# comment\nA=1\nexport B = two \nC=\"quoted # not comment\"\nD='x'\nE=v # trailing\nbroken\n",
        );
        assert_eq!(values["A"], "1");
        assert_eq!(values["B"], "two");
        assert_eq!(values["C"], "quoted # not comment");
        assert_eq!(values["D"], "x");
        assert_eq!(values["E"], "v");
        assert!(!values.contains_key("broken"));
    }
}
