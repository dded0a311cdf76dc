//! The style of the existing file (indent unit, bare or quoted keys,
//! trailing commas) and rendering new values in that style, plus the
//! line-layout helpers the edits use.

use std::fmt::Write as _;

use serde_json::Value;

use super::path::is_plain_key;
use super::syntax::Node;

#[derive(Debug, Clone)]
pub(super) struct Style {
    pub(super) unit: String,
    bare_keys: bool,
    pub(super) trailing_commas: bool,
}

impl Style {
    pub(super) fn detect(text: &str, root: Option<&Node>) -> Style {
        let unit = text
            .lines()
            .filter_map(|line| {
                let indent: String = line
                    .chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect();
                (!indent.is_empty() && indent.len() < line.len()).then_some(indent)
            })
            .min_by_key(String::len)
            .unwrap_or_else(|| "  ".to_owned());
        let mut bare = 0usize;
        let mut quoted = 0usize;
        let mut trailing = 0usize;
        let mut closed = 0usize;
        if let Some(root) = root {
            visit(root, &mut |node| match node {
                Node::Object { members, .. } => {
                    for member in members {
                        match text.as_bytes()[member.key_start] {
                            b'"' | b'\'' => quoted += 1,
                            _ => bare += 1,
                        }
                    }
                    if let Some(last) = members.last() {
                        closed += 1;
                        trailing += usize::from(last.comma.is_some());
                    }
                }
                Node::Array { items, .. } => {
                    if let Some(last) = items.last() {
                        closed += 1;
                        trailing += usize::from(last.comma.is_some());
                    }
                }
                Node::Scalar { .. } => {}
            });
        }
        // With nothing to go by, write the JSON5 the reference docs show.
        Style {
            unit,
            bare_keys: bare >= quoted,
            trailing_commas: closed == 0 || trailing * 2 >= closed,
        }
    }

    pub(super) fn key(&self, key: &str) -> String {
        if self.bare_keys && is_plain_key(key) {
            key.to_owned()
        } else {
            serde_json::to_string(key).expect("string")
        }
    }

    /// Render `value` on one line: `{ a: 1, b: [2, 3] }`.
    pub(super) fn render_inline(&self, value: &Value) -> String {
        match value {
            Value::Object(map) if !map.is_empty() => {
                let members: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", self.key(k), self.render_inline(v)))
                    .collect();
                format!("{{ {} }}", members.join(", "))
            }
            Value::Array(items) if !items.is_empty() => {
                let items: Vec<String> = items.iter().map(|v| self.render_inline(v)).collect();
                format!("[{}]", items.join(", "))
            }
            other => serde_json::to_string(other).expect("value serializes"),
        }
    }

    /// Render `value`; lines after the first start with `indent`.
    pub(super) fn render(&self, value: &Value, indent: &str) -> String {
        match value {
            Value::Object(map) if !map.is_empty() => {
                let inner = format!("{indent}{}", self.unit);
                let mut out = String::from("{\n");
                let count = map.len();
                for (i, (key, item)) in map.iter().enumerate() {
                    let _ = write!(
                        out,
                        "{inner}{}: {}",
                        self.key(key),
                        self.render(item, &inner)
                    );
                    if i + 1 < count || self.trailing_commas {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(indent);
                out.push('}');
                out
            }
            Value::Array(items) if !items.is_empty() => {
                let inner = format!("{indent}{}", self.unit);
                let mut out = String::from("[\n");
                let count = items.len();
                for (i, item) in items.iter().enumerate() {
                    let _ = write!(out, "{inner}{}", self.render(item, &inner));
                    if i + 1 < count || self.trailing_commas {
                        out.push(',');
                    }
                    out.push('\n');
                }
                out.push_str(indent);
                out.push(']');
                out
            }
            other => serde_json::to_string(other).expect("value serializes"),
        }
    }
}

fn visit(node: &Node, f: &mut impl FnMut(&Node)) {
    f(node);
    match node {
        Node::Object { members, .. } => members.iter().for_each(|m| visit(&m.value, f)),
        Node::Array { items, .. } => items.iter().for_each(|i| visit(&i.value, f)),
        Node::Scalar { .. } => {}
    }
}

pub(super) fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The whitespace before `pos` on its line, when only whitespace precedes it.
pub(super) fn indent_at(text: &str, pos: usize) -> Option<String> {
    let start = line_start(text, pos);
    let before = &text[start..pos];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then(|| before.to_owned())
}

pub(super) fn same_line(text: &str, a: usize, b: usize) -> bool {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    !text[a..b].contains('\n')
}

/// After `pos`: skip spaces and a comment that end the line; the offset of
/// that line's `\n` when only those follow, else `None`.
pub(super) fn end_of_line_after(text: &str, pos: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = pos;
    loop {
        match bytes.get(i) {
            Some(b' ' | b'\t' | b'\r') => i += 1,
            Some(b'/') if bytes.get(i + 1) == Some(&b'/') => {
                return Some(text[i..].find('\n').map_or(text.len(), |n| i + n));
            }
            Some(b'/') if bytes.get(i + 1) == Some(&b'*') => {
                let close = text[i + 2..].find("*/")? + i + 4;
                if text[i..close].contains('\n') {
                    return None;
                }
                i = close;
            }
            Some(b'\n') | None => return Some(i),
            _ => return None,
        }
    }
}

pub(super) fn leading_indent(text: &str, pos: usize) -> String {
    let start = line_start(text, pos);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}
