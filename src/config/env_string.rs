//! Config strings with `${VAR}` substitution, done while deserializing so a
//! missing variable is reported at its line and column in the file.

use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer};

use super::env;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct EnvString(pub String);

impl Deref for EnvString {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EnvString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<'de> Deserialize<'de> for EnvString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        substitute(&raw, env::var)
            .map(EnvString)
            .map_err(de::Error::custom)
    }
}

/// Replace `${NAME}` (upper-case letters, digits, `_`) with the variable's
/// value; `$${NAME}` is a literal `${NAME}`. A missing variable is an error.
/// A `${NAME}` whose variable is not set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable `{0}` is not set")]
pub struct UnsetVariable(pub String);

pub fn substitute(
    raw: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, UnsetVariable> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if let Some(escaped) = tail.strip_prefix("$${") {
            if let Some((name, after)) = split_name(escaped) {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
                rest = after;
                continue;
            }
        }
        if let Some(body) = tail.strip_prefix("${") {
            if let Some((name, after)) = split_name(body) {
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => return Err(UnsetVariable(name.to_owned())),
                }
                rest = after;
                continue;
            }
        }
        out.push('$');
        rest = &tail[1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn split_name(body: &str) -> Option<(&str, &str)> {
    let end = body.find('}')?;
    let name = &body[..end];
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    valid.then(|| (name, &body[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "KEY").then(|| "secret".to_owned())
    }

    #[test]
    fn substitutes_and_escapes() {
        assert_eq!(
            substitute("Bearer ${KEY}", lookup).unwrap(),
            "Bearer secret"
        );
        assert_eq!(substitute("$${KEY}", lookup).unwrap(), "${KEY}");
        assert_eq!(substitute("a$b ${lower}", lookup).unwrap(), "a$b ${lower}");
        assert_eq!(substitute("${KEY}${KEY}", lookup).unwrap(), "secretsecret");
    }

    #[test]
    fn missing_variable_is_named() {
        let error = substitute("${NOPE_X}", lookup).unwrap_err();
        assert_eq!(error, UnsetVariable("NOPE_X".into()));
        assert_eq!(
            error.to_string(),
            "environment variable `NOPE_X` is not set"
        );
    }
}
