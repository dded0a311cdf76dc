//! Editing the JSON5 config in place: set or remove one value by path
//! while every other byte (comments, quoting, indentation, trailing commas)
//! stays as the user wrote it.
//!
//! A small tokenizer walks the text and records where each value, key and
//! comma sits; an edit replaces or inserts byte ranges only.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

use super::env;
use crate::error::{Error, Result};

use env::CONFIG_READONLY as READONLY_ENV;

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

fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '-')
        && !key.contains('-')
}

// ---------------------------------------------------------------------------
// The syntax tree with byte positions.

#[derive(Debug)]
enum Node {
    Object {
        start: usize,
        end: usize,
        members: Vec<Member>,
    },
    Array {
        start: usize,
        end: usize,
        items: Vec<Item>,
    },
    Scalar {
        start: usize,
        end: usize,
    },
}

impl Node {
    fn start(&self) -> usize {
        match self {
            Node::Object { start, .. } | Node::Array { start, .. } | Node::Scalar { start, .. } => {
                *start
            }
        }
    }
    fn end(&self) -> usize {
        match self {
            Node::Object { end, .. } | Node::Array { end, .. } | Node::Scalar { end, .. } => *end,
        }
    }
}

#[derive(Debug)]
struct Member {
    key: String,
    key_start: usize,
    value: Node,
    /// Byte offset of the `,` after the value, if any.
    comma: Option<usize>,
}

#[derive(Debug)]
struct Item {
    value: Node,
    comma: Option<usize>,
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Parser<'t> {
    fn error(&self, what: &str) -> Error {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::config(format!("{line}:{column}: {what}"))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skip whitespace and comments.
    fn skip(&mut self) -> Result<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'/') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'*') => {
                    match self.text[self.pos + 2..].find("*/") {
                        Some(offset) => self.pos += 2 + offset + 2,
                        None => return Err(self.error("unterminated block comment")),
                    }
                }
                Some(_)
                    if self.text[self.pos..].starts_with('\u{feff}')
                        || self.text[self.pos..].starts_with('\u{a0}')
                        || self.text[self.pos..].starts_with('\u{2028}')
                        || self.text[self.pos..].starts_with('\u{2029}') =>
                {
                    self.pos += self.text[self.pos..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self) -> Result<Node> {
        self.skip()?;
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"' | b'\'') => {
                let start = self.pos;
                self.string()?;
                Ok(Node::Scalar {
                    start,
                    end: self.pos,
                })
            }
            Some(_) => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if matches!(
                        c,
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'/' | b':'
                    ) {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.error("expected a value"));
                }
                Ok(Node::Scalar {
                    start,
                    end: self.pos,
                })
            }
            None => Err(self.error("unexpected end of file")),
        }
    }

    /// A quoted string; returns its decoded text.
    fn string(&mut self) -> Result<String> {
        let quote = self.bytes[self.pos];
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == quote {
                let raw = &self.text[start..self.pos];
                self.pos += 1;
                let literal = format!("{}{raw}{}", quote as char, quote as char);
                return Ok(json5::from_str::<String>(&literal).unwrap_or_else(|_| raw.to_owned()));
            }
            self.pos += 1;
        }
        Err(self.error("unterminated string"))
    }

    fn key(&mut self) -> Result<String> {
        match self.peek() {
            Some(b'"' | b'\'') => self.string(),
            Some(_) => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if matches!(c, b':' | b' ' | b'\t' | b'\n' | b'\r' | b'/' | b',' | b'}') {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.error("expected a key"));
                }
                Ok(self.text[start..self.pos].to_owned())
            }
            None => Err(self.error("unexpected end of file")),
        }
    }

    fn object(&mut self) -> Result<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut members: Vec<Member> = Vec::new();
        loop {
            self.skip()?;
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::Object {
                        start,
                        end: self.pos,
                        members,
                    });
                }
                None => return Err(self.error("unterminated object")),
                _ => {}
            }
            if members.last().is_some_and(|m| m.comma.is_none()) {
                return Err(self.error("expected `,` or `}`"));
            }
            let key_start = self.pos;
            let key = self.key()?;
            self.skip()?;
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after a key"));
            }
            self.pos += 1;
            let value = self.value()?;
            self.skip()?;
            let comma = if self.peek() == Some(b',') {
                self.pos += 1;
                Some(self.pos - 1)
            } else {
                None
            };
            members.push(Member {
                key,
                key_start,
                value,
                comma,
            });
        }
    }

    fn array(&mut self) -> Result<Node> {
        let start = self.pos;
        self.pos += 1;
        let mut items: Vec<Item> = Vec::new();
        loop {
            self.skip()?;
            match self.peek() {
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array {
                        start,
                        end: self.pos,
                        items,
                    });
                }
                None => return Err(self.error("unterminated array")),
                _ => {}
            }
            if items.last().is_some_and(|item| item.comma.is_none()) {
                return Err(self.error("expected `,` or `]`"));
            }
            let value = self.value()?;
            self.skip()?;
            let comma = if self.peek() == Some(b',') {
                self.pos += 1;
                Some(self.pos - 1)
            } else {
                None
            };
            items.push(Item { value, comma });
        }
    }
}

/// Deepest nesting of objects and arrays a config (or a `config set`
/// value) may have. The parsers recurse, so this keeps a hostile file from
/// overflowing the stack; real configs nest fewer than ten levels.
pub const MAX_DEPTH: usize = 128;
/// Largest config file accepted: 8 MiB.
pub const MAX_CONFIG_BYTES: usize = 8 * 1024 * 1024;

/// The byte offset where nesting first goes past `MAX_DEPTH`, if it does.
/// Strings and comments are skipped; the scan is linear and never recurses.
pub fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 1);
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_tree(text: &str) -> Result<Option<Node>> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    if text.len() > MAX_CONFIG_BYTES {
        return Err(parser.error(&format!(
            "the config is {} bytes; at most {MAX_CONFIG_BYTES} are read",
            text.len()
        )));
    }
    if let Some(offset) = too_deep(text) {
        parser.pos = offset;
        return Err(parser.error(&format!(
            "objects and arrays nest deeper than {MAX_DEPTH} levels"
        )));
    }
    parser.skip()?;
    if parser.peek().is_none() {
        return Ok(None);
    }
    let root = parser.value()?;
    parser.skip()?;
    if parser.peek().is_some() {
        return Err(parser.error("unexpected text after the config object"));
    }
    Ok(Some(root))
}

/// Every object key in the file with its path and (line, column), in file
/// order. Array items appear as `Index` segments in the paths.
pub fn key_positions(text: &str) -> Result<Vec<(Vec<Segment>, (usize, usize))>> {
    fn walk(
        node: &Node,
        path: &mut Vec<Segment>,
        text: &str,
        out: &mut Vec<(Vec<Segment>, (usize, usize))>,
    ) {
        match node {
            Node::Object { members, .. } => {
                for member in members {
                    path.push(Segment::Key(member.key.clone()));
                    out.push((path.clone(), line_column(text, member.key_start)));
                    walk(&member.value, path, text, out);
                    path.pop();
                }
            }
            Node::Array { items, .. } => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    walk(&item.value, path, text, out);
                    path.pop();
                }
            }
            Node::Scalar { .. } => {}
        }
    }
    let mut out = Vec::new();
    if let Some(root) = parse_tree(text)? {
        walk(&root, &mut Vec::new(), text, &mut out);
    }
    Ok(out)
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

// ---------------------------------------------------------------------------
// Style of the existing file, so new text looks like the old.

#[derive(Debug, Clone)]
struct Style {
    unit: String,
    bare_keys: bool,
    trailing_commas: bool,
}

impl Style {
    fn detect(text: &str, root: Option<&Node>) -> Style {
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

    fn key(&self, key: &str) -> String {
        if self.bare_keys && is_plain_key(key) {
            key.to_owned()
        } else {
            serde_json::to_string(key).expect("string")
        }
    }

    /// Render `value` on one line: `{ a: 1, b: [2, 3] }`.
    fn render_inline(&self, value: &Value) -> String {
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
    fn render(&self, value: &Value, indent: &str) -> String {
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

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The whitespace before `pos` on its line, when only whitespace precedes it.
fn indent_at(text: &str, pos: usize) -> Option<String> {
    let start = line_start(text, pos);
    let before = &text[start..pos];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then(|| before.to_owned())
}

fn same_line(text: &str, a: usize, b: usize) -> bool {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    !text[a..b].contains('\n')
}

/// After `pos`: skip spaces and a comment that end the line; the offset of
/// that line's `\n` when only those follow, else `None`.
fn end_of_line_after(text: &str, pos: usize) -> Option<usize> {
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

// ---------------------------------------------------------------------------
// Edits.

struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn apply(text: &str, edits: Vec<Edit>) -> String {
    // From the end backwards; at one offset the later edit goes first, so
    // the texts end up in the order they were pushed.
    let mut edits: Vec<(usize, Edit)> = edits.into_iter().enumerate().collect();
    edits.sort_by_key(|(i, e)| (std::cmp::Reverse(e.start), std::cmp::Reverse(*i)));
    let mut out = text.to_owned();
    for (_, edit) in edits {
        out.replace_range(edit.start..edit.end, &edit.text);
    }
    out
}

fn kind_name(node: &Node) -> &'static str {
    match node {
        Node::Object { .. } => "an object",
        Node::Array { .. } => "an array",
        Node::Scalar { .. } => "a value",
    }
}

/// Wrap `value` in objects for the path segments not present yet.
fn nest(rest: &[Segment], value: Value) -> Result<Value> {
    let mut value = value;
    for segment in rest.iter().rev() {
        match segment {
            Segment::Key(key) => {
                let mut map = Map::new();
                map.insert(key.clone(), value);
                value = Value::Object(map);
            }
            Segment::Index(0) => value = Value::Array(vec![value]),
            Segment::Index(index) => {
                return Err(Error::usage(format!(
                    "cannot create list item [{index}]: the list does not exist"
                )));
            }
        }
    }
    Ok(value)
}

/// Set the value at `path`, creating missing objects. Returns the new text.
pub fn set(text: &str, path: &[Segment], value: &Value) -> Result<String> {
    let root = parse_tree(text)?;
    let style = Style::detect(text, root.as_ref());
    let Some(root) = root else {
        let whole = nest(path, value.clone())?;
        if !whole.is_object() {
            return Err(Error::usage("the config root must be an object"));
        }
        return Ok(style.render(&whole, "") + "\n");
    };
    if !matches!(root, Node::Object { .. }) {
        return Err(Error::config("the config root is not an object"));
    }
    let mut node = &root;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        match (node, segment) {
            (Node::Object { members, .. }, Segment::Key(key)) => {
                match members.iter().rev().find(|m| &m.key == key) {
                    Some(member) if last => {
                        return Ok(replace(text, &style, &member.value, value));
                    }
                    Some(member) => node = &member.value,
                    None => {
                        let nested = nest(&path[depth + 1..], value.clone())?;
                        return Ok(insert_member(text, &style, node, key, &nested));
                    }
                }
            }
            (Node::Array { items, .. }, Segment::Index(index)) => {
                if let Some(item) = items.get(*index) {
                    if last {
                        return Ok(replace(text, &style, &item.value, value));
                    }
                    node = &item.value;
                } else if *index == items.len() {
                    let nested = nest(&path[depth + 1..], value.clone())?;
                    return Ok(insert_item(text, &style, node, &nested));
                } else {
                    return Err(Error::usage(format!(
                        "`{}` has {} items; cannot set [{index}]",
                        display_path(&path[..depth]),
                        items.len()
                    )));
                }
            }
            (other, segment) => {
                return Err(Error::usage(format!(
                    "cannot set `{}`: `{}` is {}, not {}",
                    display_path(path),
                    if depth == 0 {
                        "the root".to_owned()
                    } else {
                        display_path(&path[..depth])
                    },
                    kind_name(other),
                    if matches!(segment, Segment::Index(_)) {
                        "an array"
                    } else {
                        "an object"
                    },
                )));
            }
        }
    }
    unreachable!("a non-empty path returns inside the loop")
}

fn replace(text: &str, style: &Style, old: &Node, value: &Value) -> String {
    let indent = leading_indent(text, old.start());
    let rendered = style.render(value, &indent);
    apply(
        text,
        vec![Edit {
            start: old.start(),
            end: old.end(),
            text: rendered,
        }],
    )
}

fn insert_member(text: &str, style: &Style, object: &Node, key: &str, value: &Value) -> String {
    let Node::Object {
        start,
        end,
        members,
    } = object
    else {
        unreachable!()
    };
    let (open, close) = (*start, *end - 1);
    match members.last() {
        None => {
            let outer = leading_indent(text, open);
            let multiline = !same_line(text, open, close) || open == first_non_space(text);
            // Only whitespace inside is replaced; a comment inside stays.
            let blank = text[open + 1..close].trim().is_empty();
            let end = if blank { close } else { open + 1 };
            if multiline {
                let inner = format!("{outer}{}", style.unit);
                let member = format!("{}: {}", style.key(key), style.render(value, &inner));
                let comma = if style.trailing_commas { "," } else { "" };
                let tail = if blank {
                    format!("\n{outer}")
                } else {
                    String::new()
                };
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end,
                        text: format!("\n{inner}{member}{comma}{tail}"),
                    }],
                )
            } else {
                let member = format!("{}: {}", style.key(key), style.render_inline(value));
                let tail = if blank { " " } else { "" };
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end,
                        text: format!(" {member}{tail}"),
                    }],
                )
            }
        }
        Some(last) => {
            let multiline = !same_line(text, open, last.key_start);
            if multiline {
                let indent = indent_at(text, last.key_start)
                    .unwrap_or_else(|| format!("{}{}", leading_indent(text, open), style.unit));
                let member = format!("{}: {}", style.key(key), style.render(value, &indent));
                insert_after_last(
                    text,
                    style,
                    last.value.end(),
                    last.comma,
                    &indent,
                    member,
                    close,
                )
            } else {
                // `{a: 1}` -> `{a: 1, b: 2}`; `{a: 1,}` -> `{a: 1, b: 2,}`
                let member = format!("{}: {}", style.key(key), style.render_inline(value));
                apply(
                    text,
                    vec![Edit {
                        start: last.value.end(),
                        end: last.value.end(),
                        text: format!(", {member}"),
                    }],
                )
            }
        }
    }
}

fn insert_item(text: &str, style: &Style, array: &Node, value: &Value) -> String {
    let Node::Array { start, end, items } = array else {
        unreachable!()
    };
    let (open, close) = (*start, *end - 1);
    match items.last() {
        None => {
            let outer = leading_indent(text, open);
            if !same_line(text, open, close) {
                let inner = format!("{outer}{}", style.unit);
                let comma = if style.trailing_commas { "," } else { "" };
                let rendered = style.render(value, &inner);
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end: close,
                        text: format!("\n{inner}{rendered}{comma}\n{outer}"),
                    }],
                )
            } else {
                let rendered = style.render_inline(value);
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end: close,
                        text: rendered,
                    }],
                )
            }
        }
        Some(last) => {
            if !same_line(text, open, last.value.start()) {
                let indent = indent_at(text, last.value.start())
                    .unwrap_or_else(|| format!("{}{}", leading_indent(text, open), style.unit));
                let rendered = style.render(value, &indent);
                insert_after_last(
                    text,
                    style,
                    last.value.end(),
                    last.comma,
                    &indent,
                    rendered,
                    close,
                )
            } else {
                let rendered = style.render_inline(value);
                apply(
                    text,
                    vec![Edit {
                        start: last.value.end(),
                        end: last.value.end(),
                        text: format!(", {rendered}"),
                    }],
                )
            }
        }
    }
}

/// Add `entry` on its own line after the last entry of a multi-line
/// object or array, keeping a comment that ends the last entry's line.
fn insert_after_last(
    text: &str,
    style: &Style,
    value_end: usize,
    comma: Option<usize>,
    indent: &str,
    entry: String,
    close: usize,
) -> String {
    let mut edits = Vec::new();
    let after = match comma {
        Some(comma) => comma + 1,
        None => {
            edits.push(Edit {
                start: value_end,
                end: value_end,
                text: ",".to_owned(),
            });
            value_end
        }
    };
    let trailing = if comma.is_some() || style.trailing_commas {
        ","
    } else {
        ""
    };
    match end_of_line_after(text, after).filter(|eol| *eol < close) {
        Some(eol) => edits.push(Edit {
            start: eol,
            end: eol,
            text: format!("\n{indent}{entry}{trailing}"),
        }),
        None => edits.push(Edit {
            start: after,
            end: after,
            text: format!("\n{indent}{entry}{trailing}"),
        }),
    }
    apply(text, edits)
}

fn leading_indent(text: &str, pos: usize) -> String {
    let start = line_start(text, pos);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

fn first_non_space(text: &str) -> usize {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let _ = parser.skip();
    parser.pos
}

/// Remove the value at `path` with its key and comma. `Ok(None)` when the
/// path is not in the file.
pub fn unset(text: &str, path: &[Segment]) -> Result<Option<String>> {
    let Some(root) = parse_tree(text)? else {
        return Ok(None);
    };
    let mut node = &root;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        match (node, segment) {
            (Node::Object { members, .. }, Segment::Key(key)) => {
                let Some(index) = members.iter().rposition(|m| &m.key == key) else {
                    return Ok(None);
                };
                if last {
                    let spans: Vec<(usize, usize, Option<usize>)> = members
                        .iter()
                        .map(|m| (m.key_start, m.value.end(), m.comma))
                        .collect();
                    return Ok(Some(remove_entry(text, &spans, index)));
                }
                node = &members[index].value;
            }
            (Node::Array { items, .. }, Segment::Index(index)) => {
                if *index >= items.len() {
                    return Ok(None);
                }
                if last {
                    let spans: Vec<(usize, usize, Option<usize>)> = items
                        .iter()
                        .map(|i| (i.value.start(), i.value.end(), i.comma))
                        .collect();
                    return Ok(Some(remove_entry(text, &spans, *index)));
                }
                node = &items[*index].value;
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// `entries` are (start, value end, comma) of each entry of one container.
fn remove_entry(text: &str, entries: &[(usize, usize, Option<usize>)], index: usize) -> String {
    let (start, value_end, comma) = entries[index];
    let mut edits = Vec::new();
    let mut end = comma.map_or(value_end, |c| c + 1);
    let mut begin = start;
    let own_line = indent_at(text, start).is_some();
    if own_line {
        // Take the whole line(s) when nothing else shares them.
        // (a comment that ends the line belongs to the entry).
        if let Some(eol) = end_of_line_after(text, end) {
            begin = line_start(text, start);
            end = (eol + 1).min(text.len());
        }
    } else if comma.is_some() {
        // `a: 1, b: 2` -> `a: 1` when removing `b`, or `b: 2` when removing `a`.
        let bytes = text.as_bytes();
        while end < bytes.len() && (bytes[end] == b' ' || bytes[end] == b'\t') {
            end += 1;
        }
    }
    // The last entry without a comma: drop the comma of the one before.
    if comma.is_none() && index > 0 {
        if let (_, _, Some(previous_comma)) = entries[index - 1] {
            edits.push(Edit {
                start: previous_comma,
                end: previous_comma + 1,
                text: String::new(),
            });
            if !own_line {
                begin = previous_comma + 1;
            }
        }
    }
    edits.push(Edit {
        start: begin,
        end,
        text: String::new(),
    });
    // Overlapping edits cannot happen: the previous comma comes before `begin`.
    apply(text, edits)
}

/// The value at `path` in parsed config JSON.
pub fn get<'v>(root: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    let mut node = root;
    for segment in path {
        node = match (node, segment) {
            (Value::Object(map), Segment::Key(key)) => map.get(key)?,
            (Value::Array(items), Segment::Index(index)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Deep-merge `patch` into the file at `path`, one leaf at a time so the
/// comments inside existing objects stay. Arrays gain the items they lack
/// (an item with the `id` of an existing one merges into it).
pub fn merge(text: &str, path: &[Segment], patch: &Value) -> Result<String> {
    let current = parse_value(text)?;
    merge_at(text.to_owned(), &current, path.to_vec(), patch)
}

fn merge_at(text: String, current: &Value, path: Vec<Segment>, patch: &Value) -> Result<String> {
    let existing = get(current, &path);
    match (existing, patch) {
        (Some(Value::Object(_)), Value::Object(map)) => {
            let mut text = text;
            for (key, value) in map {
                let mut child = path.clone();
                child.push(Segment::Key(key.clone()));
                let now = parse_value(&text)?;
                text = merge_at(text, &now, child, value)?;
            }
            Ok(text)
        }
        (Some(Value::Array(items)), Value::Array(additions)) => {
            let mut text = text;
            let mut count = items.len();
            for addition in additions {
                let same_id = addition
                    .get("id")
                    .and_then(|id| items.iter().position(|item| item.get("id") == Some(id)));
                if let Some(position) = same_id {
                    let mut child = path.clone();
                    child.push(Segment::Index(position));
                    let now = parse_value(&text)?;
                    text = merge_at(text, &now, child, addition)?;
                } else if !items.contains(addition) {
                    let mut child = path.clone();
                    child.push(Segment::Index(count));
                    text = set(&text, &child, addition)?;
                    count += 1;
                }
            }
            Ok(text)
        }
        (Some(old), new) if old == new => Ok(text),
        _ => set(&text, &path, patch),
    }
}

/// Syntax, size and nesting only, without building a value: the check
/// that runs before the recursive JSON5 parser sees the text.
pub fn check_syntax(text: &str) -> Result<()> {
    parse_tree(text).map(|_| ())
}

/// The whole file as JSON (comments dropped); empty text is `{}`.
pub fn parse_value(text: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    // The tokenizer first, for its clearer positions on a broken file.
    parse_tree(text)?;
    json5::from_str(text).map_err(|error| Error::config(error.to_string()))
}

/// Refuse when `OPENCLAW_CONFIG_READONLY=1`.
pub fn ensure_writable(path: &Path) -> Result<()> {
    if env::var(READONLY_ENV).as_deref() == Some("1") {
        return Err(Error::config(format!(
            "the config {} is read-only ({READONLY_ENV}=1); nothing was written",
            path.display()
        ))
        .with_hint(
            "change the file through the system that manages it, or unset OPENCLAW_CONFIG_READONLY",
        ));
    }
    Ok(())
}

/// Write the new config text: refuses read-only mode and text that does not
/// load as a config, keeps the previous file as `<name>.bak`, writes
/// atomically with mode 0600.
pub fn write(path: &Path, new_text: &str) -> Result<()> {
    ensure_writable(path)?;
    if let Err(problem) = super::load::parse(new_text) {
        return Err(Error::config(format!(
            "the edited config would not load ({problem}); {} was left unchanged",
            path.display()
        )));
    }
    if let Ok(metadata) = std::fs::symlink_metadata(path) {
        if metadata.file_type().is_symlink() {
            return Err(Error::config(format!(
                "{} is a symlink; refusing to replace it",
                path.display()
            ))
            .with_hint("point OPENCLAW_CONFIG_PATH at the real file"));
        }
        if let Ok(old) = std::fs::read(path) {
            let backup = backup_path(path);
            crate::media::write_atomic(&backup, &old, Some(0o600))?;
        }
    }
    crate::media::write_atomic(path, new_text.as_bytes(), Some(0o600))
}

pub fn backup_path(path: &Path) -> std::path::PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".bak");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(path: &str) -> Vec<Segment> {
        parse_path(path).unwrap()
    }

    fn set_str(text: &str, path: &str, value: Value) -> String {
        let out = set(text, &p(path), &value).unwrap();
        let parsed = parse_value(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(get(&parsed, &p(path)), Some(&value), "{out}");
        out
    }

    const SAMPLE: &str = r#"// my config
{
  /* agents */
  agents: {
    defaults: {
      model: { primary: "openai/gpt-5.4" }, // inline note
      timeoutSeconds: 30,
    },
  },
  // providers below
  'models': {
    providers: {},
  },
}
"#;

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

    #[test]
    fn replaces_only_the_value() {
        let out = set_str(
            SAMPLE,
            "agents.defaults.model.primary",
            json!("huggingface/deepseek-ai/DeepSeek-R1"),
        );
        assert_eq!(
            out,
            SAMPLE.replace("openai/gpt-5.4", "huggingface/deepseek-ai/DeepSeek-R1")
        );
        let out = set_str(SAMPLE, "agents.defaults.timeoutSeconds", json!(60));
        assert_eq!(out, SAMPLE.replace("30", "60"));
    }

    #[test]
    fn inserts_keys_with_the_surrounding_indentation() {
        let out = set_str(
            SAMPLE,
            "agents.defaults.models[\"huggingface/x:fastest\"].alias",
            json!("Fast"),
        );
        assert!(out.contains("      timeoutSeconds: 30,\n      models: {\n        \"huggingface/x:fastest\": {\n          alias: \"Fast\",\n        },\n      },\n    },"), "{out}");
        assert!(
            out.contains("// inline note")
                && out.contains("/* agents */")
                && out.starts_with("// my config")
        );
    }

    #[test]
    fn keeps_a_comment_that_ends_the_last_line() {
        let text = "{\n  a: 1, // one\n}\n";
        let out = set_str(text, "b", json!(2));
        assert_eq!(out, "{\n  a: 1, // one\n  b: 2,\n}\n");
        let text = "{\n  \"a\": 1 // one\n}\n";
        let out = set_str(text, "b", json!(true));
        assert_eq!(out, "{\n  \"a\": 1, // one\n  \"b\": true\n}\n");
    }

    #[test]
    fn fills_empty_objects_and_files() {
        let out = set_str(
            SAMPLE,
            "models.providers.huggingface.baseUrl",
            json!("http://127.0.0.1:9/v1"),
        );
        assert!(
            out.contains("providers: { huggingface: { baseUrl: \"http://127.0.0.1:9/v1\" } },"),
            "{out}"
        );
        assert_eq!(
            set_str("", "a.b", json!(1)),
            "{\n  a: {\n    b: 1,\n  },\n}\n"
        );
        assert_eq!(set_str("{}\n", "a", json!("x")), "{\n  a: \"x\",\n}\n");
        assert_eq!(
            set_str("{ /* c */ }", "a", json!(1)),
            "{\n  a: 1, /* c */ }"
        );
        assert_eq!(
            set_str("{x: { /* c */ }}", "x.a", json!(1)),
            "{x: { a: 1 /* c */ }}"
        );
    }

    #[test]
    fn single_line_objects_stay_on_one_line() {
        assert_eq!(set_str("{a: {b: 1}}", "a.c", json!(2)), "{a: {b: 1, c: 2}}");
        assert_eq!(set_str("{a: [1, 2]}", "a[2]", json!(3)), "{a: [1, 2, 3]}");
        assert_eq!(
            set_str("{a: [1, 2]}", "a[0]", json!({"x": 1})),
            "{a: [{\n  x: 1\n}, 2]}"
        );
    }

    #[test]
    fn arrays_by_index() {
        let text = "{\n  models: { providers: { huggingface: { models: [\n    { id: \"a\" }, // first\n  ] } } },\n}\n";
        let out = set_str(
            text,
            "models.providers.huggingface.models[0].alias",
            json!("A"),
        );
        assert!(
            out.contains("{ id: \"a\", alias: \"A\" }, // first"),
            "{out}"
        );
        let out = set_str(
            text,
            "models.providers.huggingface.models[1]",
            json!({"id": "b"}),
        );
        assert!(
            out.contains("// first\n    {\n      id: \"b\"\n    },\n  ]"),
            "{out}"
        );
        assert!(
            set(
                text,
                &p("models.providers.huggingface.models[5]"),
                &json!(1)
            )
            .is_err()
        );
        assert!(set(text, &p("models.providers.huggingface.models.x"), &json!(1)).is_err());
    }

    #[test]
    fn strings_with_tricky_content_are_skipped_correctly() {
        let text = "{\n  a: 'it\\'s // not a comment }',\n  \"b\": \"/* nor this */\",\n}\n";
        let out = set_str(text, "c", json!(1));
        assert!(
            out.starts_with(
                "{\n  a: 'it\\'s // not a comment }',\n  \"b\": \"/* nor this */\",\n  c: 1,\n}"
            ),
            "{out}"
        );
    }

    #[test]
    fn unset_removes_key_and_comma() {
        let out = unset(SAMPLE, &p("agents.defaults.timeoutSeconds"))
            .unwrap()
            .unwrap();
        assert_eq!(out, SAMPLE.replace("      timeoutSeconds: 30,\n", ""));
        let out = unset(SAMPLE, &p("agents.defaults.model")).unwrap().unwrap();
        assert!(
            !out.contains("inline note") && out.contains("      timeoutSeconds: 30,\n"),
            "{out}"
        );
        assert!(unset(SAMPLE, &p("agents.nothing")).unwrap().is_none());
        assert!(
            unset(SAMPLE, &p("agents.defaults.model.primary.deeper"))
                .unwrap()
                .is_none()
        );

        assert_eq!(unset("{a: 1, b: 2}", &p("b")).unwrap().unwrap(), "{a: 1}");
        assert_eq!(unset("{a: 1, b: 2}", &p("a")).unwrap().unwrap(), "{b: 2}");
        assert_eq!(
            unset("{\n  \"a\": 1,\n  \"b\": 2\n}", &p("b"))
                .unwrap()
                .unwrap(),
            "{\n  \"a\": 1\n}"
        );
        assert_eq!(
            unset("{a: [1, 2, 3]}", &p("a[1]")).unwrap().unwrap(),
            "{a: [1, 3]}"
        );
        for text in [SAMPLE, "{a: 1, b: 2}"] {
            let out = unset(text, &p("a")).unwrap().unwrap_or_default();
            parse_value(&out).unwrap();
        }
    }

    #[test]
    fn merge_keeps_existing_entries_and_comments() {
        let text = "{\n  agents: { defaults: { models: {\n    // keep me\n    \"openai/gpt-5.4\": { alias: \"G\" },\n  } } },\n}\n";
        let out = merge(
            text,
            &p("agents.defaults.models"),
            &json!({"huggingface/x": {"alias": "X"}, "openai/gpt-5.4": {"params": {"a": 1}}}),
        )
        .unwrap();
        let value = parse_value(&out).unwrap();
        assert_eq!(
            value["agents"]["defaults"]["models"]["openai/gpt-5.4"]["alias"],
            "G"
        );
        assert_eq!(
            value["agents"]["defaults"]["models"]["openai/gpt-5.4"]["params"]["a"],
            1
        );
        assert_eq!(
            value["agents"]["defaults"]["models"]["huggingface/x"]["alias"],
            "X"
        );
        assert!(out.contains("// keep me"));

        let text = "{models: {providers: {ollama: {baseUrl: 'http://x', models: [{id: 'a', name: 'A'}]}}}}";
        let out = merge(
            text,
            &p("models.providers.ollama.models"),
            &json!([{"id": "a", "alias": "aa"}, {"id": "b"}]),
        )
        .unwrap();
        let value = parse_value(&out).unwrap();
        assert_eq!(
            value["models"]["providers"]["ollama"]["models"],
            json!([{"id": "a", "name": "A", "alias": "aa"}, {"id": "b"}])
        );
    }

    #[test]
    fn many_edits_in_a_row_stay_valid() {
        let mut text =
            "{\n  // mine\n  agents: { defaults: { timeoutSeconds: 30 } },\n}\n".to_owned();
        for (path, value) in [
            ("agents.defaults.model.primary", json!("huggingface/x")),
            ("gateway.mode", json!("local")),
            ("models.providers[\"custom\"].baseUrl", json!("http://x")),
            (
                "models.providers[\"custom\"].api",
                json!("openai-completions"),
            ),
            ("models.providers[\"custom\"].apiKey", json!("K")),
            (
                "models.providers[\"custom\"].models",
                json!([{"id": "foo", "input": ["text"]}]),
            ),
            (
                "models.providers[\"custom\"].models[1]",
                json!({"id": "bar"}),
            ),
            ("z", json!(null)),
        ] {
            text = set_str(&text, path, value);
        }
        assert!(text.starts_with("{\n  // mine\n  agents: { defaults: { timeoutSeconds: 30, model: { primary: \"huggingface/x\" } } },\n"), "{text}");
    }

    #[test]
    fn broken_text_is_an_error_with_position() {
        let error = set("{\n  a: 1\n  b: 2\n}", &p("c"), &json!(1)).unwrap_err();
        assert!(error.message.starts_with("3:"), "{}", error.message);
        assert!(set("{ a: 'x }", &p("c"), &json!(1)).is_err());
    }

    #[test]
    fn write_keeps_a_backup_and_refuses_a_broken_result() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(&path, "{ /* old */ }").unwrap();
        write(&path, "{ a: 1 }").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ a: 1 }");
        assert_eq!(
            std::fs::read_to_string(backup_path(&path)).unwrap(),
            "{ /* old */ }"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let error = write(&path, "{ models: { mode: 'sideways' } }").unwrap_err();
        assert!(
            error.message.contains("left unchanged"),
            "{}",
            error.message
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ a: 1 }");
    }
}
