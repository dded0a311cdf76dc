//! The reference tool's config JSON Schema, bundled: what `config schema`
//! prints and what `config validate` checks a file against. Its
//! documentation strings are stripped and the rest is gzipped (about 30 KB);
//! `scripts/update-reference-schema.py` regenerates it from the pinned
//! reference. Only those two commands decompress and parse it.

use std::io::Read;

use serde_json::Value;

use crate::error::{Error, Result};

static SCHEMA_GZ: &[u8] = include_bytes!("reference-schema.json.gz");

/// The schema as JSON text (minified).
pub fn text() -> Result<String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(SCHEMA_GZ)
        .read_to_string(&mut text)
        .map_err(|error| Error::io(format!("the bundled config schema is damaged: {error}")))?;
    Ok(text)
}

pub fn value() -> Result<Value> {
    serde_json::from_str(&text()?)
        .map_err(|error| Error::io(format!("the bundled config schema is damaged: {error}")))
}

/// One way the config breaks the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dot path of the offending value (`agents.defaults.timeoutSeconds`).
    pub path: Vec<String>,
    pub message: String,
}

/// Every place `config` breaks the schema. An unknown key is reported at
/// the key itself, with the closest known key as a suggestion.
pub fn check(schema: &Value, config: &Value) -> Result<Vec<Problem>> {
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|error| {
            Error::io(format!(
                "the bundled config schema does not compile: {error}"
            ))
        })?;
    let mut problems = Vec::new();
    for error in validator.iter_errors(config) {
        let path: Vec<String> = pointer_segments(error.instance_path().as_str());
        match error.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = known_keys(schema, error.schema_path().as_str());
                for key in unexpected {
                    let mut message = format!("unknown key `{key}`");
                    let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
                    if let Some(close) = super::validate::closest(key, &candidates) {
                        message.push_str(&format!(" (did you mean `{close}`?)"));
                    }
                    let mut at = path.clone();
                    at.push(key.clone());
                    problems.push(Problem { path: at, message });
                }
            }
            _ => problems.push(Problem {
                path,
                message: error.to_string(),
            }),
        }
    }
    Ok(problems)
}

fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The `properties` beside the `additionalProperties` keyword that failed.
fn known_keys(schema: &Value, schema_path: &str) -> Vec<String> {
    let parent = schema_path
        .strip_suffix("/additionalProperties")
        .unwrap_or(schema_path);
    schema
        .pointer(parent)
        .and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_bundled_schema_decompresses_and_compiles() {
        let schema = value().unwrap();
        assert!(schema["properties"]["models"].is_object());
        assert!(check(&schema, &json!({})).unwrap().is_empty());
    }

    #[test]
    fn an_unknown_top_level_key_gets_a_suggestion() {
        let schema = value().unwrap();
        let problems = check(&schema, &json!({"modles": {}})).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, ["modles"]);
        assert!(
            problems[0].message.contains("did you mean `models`"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn a_provider_config_from_the_reference_docs_is_accepted() {
        let schema = value().unwrap();
        let config = json!({"models": {"mode": "merge", "providers": {"minimax": {
            "baseUrl": "https://api.minimax.io/anthropic", "apiKey": "${MINIMAX_API_KEY}",
            "api": "anthropic-messages",
            "models": [{"id": "MiniMax-M2.7", "name": "MiniMax M2.7", "reasoning": true,
                "input": ["text"], "cost": {"input": 0.3, "output": 1.2, "cacheRead": 0.03, "cacheWrite": 0.12},
                "contextWindow": 200000, "maxTokens": 8192}]}}},
            "agents": {"defaults": {"model": {"primary": "minimax/MiniMax-M2.7"}}}});
        assert_eq!(check(&schema, &config).unwrap(), []);
    }

    #[test]
    fn a_wrong_type_is_reported_at_its_path() {
        let schema = value().unwrap();
        let problems = check(
            &schema,
            &json!({"agents": {"defaults": {"timeoutSeconds": "soon"}}}),
        )
        .unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.path == ["agents", "defaults", "timeoutSeconds"]),
            "{problems:?}"
        );
    }
}
