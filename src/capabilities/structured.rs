//! `--schema`: structured output. The schema goes to the provider through
//! its native mode; the answer is still checked here, because not every
//! provider enforces it, and one repair try is allowed.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

pub struct OutputSchema {
    pub value: Value,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for OutputSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputSchema")
            .field("value", &self.value)
            .finish()
    }
}

impl OutputSchema {
    /// `--schema` is inline JSON (starts with `{`) or a file holding it.
    pub fn parse(argument: &str) -> Result<OutputSchema> {
        let trimmed = argument.trim();
        let (text, origin) = if trimmed.starts_with('{') {
            (trimmed.to_owned(), "--schema".to_owned())
        } else {
            let text =
                crate::input::read_text(Path::new(trimmed), "--schema file", 4 * 1024 * 1024)?;
            (text, format!("--schema file {trimmed}"))
        };
        let value: Value = serde_json::from_str(&text)
            .map_err(|error| Error::usage(format!("{origin} is not JSON: {error}")))?;
        let validator = jsonschema::validator_for(&value).map_err(|error| {
            Error::usage(format!("{origin} is not a valid JSON Schema: {error}"))
        })?;
        Ok(OutputSchema { value, validator })
    }

    /// The answer as a JSON value that fits the schema, or what is wrong.
    pub fn check(&self, answer: &str) -> Result<Value, Misfit> {
        let json = strip_code_fence(answer);
        let value: Value =
            serde_json::from_str(json).map_err(|error| Misfit::NotJson(error.to_string()))?;
        let problems: Vec<String> = self
            .validator
            .iter_errors(&value)
            .take(5)
            .map(|error| {
                let at = error.instance_path().to_string();
                if at.is_empty() {
                    error.to_string()
                } else {
                    format!("at {at}: {error}")
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(value)
        } else {
            Err(Misfit::Invalid(problems))
        }
    }

    /// The prompt of the one repair try: the original request, the answer
    /// that did not fit, and why.
    pub fn repair_prompt(&self, prompt: &str, answer: &str, problem: &Misfit) -> String {
        format!(
            "{prompt}\n\nYour previous answer did not match the required JSON Schema: {problem}\n\
             Previous answer:\n{answer}\n\nReply with only a JSON value that matches this schema:\n{}",
            self.value
        )
    }
}

/// Why an answer does not fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Misfit {
    #[error("the answer is not JSON ({0})")]
    NotJson(String),
    /// The first few validation errors, each with where it is.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Models often wrap JSON in a Markdown fence; take what is inside.
fn strip_code_fence(answer: &str) -> &str {
    let trimmed = answer.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> OutputSchema {
        OutputSchema::parse(
            r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
        )
        .unwrap()
    }

    #[test]
    fn fitting_answers_pass_even_in_a_fence() {
        assert_eq!(
            schema().check(r#"{"city":"Paris"}"#).unwrap()["city"],
            "Paris"
        );
        assert_eq!(
            schema()
                .check("```json\n{\"city\":\"Paris\"}\n```")
                .unwrap()["city"],
            "Paris"
        );
    }

    #[test]
    fn misfits_say_why() {
        assert!(
            schema()
                .check(r#"{"town":"Paris"}"#)
                .unwrap_err()
                .to_string()
                .contains("city")
        );
        assert!(matches!(
            schema().check("Paris").unwrap_err(),
            Misfit::NotJson(_)
        ));
        assert!(
            schema()
                .check(r#"{"city":5}"#)
                .unwrap_err()
                .to_string()
                .contains("/city")
        );
    }

    #[test]
    fn bad_schemas_are_usage_errors() {
        assert!(OutputSchema::parse("{not json").is_err());
        assert!(OutputSchema::parse(r#"{"type": 12}"#).is_err());
        assert!(
            OutputSchema::parse("/nonexistent/schema.json")
                .unwrap_err()
                .message()
                .contains("/nonexistent")
        );
    }
}
