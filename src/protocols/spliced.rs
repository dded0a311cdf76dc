//! JSON request bodies carrying one large text (a prompt of megabytes): the
//! text is escaped and sent slice by slice while the request goes out, so
//! it is never held a second time as part of a serialized body.
//!
//! The body struct is serialized with `MARKER` where the text belongs; the
//! bytes before and after the marker are sent around the escaped text.

use bytes::Bytes;

/// Texts at least this long are sent in slices; shorter ones are simply
/// serialized into the body.
pub const SPLICE_FROM: usize = 256 * 1024;

/// Stands in for the text while the rest of the body is serialized.
pub const MARKER: &str = "\u{1}openclaw-spliced-text\u{1}";

/// The size of each escaped slice handed to the connection.
const SLICE: usize = 64 * 1024;

/// A body split around its text: what comes before and after it.
#[derive(Debug)]
pub struct Spliced {
    pub head: Bytes,
    pub tail: Bytes,
    /// The length of the whole body once the text is escaped into it.
    pub length: u64,
}

/// `body` (serialized with `MARKER` in place of `text`) split around the
/// marker; `None` when the marker is not found exactly once, in which case
/// the caller serializes the body whole.
pub fn split(body: Vec<u8>, text: &str) -> Option<Spliced> {
    let quoted = serde_json::to_vec(MARKER).ok()?;
    let at = find(&body, &quoted)?;
    if find(&body[at + quoted.len()..], &quoted).is_some() {
        return None;
    }
    let body = Bytes::from(body);
    let head = body.slice(..at + 1);
    let tail = body.slice(at + quoted.len() - 1..);
    let length = (head.len() + tail.len()) as u64 + escaped_len(text);
    Some(Spliced { head, tail, length })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The length of `text` escaped as the inside of a JSON string.
fn escaped_len(text: &str) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a string into a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, text);
    count.0.saturating_sub(2)
}

/// `text` cut at most `SLICE` bytes in, on a character boundary. JSON
/// escapes one character at a time, so escaped slices join into the
/// escaped whole.
fn next_slice(text: &str) -> (&str, &str) {
    let mut end = SLICE.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.split_at(end)
}

/// One slice escaped as the inside of a JSON string.
fn escape(slice: &str) -> Bytes {
    let quoted = serde_json::to_vec(slice).unwrap_or_default();
    match quoted.len() {
        n if n >= 2 => Bytes::from(quoted).slice(1..n - 1),
        _ => Bytes::new(),
    }
}

/// The pieces of the body in order: head, the escaped slices, tail.
pub fn pieces<'a>(spliced: &Spliced, text: &'a str) -> impl Iterator<Item = Bytes> + 'a {
    let head = std::iter::once(spliced.head.clone());
    let tail = std::iter::once(spliced.tail.clone());
    let mut rest = text;
    let slices = std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (slice, after) = next_slice(rest);
        rest = after;
        Some(escape(slice))
    });
    head.chain(slices).chain(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(spliced: &Spliced, text: &str) -> Vec<u8> {
        pieces(spliced, text)
            .flat_map(|piece| piece.to_vec())
            .collect()
    }

    #[test]
    fn the_pieces_join_into_the_body_serialized_whole() {
        // Quotes, backslashes, control characters and multi-byte characters
        // straddling slice boundaries.
        let mut text = String::new();
        while text.len() < 3 * SLICE {
            text.push_str("a \"quoted\" \\ line\twith é, 中文 and 🦀\n\u{7}");
        }
        for text in [text.as_str(), &text[..SLICE + 1], "x", ""] {
            let whole =
                serde_json::to_vec(&serde_json::json!({"m": "x", "p": [text], "z": 1})).unwrap();
            let marked =
                serde_json::to_vec(&serde_json::json!({"m": "x", "p": [MARKER], "z": 1})).unwrap();
            let spliced = split(marked, text).expect("the marker is there once");
            assert_eq!(spliced.length, whole.len() as u64);
            assert_eq!(joined(&spliced, text), whole);
        }
    }

    #[test]
    fn a_body_without_the_marker_or_with_two_is_not_split() {
        assert!(split(br#"{"p":"text"}"#.to_vec(), "text").is_none());
        let twice = serde_json::to_vec(&[MARKER, MARKER]).unwrap();
        assert!(split(twice, "text").is_none());
    }
}
