//! Every environment variable openclaw reads, in one place, and the lookup
//! that layers `~/.openclaw/.env` under the real environment.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

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

/// A variable from the environment, else from `.env`; empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => DOTENV
            .get()
            .and_then(|values| values.get(name))
            .filter(|value| !value.is_empty())
            .cloned(),
    }
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
