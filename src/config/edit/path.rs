//! Config paths as users type them: `a.b`, `list[0]`, `map["key.with.dots"]`.

use std::fmt::Write as _;

use crate::error::{Error, Result};

/// One step of a config path: `a.b`, `list[0]`, `map["key.with.dots"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Key(key) => f.write_str(key),
            Segment::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// Parse `agents.defaults.models["huggingface/x:fastest"].alias`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>> {
    let bad = |why: &str| Error::usage(format!("invalid config path `{path}`: {why}"));
    let chars: Vec<char> = path.chars().collect();
    let mut segments = Vec::new();
    let mut i = 0;
    let mut expect_segment = true;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                if expect_segment {
                    return Err(bad("empty segment"));
                }
                expect_segment = true;
                i += 1;
            }
            '[' => {
                i += 1;
                match chars.get(i) {
                    Some(&quote @ ('"' | '\'')) => {
                        i += 1;
                        let mut key = String::new();
                        loop {
                            match chars.get(i) {
                                None => return Err(bad("unterminated quoted key")),
                                Some('\\') => {
                                    if let Some(&next) = chars.get(i + 1) {
                                        key.push(next);
                                    }
                                    i += 2;
                                }
                                Some(&c) if c == quote => {
                                    i += 1;
                                    break;
                                }
                                Some(&c) => {
                                    key.push(c);
                                    i += 1;
                                }
                            }
                        }
                        if chars.get(i) != Some(&']') {
                            return Err(bad("expected `]` after a quoted key"));
                        }
                        segments.push(Segment::Key(key));
                    }
                    _ => {
                        let start = i;
                        while i < chars.len() && chars[i] != ']' {
                            i += 1;
                        }
                        if i == chars.len() {
                            return Err(bad("missing `]`"));
                        }
                        let inner: String = chars[start..i].iter().collect();
                        let inner = inner.trim();
                        match inner.parse::<usize>() {
                            Ok(index) => segments.push(Segment::Index(index)),
                            Err(_) if !inner.is_empty() => {
                                segments.push(Segment::Key(inner.to_owned()))
                            }
                            Err(_) => return Err(bad("empty brackets")),
                        }
                    }
                }
                i += 1;
                expect_segment = false;
            }
            _ => {
                if !expect_segment {
                    return Err(bad("expected `.` or `[` between segments"));
                }
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let key: String = chars[start..i].iter().collect();
                segments.push(Segment::Key(key.trim().to_owned()));
                expect_segment = false;
            }
        }
    }
    if segments.is_empty() {
        return Err(bad("the path is empty"));
    }
    if expect_segment {
        return Err(bad("ends with `.`"));
    }
    Ok(segments)
}

/// Show a path the way a user types it, quoting keys that hold dots.
pub fn display_path(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Key(key) if is_plain_key(key) => {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Key(key) => {
                let _ = write!(out, "[{}]", serde_json::to_string(key).expect("string"));
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

pub(super) fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '-')
        && !key.contains('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(path: &str) -> Vec<Segment> {
        parse_path(path).unwrap()
    }

    #[test]
    fn paths_with_dots_and_brackets() {
        assert_eq!(
            p(r#"agents.defaults.models["huggingface/deepseek-ai/DeepSeek-R1"].alias"#),
            vec![
                Segment::Key("agents".into()),
                Segment::Key("defaults".into()),
                Segment::Key("models".into()),
                Segment::Key("huggingface/deepseek-ai/DeepSeek-R1".into()),
                Segment::Key("alias".into())
            ]
        );
        assert_eq!(
            p("models.providers.huggingface.models[0].alias")[4],
            Segment::Index(0)
        );
        assert_eq!(p("a['b.c']")[1], Segment::Key("b.c".into()));
        assert!(parse_path("").is_err());
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a.").is_err());
        assert!(parse_path("a[0").is_err());
        assert_eq!(display_path(&p(r#"a.b["x.y"][2]"#)), r#"a.b["x.y"][2]"#);
    }
}
