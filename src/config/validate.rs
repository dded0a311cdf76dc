//! `openclaw config validate`: the whole file checked at once. Bad values
//! are errors at their line and column; keys this tool and the reference
//! tool do not know are warnings with a did-you-mean.

use super::edit::{self, Segment};

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

/// Keys known at each level. `*` stands for any key (a provider id, a model
/// ref); a level not listed here is open (owned by features this tool does
/// not have, so anything goes).
const KNOWN: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "$include",
            "$schema",
            "acp",
            "agents",
            "approvals",
            "audio",
            "audit",
            "auth",
            "bindings",
            "broadcast",
            "browser",
            "canvasHost",
            "channels",
            "cloud",
            "commands",
            "cron",
            "desktop",
            "diagnostics",
            "discovery",
            "env",
            "gateway",
            "hooks",
            "identity",
            "logging",
            "mcp",
            "media",
            "memory",
            "messages",
            "meta",
            "models",
            "nodeHost",
            "plugins",
            "secrets",
            "session",
            "skills",
            "talk",
            "telemetry",
            "tools",
            "ui",
            "update",
            "web",
            "wizard",
            "worktreeRoot",
        ],
    ),
    ("agents", &["defaults", "list", "ownership"]),
    (
        "agents.defaults",
        &[
            "blockStreamingDefault",
            "bootstrapMaxChars",
            "bootstrapTotalMaxChars",
            "compaction",
            "contextInjection",
            "contextLimits",
            "contextPruning",
            "cwd",
            "decisionModel",
            "embeddingModel",
            "experimental",
            "fastModeDefault",
            "heartbeat",
            "humanDelay",
            "imageGenerationModel",
            "imageMaxDimensionPx",
            "imageModel",
            "imageQuality",
            "maxConcurrent",
            "mediaMaxMb",
            "mediaModels",
            "memorySearch",
            "model",
            "modelPolicy",
            "modelSelectionScope",
            "models",
            "pdfModel",
            "reasoningDefault",
            "repoRoot",
            "sandbox",
            "sessionStore",
            "skills",
            "skipBootstrap",
            "skipOptionalBootstrapFiles",
            "startupContext",
            "subagents",
            "systemAgent",
            "thinkingDefault",
            "timeoutSeconds",
            "toolProgressDetail",
            "userTimezone",
            "utilityModel",
            "videoGenerationModel",
            "verboseDefault",
            "workspace",
        ],
    ),
    ("agents.defaults.model", &["primary", "fallbacks"]),
    (
        "agents.defaults.models.*",
        &["alias", "params", "streaming", "thinking"],
    ),
    ("models", &["mode", "providers", "bedrockDiscovery"]),
    (
        "models.providers.*",
        &[
            "api",
            "apiKey",
            "auth",
            "authHeader",
            "baseUrl",
            "compat",
            "egressProxy",
            "headers",
            "injectNumCtxForOpenAICompat",
            "models",
            "params",
            "proxy",
            "request",
            "streaming",
            "threads",
            "timeoutSeconds",
        ],
    ),
    (
        "models.providers.*.models.#",
        &[
            "alias",
            "api",
            "compat",
            "contextTokens",
            "contextWindow",
            "cost",
            "headers",
            "id",
            "input",
            "maxTokens",
            "name",
            "params",
            "path",
            "reasoning",
            "temperature",
            "thinking",
        ],
    ),
    (
        "models.providers.*.models.#.cost",
        &["input", "output", "cacheRead", "cacheWrite"],
    ),
];

pub fn validate(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Err(problem) = super::load::parse(text) {
        findings.push(located(Severity::Error, &problem));
    }
    match edit::key_positions(text) {
        Ok(keys) => {
            for (path, (line, column)) in keys {
                let Some((parent, key)) = split_last_key(&path) else {
                    continue;
                };
                let Some(known) = known_keys(&parent) else {
                    continue;
                };
                if known.contains(&key) {
                    continue;
                }
                let mut message = format!("unknown key `{key}`");
                if let Some(close) = closest(key, known) {
                    message.push_str(&format!(" (did you mean `{close}`?)"));
                }
                findings.push(Finding {
                    severity: Severity::Warning,
                    line,
                    column,
                    path: edit::display_path(&path),
                    message,
                });
            }
        }
        // The syntax error is already reported by the typed parse.
        Err(_) => {}
    }
    findings.sort_by_key(|f| (f.line, f.column));
    findings
}

/// `3:14: at `x.y`: what` from the loader -> a finding.
fn located(severity: Severity, problem: &str) -> Finding {
    let mut parts = problem.splitn(3, ':');
    let line = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    let column = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    let rest = parts.next().unwrap_or(problem).trim();
    let (path, message) = match rest.strip_prefix("at `").and_then(|r| r.split_once("`: ")) {
        Some((path, message)) => (path.to_owned(), message.to_owned()),
        None => (String::new(), rest.to_owned()),
    };
    Finding {
        severity,
        line,
        column,
        path,
        message,
    }
}

fn split_last_key(path: &[Segment]) -> Option<(Vec<Segment>, &str)> {
    match path.last()? {
        Segment::Key(key) => Some((path[..path.len() - 1].to_vec(), key.as_str())),
        Segment::Index(_) => None,
    }
}

/// The known keys of the object at `parent`, if that level is checked.
fn known_keys(parent: &[Segment]) -> Option<&'static [&'static str]> {
    KNOWN
        .iter()
        .find(|(pattern, _)| matches(pattern, parent))
        .map(|(_, keys)| *keys)
}

fn matches(pattern: &str, path: &[Segment]) -> bool {
    let parts: Vec<&str> = if pattern.is_empty() {
        Vec::new()
    } else {
        pattern.split('.').collect()
    };
    parts.len() == path.len()
        && parts
            .iter()
            .zip(path)
            .all(|(part, segment)| match (part, segment) {
                (&"*", Segment::Key(_)) | (&"#", Segment::Index(_)) => true,
                (name, Segment::Key(key)) => name == key,
                _ => false,
            })
}

fn closest<'k>(typed: &str, known: &[&'k str]) -> Option<&'k str> {
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
    fn typos_get_a_suggestion_at_their_position() {
        let findings = validate(
            "{\n  agents: { defaults: { modle: 'a/b' } },\n  models: { providers: { x: { baseURL: 'http://h', models: [{ id: 'm', contextWindw: 5 }] } } },\n  channels: { anything: { goes: 1 } },\n}",
        );
        let warnings: Vec<_> = findings
            .iter()
            .map(|f| (f.line, f.path.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            warnings,
            [
                (
                    2,
                    "agents.defaults.modle",
                    "unknown key `modle` (did you mean `model`?)"
                ),
                (
                    3,
                    "models.providers.x.baseURL",
                    "unknown key `baseURL` (did you mean `baseUrl`?)"
                ),
                (
                    3,
                    "models.providers.x.models[0].contextWindw",
                    "unknown key `contextWindw` (did you mean `contextWindow`?)"
                ),
            ]
        );
    }

    #[test]
    fn bad_values_are_errors_with_positions() {
        let findings = validate("{\n  models: {\n    mode: 'mix',\n  },\n}");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[0].line, 3);
        assert_eq!(findings[0].path, "models.mode");
    }

    #[test]
    fn a_clean_file_has_no_findings() {
        assert!(validate("{ agents: { defaults: { model: 'openai/gpt-5.4' } } }").is_empty());
        assert!(validate("").is_empty());
    }
}
