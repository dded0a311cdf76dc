//! The JSON5 tokenizer: a tree of objects, arrays and scalars that records
//! the byte span of every value, key and comma, so edits touch ranges only.

use super::path::Segment;
use crate::config::TextError;

type Result<T> = std::result::Result<T, TextError>;

#[derive(Debug)]
pub(super) enum Node {
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
    pub(super) fn start(&self) -> usize {
        match self {
            Node::Object { start, .. } | Node::Array { start, .. } | Node::Scalar { start, .. } => {
                *start
            }
        }
    }
    pub(super) fn end(&self) -> usize {
        match self {
            Node::Object { end, .. } | Node::Array { end, .. } | Node::Scalar { end, .. } => *end,
        }
    }
}

#[derive(Debug)]
pub(super) struct Member {
    pub(super) key: String,
    pub(super) key_start: usize,
    pub(super) value: Node,
    /// Byte offset of the `,` after the value, if any.
    pub(super) comma: Option<usize>,
}

#[derive(Debug)]
pub(super) struct Item {
    pub(super) value: Node,
    pub(super) comma: Option<usize>,
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Parser<'t> {
    fn error(&self, what: &str) -> TextError {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        TextError::at(line, column, what)
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

    /// Step over a `,` after a value, returning where it was.
    fn comma(&mut self) -> Option<usize> {
        let at = self.pos;
        (self.peek() == Some(b',')).then(|| {
            self.pos += 1;
            at
        })
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
            let comma = self.comma();
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
            let comma = self.comma();
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

pub(super) fn parse_tree(text: &str) -> Result<Option<Node>> {
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

/// An object key's path and its (line, column) in the file.
pub type KeyPosition = (Vec<Segment>, (usize, usize));

/// Every object key in the file with its path and (line, column), in file
/// order. Array items appear as `Index` segments in the paths.
pub fn key_positions(text: &str) -> Result<Vec<KeyPosition>> {
    fn walk(node: &Node, path: &mut Vec<Segment>, text: &str, out: &mut Vec<KeyPosition>) {
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

/// Where the first token starts, past leading whitespace and comments.
pub(super) fn first_non_space(text: &str) -> usize {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let _ = parser.skip();
    parser.pos
}

#[cfg(test)]
mod tests {
    use super::super::{parse_path, set};
    use serde_json::json;

    #[test]
    fn broken_text_is_an_error_with_position() {
        let error = set("{\n  a: 1\n  b: 2\n}", &p("c"), &json!(1)).unwrap_err();
        assert!(error.message().starts_with("3:"), "{}", error.message());
        assert!(set("{ a: 'x }", &p("c"), &json!(1)).is_err());
    }

    fn p(path: &str) -> Vec<super::Segment> {
        parse_path(path).unwrap()
    }
}
