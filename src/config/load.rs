//! Reading the config file: JSON5 with positions, `${VAR}` substitution,
//! and errors that name the file, line and column.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{Config, TextError};
use crate::error::{Error, Result};

/// Load the config at `path`; a missing file is an empty config.
pub fn load(path: &Path) -> Result<Config> {
    let Some(text) = read_text(path)? else {
        super::env::install_config_env(HashMap::new(), None);
        return Ok(Config::default());
    };
    // The size and nesting checks run before the `env` block is read: the
    // JSON5 parser recurses.
    if !text.trim().is_empty() {
        if let Err(error) = super::edit::check_syntax(&text) {
            return Err(
                Error::config(format!("invalid config {}:{error}", path.display()))
                    .with_hint("fix the file, or point OPENCLAW_CONFIG_PATH at another one"),
            );
        }
    }
    install_env_block(&text);
    let config = parse(&text).map_err(|problem| {
        Error::config(format!("invalid config {}:{problem}", path.display()))
            .with_hint("fix the file, or point OPENCLAW_CONFIG_PATH at another one")
    })?;
    config.register_secrets();
    Ok(config)
}

/// The config file's text; `None` when it does not exist. A directory,
/// device or FIFO is refused, and so is a file over the size cap, before
/// anything is read.
pub fn read_text(path: &Path) -> Result<Option<String>> {
    let cap = super::edit::MAX_CONFIG_BYTES as u64;
    match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Ok(metadata) if !metadata.is_file() => {
            return Err(Error::config(format!(
                "config {} is not a regular file",
                path.display()
            )));
        }
        Ok(metadata) if metadata.len() > cap => {
            return Err(Error::config(format!(
                "config {} is {} bytes; at most {cap} are read",
                path.display(),
                metadata.len()
            )));
        }
        _ => {}
    }
    let bytes = crate::input::read_file(path, "config", cap).map_err(Error::into_config)?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::config(format!("config {} is not UTF-8 text", path.display())))
}

/// The `env` block alone, read before the rest so its `vars` can fill the
/// `${VAR}`s of the other sections.
#[derive(Debug, Default, Deserialize)]
struct EnvOnly {
    #[serde(default)]
    env: EnvBlock,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvBlock {
    #[serde(default)]
    vars: HashMap<String, serde_json::Value>,
    shell_env: Option<ShellEnv>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShellEnv {
    #[serde(default)]
    enabled: bool,
    timeout_ms: Option<u64>,
}

/// Hand `env.vars` and `env.shellEnv` to `env` (a broken file is reported
/// by the full parse instead).
fn install_env_block(text: &str) {
    let mut deserializer = json5::Deserializer::from_str(text);
    let Ok(block) = EnvOnly::deserialize(&mut deserializer).map(|only| only.env) else {
        super::env::install_config_env(HashMap::new(), None);
        return;
    };
    let vars = block
        .vars
        .into_iter()
        .filter_map(|(name, value)| match value {
            serde_json::Value::String(text) => Some((name, text)),
            serde_json::Value::Number(number) => Some((name, number.to_string())),
            serde_json::Value::Bool(flag) => Some((name, flag.to_string())),
            _ => None,
        })
        .collect();
    let shell = block
        .shell_env
        .filter(|shell| shell.enabled)
        .map(|shell| Duration::from_millis(shell.timeout_ms.unwrap_or(15_000).min(120_000)));
    super::env::install_config_env(vars, shell);
}

/// Parse config text; the error reads `line:column: at <path>: <what>`.
pub fn parse(text: &str) -> std::result::Result<Config, TextError> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    // Nesting, size and text after the top-level value first: the JSON5
    // parser recurses and stops at the end of the first value.
    super::edit::check_syntax(text)?;
    let mut deserializer = json5::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        let mut what = inner.to_string();
        let (line, column) = match inner.position() {
            Some(position) => {
                let suffix = format!(" at {position}");
                if let Some(stripped) = what.strip_suffix(&suffix) {
                    what = stripped.to_owned();
                }
                (position.line + 1, position.column + 1)
            }
            None => (0, 0),
        };
        TextError {
            line,
            column,
            path: if field == "." { String::new() } else { field },
            message: what,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Api;

    #[test]
    fn parses_the_spec_example() {
        let config = parse(
            r#"{
  // comments and trailing commas are JSON5
  agents: { defaults: {
    model: { primary: "huggingface/deepseek-ai/DeepSeek-R1", fallbacks: ["huggingface/Qwen/Qwen3-8B"] },
    models: { "huggingface/deepseek-ai/DeepSeek-R1": { alias: "DeepSeek R1" } },
  } },
  models: { mode: "merge", providers: {
    myllm: { baseUrl: "http://127.0.0.1:8080/v1", apiKey: "$${NOT_SUBSTITUTED}", api: "openai-completions",
             models: [{ id: "m1", name: "M1", input: ["text", "image"], contextWindow: 32768 }] },
  } },
  gateway: { port: 18789 },
}"#,
        )
        .unwrap();
        let model = config.agents.defaults.model.as_ref().unwrap();
        assert_eq!(model.primary(), Some("huggingface/deepseek-ai/DeepSeek-R1"));
        assert_eq!(model.fallbacks(), ["huggingface/Qwen/Qwen3-8B"]);
        let provider = &config.models.providers["myllm"];
        assert_eq!(provider.api, Some(Api::OpenAiCompletions));
        assert_eq!(provider.api_key.as_deref(), Some("${NOT_SUBSTITUTED}"));
        assert_eq!(provider.models[0].context_window, Some(32768));
        assert_eq!(config.gateway.unwrap()["port"], 18789);
    }

    #[test]
    fn model_may_be_a_plain_string() {
        let config = parse(r#"{agents: {defaults: {model: "openai/gpt-5.4"}}}"#).unwrap();
        assert_eq!(
            config.agents.defaults.model.unwrap().primary(),
            Some("openai/gpt-5.4")
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let error = parse("{\n  models: {\n    mode: merge\n  }\n}")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("3:"), "{error}");
    }

    #[test]
    fn wrong_value_names_field_line_and_column() {
        let error = parse("{\n  models: {\n    providers: { x: { api: \"grpc\" } }\n  }\n}")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("3:"), "{error}");
        assert!(error.contains("models.providers.x.api"), "{error}");
        assert!(error.contains("grpc"), "{error}");
    }

    #[test]
    fn deep_nesting_is_an_error_with_a_position_not_a_stack_overflow() {
        for open in ["[", "{a:"] {
            let text = format!("{{\n x: {}", open.repeat(100_000));
            let error = parse(&text).unwrap_err().to_string();
            assert!(error.starts_with("2:"), "{error}");
            assert!(error.contains("deeper than 128"), "{error}");
        }
    }

    #[test]
    fn text_after_the_value_is_an_error() {
        let error = parse("{ agents: {} }\n{}").unwrap_err().to_string();
        assert!(error.starts_with("2:1:"), "{error}");
    }

    proptest::proptest! {
        #[test]
        fn the_loader_never_panics_on_any_text(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn the_loader_never_panics_on_config_shaped_text(
            text in "[\\[\\]{}:,\"'a-zA-Z0-9 .eE+\\-\n/*$]{0,300}",
            number in proptest::num::f64::ANY,
        ) {
            let _ = parse(&text);
            let _ = parse(&format!("{{agents: {{defaults: {{timeoutSeconds: {number}, mediaMaxMb: {number}}}}}}}"));
            let _ = parse(&format!("{{models: {{providers: {{p: {{timeoutSeconds: {number}, models: [{{id: 'm', temperature: {number}}}]}}}}}}}}"));
        }
    }

    #[test]
    fn missing_variable_is_reported_where_it_is_used() {
        let error = parse(
            "{\n models: { providers: { x: {\n  apiKey: \"${OPENCLAW_SURELY_UNSET_VAR}\" } } } }",
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("3:"), "{error}");
        assert!(error.contains("OPENCLAW_SURELY_UNSET_VAR"), "{error}");
    }
}
