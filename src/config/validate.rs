//! `openclaw config validate`: the whole file checked at once against the
//! reference tool's schema. What it rejects (bad values, unknown keys, with a
//! did-you-mean) is an error at its line and column.

use super::TextError;
use super::edit::{self, Segment};
use crate::error::Result;

/// One finding, located in the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Findings for the whole file. The reference's schema decides what is
/// valid: anything it rejects (a wrong type, an unknown key) is an error;
/// what this tool's own loader cannot use while the schema accepts it is a
/// warning. A JSON5 syntax error is an error and stops there.
pub fn validate(text: &str) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    if text.trim().is_empty() {
        return Ok(findings);
    }
    let value = match edit::parse_value(text) {
        Ok(value) => value,
        Err(_) => {
            if let Err(problem) = super::load::parse(text) {
                findings.push(located(Severity::Error, &problem));
            }
            return Ok(findings);
        }
    };
    let positions = edit::key_positions(text).unwrap_or_default();
    let schema = super::schema::value()?;
    for problem in super::schema::check(&schema, &value)? {
        let (line, column) = position_of(&positions, &problem.path);
        findings.push(Finding {
            severity: Severity::Error,
            line,
            column,
            path: problem.path.join("."),
            message: problem.message,
        });
    }
    if let Err(problem) = super::load::parse(text) {
        let mut finding = located(Severity::Warning, &problem);
        if !findings.iter().any(|f| f.path == finding.path) {
            finding.message = format!("{} (this tool cannot use it)", finding.message);
            findings.push(finding);
        }
    }
    findings.sort_by_key(|f| (f.line, f.column));
    Ok(findings)
}

/// Where the deepest key of `path` that is written in the file starts.
fn position_of(positions: &[(Vec<Segment>, (usize, usize))], path: &[String]) -> (usize, usize) {
    let same = |segments: &[Segment], parts: &[String]| {
        segments.len() == parts.len()
            && segments
                .iter()
                .zip(parts)
                .all(|(segment, part)| match segment {
                    Segment::Key(key) => key == part,
                    Segment::Index(index) => index.to_string() == *part,
                })
    };
    (0..=path.len())
        .rev()
        .find_map(|len| {
            positions
                .iter()
                .find(|(segments, _)| same(segments, &path[..len]))
                .map(|(_, at)| *at)
        })
        .unwrap_or((1, 1))
}

/// `3:14: at `x.y`: what` from the loader -> a finding.
fn located(severity: Severity, problem: &TextError) -> Finding {
    Finding {
        severity,
        line: problem.line,
        column: problem.column,
        path: problem.path.clone(),
        message: problem.message.clone(),
    }
}

/// The known key nearest to a typo, if one is near enough.
pub(crate) fn closest<'k>(typed: &str, known: &[&'k str]) -> Option<&'k str> {
    let typed_lower = typed.to_ascii_lowercase();
    known
        .iter()
        .map(|candidate| {
            (
                strsim::levenshtein(&typed_lower, &candidate.to_ascii_lowercase()),
                *candidate,
            )
        })
        .filter(|(d, candidate)| *d <= (candidate.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_errors_with_a_suggestion_at_their_position() {
        let findings = validate(
            "{\n  agents: { defaults: { modle: 'a/b' } },\n  models: { providers: { x: { baseUrl: 'http://h', models: [{ id: 'm', name: 'M', contextWindw: 5 }] } } },\n}",
        )
        .unwrap();
        let errors: Vec<_> = findings
            .iter()
            .map(|f| (f.severity, f.line, f.path.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                (
                    Severity::Error,
                    2,
                    "agents.defaults.modle",
                    "unknown key `modle` (did you mean `model`?)"
                ),
                (
                    Severity::Error,
                    3,
                    "models.providers.x.models.0.contextWindw",
                    "unknown key `contextWindw` (did you mean `contextWindow`?)"
                ),
            ]
        );
    }

    #[test]
    fn bad_values_are_errors_with_positions() {
        let findings = validate("{\n  models: {\n    mode: 'mix',\n  },\n}").unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[0].line, 3);
        assert_eq!(findings[0].path, "models.mode");
    }

    #[test]
    fn a_syntax_error_is_one_error() {
        let findings = validate("{ agents: ").unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Error);
    }

    #[test]
    fn a_clean_file_has_no_findings() {
        assert!(
            validate("{ agents: { defaults: { model: 'openai/gpt-5.4' } } }")
                .unwrap()
                .is_empty()
        );
        assert!(validate("").unwrap().is_empty());
    }
}
