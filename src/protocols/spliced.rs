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

/// The length of `text` escaped as the inside of a JSON string, as
/// serde_json escapes it: `"`, `\\` and the five controls with a short
/// form take two bytes, other controls below 0x20 six (`\\u00XX`), every
/// other byte (UTF-8 included) one. A unit test holds this to serde_json's
/// own output. Eight bytes are checked at a time: prompts are mostly text
/// with nothing to escape, and this pass runs before any byte is sent.
fn escaped_len(text: &str) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Whether some byte of `word` is below `limit` (at most 0x80).
    let below =
        |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS != 0;
    let clean = |word: u64| {
        !below(word, 0x20)
            && !below(word ^ (ONES * u64::from(b'"')), 1)
            && !below(word ^ (ONES * u64::from(b'\\')), 1)
    };
    let extra = |byte: &u8| -> u64 {
        match byte {
            b'"' | b'\\' | b'\x08' | b'\x0c' | b'\n' | b'\r' | b'\t' => 1,
            0..=0x1f => 5,
            _ => 0,
        }
    };
    let bytes = text.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut total = bytes.len() as u64;
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if !clean(word) {
            total += chunk.iter().map(extra).sum::<u64>();
        }
    }
    total + words.remainder().iter().map(extra).sum::<u64>()
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
    fn the_escaped_length_is_serde_jsons() {
        let serde_len = |text: &str| serde_json::to_vec(text).unwrap().len() as u64 - 2;
        // Every ASCII character alone and at each position of a word.
        for byte in 0u8..0x80 {
            let one = char::from(byte).to_string();
            assert_eq!(escaped_len(&one), serde_len(&one), "byte {byte:#x}");
            for at in 0..9 {
                let mut text = "abcdefghijklmnopq".to_owned();
                text.insert_str(at, &one);
                assert_eq!(
                    escaped_len(&text),
                    serde_len(&text),
                    "byte {byte:#x} at {at}"
                );
            }
        }
        for text in [
            "",
            "é中🦀",
            "\u{7f}\u{80}\u{2028}\u{2029}",
            "a\"b\\c\u{0}\u{1f} ",
        ] {
            assert_eq!(escaped_len(text), serde_len(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_escaped_length_matches_for_any_text(text in "\\PC{0,200}", controls in "[\\x00-\\x20\"\\\\a-z]{0,64}") {
            for text in [text.as_str(), controls.as_str(), &format!("{controls}{text}{controls}")] {
                let serde_len = serde_json::to_vec(text).unwrap().len() as u64 - 2;
                proptest::prop_assert_eq!(escaped_len(text), serde_len);
            }
        }
    }

    #[test]
    fn a_body_without_the_marker_or_with_two_is_not_split() {
        assert!(split(br#"{"p":"text"}"#.to_vec(), "text").is_none());
        let twice = serde_json::to_vec(&[MARKER, MARKER]).unwrap();
        assert!(split(twice, "text").is_none());
    }
}
