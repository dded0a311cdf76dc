//! `openclaw config file | get | set | unset`: path-based reads and
//! comment-keeping edits of the JSON5 config.

use std::process::ExitCode;

use serde_json::{Value, json};

use crate::catalog::ModelKind;
use crate::cli::config::{ConfigCommand, ConfigGetArgs, ConfigSetArgs, ConfigUnsetArgs};
use crate::config::edit::{self, Segment};
use crate::config::{self, Paths};
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Reason, Result};
use crate::output::{self, Diagnostics};
use crate::registry::Registry;

/// What a config command prints: JSON for `--json`, else text.
struct Shown {
    json: Value,
    text: String,
}

pub fn run(command: ConfigCommand, paths: &Paths, diagnostics: &Diagnostics) -> ExitCode {
    let (json, capability) = match &command {
        ConfigCommand::File(args) => (args.json, "config.file"),
        ConfigCommand::Get(args) => (args.json, "config.get"),
        ConfigCommand::Set(args) => (args.json, "config.set"),
        ConfigCommand::Unset(args) => (args.json, "config.unset"),
        ConfigCommand::Validate(args) => (args.json, "config.validate"),
        ConfigCommand::Schema(args) => (args.json, "config.schema"),
    };
    let result = match command {
        ConfigCommand::File(_) => Ok(Shown {
            json: json!({"path": paths.config_file.display().to_string()}),
            text: format!("{}\n", paths.config_file.display()),
        }),
        ConfigCommand::Get(args) => get(paths, &args),
        ConfigCommand::Set(args) => locked(paths, args.dry_run, || set(paths, &args, diagnostics)),
        ConfigCommand::Unset(args) => locked(paths, args.dry_run, || unset(paths, &args)),
        ConfigCommand::Validate(args) => return validate(paths, args.json, diagnostics),
        ConfigCommand::Schema(_) => schema(),
    };
    match result {
        Ok(shown) => {
            if json {
                output::stdout(&(serde_json::to_string_pretty(&shown.json).expect("json") + "\n"));
            } else {
                output::stdout(&shown.text);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            if json {
                let envelope = Envelope::failure(capability, Transport::Local, &error);
                output::stdout(&(envelope.to_json() + "\n"));
            }
            diagnostics.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

/// A writing command holds the config's lock from its read to its write,
/// so concurrent edits of different keys all land. A dry run or a
/// read-only config takes no lock (the command itself refuses to write).
fn locked(paths: &Paths, dry_run: bool, work: impl FnOnce() -> Result<Shown>) -> Result<Shown> {
    if dry_run || edit::ensure_writable(&paths.config_file).is_err() {
        return work();
    }
    config::lock::with_lock(&paths.config_file, work)
}

/// Findings as `file:line:col: severity: message` (or JSON), every one of
/// them; any error (what the reference's schema rejects) makes the exit
/// code 1, as the reference's.
fn validate(paths: &Paths, json: bool, diagnostics: &Diagnostics) -> ExitCode {
    use crate::config::validate::{self, Severity};
    // A missing file is invalid, as in the reference.
    if !paths.config_file.exists() {
        let file = paths.config_file.display().to_string();
        if json {
            let document = json!({
                "ok": false,
                "valid": false,
                "path": file,
                "issues": [],
                "error": {"type": "cli_error", "message": "file not found", "reason": "config"},
            });
            output::stdout(&(serde_json::to_string_pretty(&document).expect("json") + "\n"));
        }
        diagnostics.error(&Error::config(format!("config file not found: {file}")));
        return ExitCode::from(1);
    }
    let checked = read_text(paths).and_then(|text| validate::validate(&text));
    let findings = match checked {
        Ok(findings) => findings,
        Err(error) => {
            diagnostics.error(&error);
            return ExitCode::from(error.exit_code());
        }
    };
    let file = paths.config_file.display().to_string();
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if json {
        // The reference's keys (`valid`, `issues`, and on failure `ok` and
        // `error`), then ours: every finding with its position.
        let issues: Vec<Value> = errors
            .iter()
            .map(|f| json!({"path": f.path, "message": f.message, "line": f.line, "column": f.column}))
            .collect();
        let warnings: Vec<Value> = findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| json!({"path": f.path, "message": f.message, "line": f.line, "column": f.column}))
            .collect();
        let mut document = json!({
            "ok": errors.is_empty(),
            "valid": errors.is_empty(),
            "path": file,
            "issues": issues,
            "warnings": warnings,
            "findings": findings,
        });
        if !errors.is_empty() {
            document["error"] = json!({
                "type": "cli_error",
                "message": format!("config is invalid: {file}"),
                "reason": "config",
            });
        }
        output::stdout(&(serde_json::to_string_pretty(&document).expect("json") + "\n"));
    } else if findings.is_empty() {
        output::stdout(&format!("{file}: ok\n"));
    } else {
        let mut lines = String::new();
        for finding in &findings {
            let severity = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            lines.push_str(&format!(
                "{file}:{}:{}: {severity}: {}\n",
                finding.line, finding.column, finding.message
            ));
        }
        output::stdout(&lines);
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The reference's config schema (documentation strings stripped), pretty.
fn schema() -> Result<Shown> {
    let value = crate::config::schema::value()?;
    let text = serde_json::to_string_pretty(&value).expect("json") + "\n";
    Ok(Shown { json: value, text })
}

fn read_text(paths: &Paths) -> Result<String> {
    Ok(config::load::read_text(&paths.config_file)?.unwrap_or_default())
}

fn parse_file(paths: &Paths, text: &str) -> Result<Value> {
    edit::parse_value(text).map_err(|error| {
        Error::config(format!(
            "invalid config {}:{}",
            paths.config_file.display(),
            error.message()
        ))
    })
}

/// Exit 1, as the reference tool does for a path that is not set.
fn not_set(message: String) -> Error {
    Error::io(message).with_reason(Reason::Config)
}

fn get(paths: &Paths, args: &ConfigGetArgs) -> Result<Shown> {
    let path = edit::parse_path(&args.path)?;
    let text = read_text(paths)?;
    let root = parse_file(paths, &text)?;
    let Some(value) = edit::get(&root, &path) else {
        return Err(not_set(format!(
            "config path `{}` is not set",
            edit::display_path(&path)
        ))
        .with_hint(format!(
            "the runtime default applies; the file is {}",
            paths.config_file.display()
        )));
    };
    let mut value = value.clone();
    // Everything under a secret key or a `headers` map is secret.
    let inside_secret = path.iter().any(|s| match s {
        Segment::Key(key) => is_secret_key(key) || key == "headers",
        Segment::Index(_) => false,
    });
    if args.show_secrets {
        crate::redact::show_secrets();
    } else {
        redact(&mut value, inside_secret);
    }
    let text = match &value {
        Value::String(s) => format!("{s}\n"),
        Value::Object(_) | Value::Array(_) => {
            serde_json::to_string_pretty(&value).expect("json") + "\n"
        }
        other => format!("{other}\n"),
    };
    Ok(Shown { json: value, text })
}

const REDACTED: &str = "__OPENCLAW_REDACTED__";

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["apikey", "api_key", "token", "password", "secret"]
        .iter()
        .any(|word| key.contains(word))
        || key == "key"
}

/// Blank out secret string values (under a secret-looking key or a
/// `headers` map) and URL passwords; `${VAR}` references stay.
fn redact(value: &mut Value, secret: bool) {
    match value {
        Value::String(s) if secret => {
            let reference =
                s.starts_with("${") && s.ends_with('}') && !s[2..s.len() - 1].contains('}');
            if !reference && !s.is_empty() {
                *s = REDACTED.to_owned();
            }
        }
        Value::String(s) => {
            let Ok(mut url) = url::Url::parse(s) else {
                return;
            };
            if url.password().is_some() && url.set_password(Some(REDACTED)).is_ok() {
                *s = url.to_string();
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact(v, secret || is_secret_key(k) || k == "headers");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, secret)),
        _ => {}
    }
}

/// Paths whose maps hold entries the user added one by one; replacing
/// them with a map that lacks some needs `--replace` (or use `--merge`).
fn is_protected(path: &[Segment]) -> bool {
    let keys: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.as_str(),
            Segment::Index(_) => "[]",
        })
        .collect();
    matches!(
        keys.as_slice(),
        ["agents", "defaults", "models"]
            | ["agents", "entries"]
            | ["models", "providers"]
            | ["models", "providers", _]
            | ["models", "providers", _, "models"]
            | ["plugins", "entries"]
            | ["auth", "profiles"]
    )
}

fn drops_entries(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => old.keys().any(|k| !new.contains_key(k)),
        (Value::Object(old), _) => !old.is_empty(),
        (Value::Array(old), Value::Array(new)) => old.iter().any(|item| !new.contains(item)),
        (Value::Array(old), _) => !old.is_empty(),
        _ => false,
    }
}

pub fn parse_value(raw: &str, strict: bool) -> Result<Value> {
    if strict {
        // serde_json stops at 128 levels by itself.
        return serde_json::from_str(raw).map_err(|error| {
            Error::usage(format!("the value is not valid JSON ({error})"))
                .with_hint("quote strings as JSON (`'\"text\"'`), or drop `--strict-json` to take the text as a string")
        });
    }
    // JSON has no NaN or infinities; JSON5 does, and they would be stored
    // as `null` without a word.
    let bare = raw.trim().trim_start_matches(['+', '-']);
    if bare == "NaN" || bare == "Infinity" {
        return Err(Error::usage(format!(
            "`{}` is not a finite number",
            raw.trim()
        )));
    }
    if edit::too_deep(raw).is_some() {
        return Err(Error::usage(format!(
            "the value nests objects or arrays deeper than {} levels",
            edit::MAX_DEPTH
        )));
    }
    Ok(json5::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_owned())))
}

fn set(paths: &Paths, args: &ConfigSetArgs, diagnostics: &Diagnostics) -> Result<Shown> {
    let path = edit::parse_path(&args.path)?;
    let strict = args.strict_json || args.json;
    let value = parse_value(&args.value, strict)?;
    let text = read_text(paths)?;
    let current = parse_file(paths, &text)?;
    if !args.dry_run {
        edit::ensure_writable(&paths.config_file)?;
    }
    let existing = edit::get(&current, &path);
    if !args.merge
        && !args.replace
        && is_protected(&path)
        && existing.is_some_and(|old| drops_entries(old, &value))
    {
        return Err(Error::usage(format!(
            "`{}` holds entries this value would remove; nothing was written",
            edit::display_path(&path)
        ))
        .with_hint(
            "pass `--merge` to add entries, or `--replace` to make the value the whole map",
        ));
    }
    let new_text = if args.merge {
        if !(value.is_object() || value.is_array()) {
            return Err(Error::usage("`--merge` needs an object or array value"));
        }
        edit::merge(&text, &path, &value)?
    } else {
        edit::set(&text, &path, &value)?
    };
    // Same data (e.g. a value set to what it already is): `No change`, and
    // the file is left byte for byte.
    let changed = new_text != text && edit::parse_value(&new_text).ok().as_ref() != Some(&current);
    check_new_config(paths, &path, &new_text)?;
    let input_mode = if strict { "json" } else { "value" };
    finish_write(
        paths,
        &path,
        &new_text,
        changed,
        args.dry_run,
        input_mode,
        diagnostics,
    )
}

fn unset(paths: &Paths, args: &ConfigUnsetArgs) -> Result<Shown> {
    let path = edit::parse_path(&args.path)?;
    let text = read_text(paths)?;
    parse_file(paths, &text)?;
    if !args.dry_run {
        edit::ensure_writable(&paths.config_file)?;
    }
    let Some(new_text) = edit::unset(&text, &path)? else {
        return Err(not_set(format!(
            "config path `{}` is not set in {}; nothing was changed",
            edit::display_path(&path),
            paths.config_file.display()
        )));
    };
    check_new_config(paths, &path, &new_text)?;
    let diagnostics = Diagnostics {
        level: crate::cli::LogLevel::Silent,
        color: false,
    };
    finish_write(
        paths,
        &path,
        &new_text,
        true,
        args.dry_run,
        "unset",
        &diagnostics,
    )
}

/// The new text must load as a config, and a changed default model must
/// name a known provider.
fn check_new_config(paths: &Paths, path: &[Segment], new_text: &str) -> Result<()> {
    let config = config::load::parse(new_text).map_err(|problem| {
        Error::config(format!(
            "after this change the config would not load ({problem}); {} was left unchanged",
            paths.config_file.display()
        ))
    })?;
    let touches_model = matches!(path, [Segment::Key(a), Segment::Key(d), Segment::Key(m), ..]
        if a == "agents" && d == "defaults" && m == "model")
        || path.len() < 3 && matches!(path.first(), Some(Segment::Key(a)) if a == "agents");
    if touches_model {
        let registry = Registry::build(&config)?;
        if let Some(selection) = &config.agents.defaults.model {
            for reference in selection
                .primary()
                .into_iter()
                .chain(selection.fallbacks().iter().map(String::as_str))
            {
                registry
                    .resolve(reference, ModelKind::Chat)
                    .map_err(|error| {
                        error.context(format!(
                            "model reference validation failed for `{reference}`"
                        ))
                    })?;
            }
        }
    }
    Ok(())
}

fn finish_write(
    paths: &Paths,
    path: &[Segment],
    new_text: &str,
    changed: bool,
    dry_run: bool,
    input_mode: &str,
    diagnostics: &Diagnostics,
) -> Result<Shown> {
    let shown_path = edit::display_path(path);
    let file = paths.config_file.display().to_string();
    let mut json = json!({
        "ok": true,
        "operations": 1,
        "configPath": file,
        "inputModes": [input_mode],
        "checks": {"schema": true, "resolvability": false, "resolvabilityComplete": true},
        "refsChecked": 0,
        "skippedExecRefs": 0,
        "path": shown_path,
        "changed": changed,
        "dryRun": dry_run,
    });
    if dry_run {
        if input_mode == "value" {
            diagnostics.info("Dry run note: the value was taken as JSON5 or a string; the config was checked as a whole");
        }
        return Ok(Shown {
            json,
            text: "Dry run successful\n".to_owned(),
        });
    }
    if !changed {
        return Ok(Shown {
            json,
            text: "No change\n".to_owned(),
        });
    }
    edit::write(&paths.config_file, new_text)?;
    json["backupPath"] = Value::String(edit::backup_path(&paths.config_file).display().to_string());
    let verb = if input_mode == "unset" {
        "Removed"
    } else {
        "Updated"
    };
    Ok(Shown {
        json,
        text: format!("{verb} {shown_path} in {file}\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json5_else_strings() {
        assert_eq!(parse_value("19001", false).unwrap(), json!(19001));
        assert_eq!(parse_value("{a: 1}", false).unwrap(), json!({"a": 1}));
        assert_eq!(parse_value("2h", false).unwrap(), json!("2h"));
        assert_eq!(
            parse_value("huggingface/deepseek-ai/DeepSeek-R1", false).unwrap(),
            json!("huggingface/deepseek-ai/DeepSeek-R1")
        );
        assert!(parse_value("{a: 1}", true).is_err());
        assert!(parse_value("2h", true).is_err());
        assert_eq!(parse_value("\"x\"", true).unwrap(), json!("x"));
    }

    #[test]
    fn secrets_are_redacted_but_references_kept() {
        let mut value = json!({"apiKey": "sk-1", "headers": {"X-Token": "t", "Authorization": "Bearer b"}, "other": "${HF_TOKEN}", "token": "${HF_TOKEN}", "name": "n", "proxy": "http://u:pw@h:1"});
        redact(&mut value, false);
        assert_eq!(value["apiKey"], REDACTED);
        assert_eq!(value["headers"]["X-Token"], REDACTED);
        assert_eq!(value["headers"]["Authorization"], REDACTED);
        assert_eq!(value["proxy"], format!("http://u:{REDACTED}@h:1/"));
        assert_eq!(value["token"], "${HF_TOKEN}");
        assert_eq!(value["name"], "n");
    }

    #[test]
    fn protected_maps() {
        assert!(is_protected(
            &edit::parse_path("agents.defaults.models").unwrap()
        ));
        assert!(is_protected(
            &edit::parse_path("models.providers.ollama.models").unwrap()
        ));
        assert!(!is_protected(
            &edit::parse_path("agents.defaults.model").unwrap()
        ));
        assert!(drops_entries(&json!({"a": 1}), &json!({"b": 1})));
        assert!(!drops_entries(&json!({"a": 1}), &json!({"a": 2, "b": 1})));
    }
}
