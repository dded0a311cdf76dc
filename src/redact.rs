//! What may reach a terminal: known secret values are masked and control
//! characters escaped. `output` runs every printed string through `clean`;
//! credential and config loaders feed `register` as they read secrets.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, PoisonError};

/// What a masked secret prints as.
pub const MASK: &str = "***";

/// Shorter values are not masked: they would blank common words in answers
/// (a dummy key like `none`), and carry no real secret anyway.
const MIN_SECRET_CHARS: usize = 6;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static ENV_SCAN: Once = Once::new();
static SHOW_SECRETS: AtomicBool = AtomicBool::new(false);

/// `config get --show-secrets`: the user asked to see the values, so this
/// process prints them (control characters are still escaped).
pub fn show_secrets() {
    SHOW_SECRETS.store(true, Ordering::Relaxed);
}

/// Remember a secret value so that no printed string shows it. The forms it
/// takes inside a JSON string and inside a URL are remembered too.
pub fn register(value: &str) {
    let value = value.trim();
    if value.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(value)
        .to_owned();
    let percent: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let mut secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    for form in [value.to_owned(), json, percent] {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// The user name and password of a URL (`https://user:pass@host`), which
/// are credentials wherever they appear.
pub fn register_url(text: &str) {
    let Ok(url) = url::Url::parse(text.trim()) else {
        return;
    };
    for part in [url.username(), url.password().unwrap_or_default()] {
        if part.is_empty() {
            continue;
        }
        register(part);
        let decoded = percent_encoding::percent_decode_str(part).decode_utf8_lossy();
        register(&decoded);
    }
}

/// Whether an environment variable or config key name looks like it holds
/// a credential.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let locator = ["_FILE", "_PATH", "_DIR", "_SOCK", "_URL"]
        .iter()
        .any(|suffix| upper.ends_with(suffix));
    !locator
        && ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"]
            .iter()
            .any(|word| upper.contains(word))
}

/// Credentials users keep in the environment: `*_API_KEY`, `*_TOKEN`...,
/// and the userinfo of proxy URLs. Done once, before the first print.
fn scan_environment() {
    ENV_SCAN.call_once(|| {
        for (name, value) in std::env::vars_os() {
            let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
                continue;
            };
            if is_secret_name(name) {
                register(value);
            } else if name.to_ascii_lowercase().ends_with("_proxy") {
                register_url(value);
            }
        }
    });
}

/// `text` with every registered secret replaced by `MASK`.
pub fn redact(text: &str) -> Cow<'_, str> {
    if SHOW_SECRETS.load(Ordering::Relaxed) {
        return Cow::Borrowed(text);
    }
    scan_environment();
    let secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    mask_all(text, &secrets)
}

fn mask_all<'t>(text: &'t str, secrets: &[String]) -> Cow<'t, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// Masking for text printed piece by piece (streamed deltas): a secret
/// split across two pieces must still be masked, so the tail of what came
/// so far that could be the start of a secret waits for the next piece.
#[derive(Debug, Default)]
pub struct SplitGuard {
    held: String,
}

impl SplitGuard {
    /// What of `piece` (and the tail held back before it) can be shown
    /// now, with whole secrets masked.
    pub fn push(&mut self, piece: &str) -> String {
        self.held.push_str(piece);
        if SHOW_SECRETS.load(Ordering::Relaxed) {
            return std::mem::take(&mut self.held);
        }
        scan_environment();
        let secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
        let masked = mask_all(&self.held, &secrets).into_owned();
        let keep = secrets
            .iter()
            .map(|secret| start_of_secret(&masked, secret))
            .max()
            .unwrap_or(0);
        let shown = masked[..masked.len() - keep].to_owned();
        self.held = masked[masked.len() - keep..].to_owned();
        shown
    }

    /// The held-back tail, at the end of the stream (no whole secret can be
    /// in it: it is shorter than any).
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// The length of the longest end of `text` that is a proper start of
/// `secret`.
fn start_of_secret(text: &str, secret: &str) -> usize {
    (1..secret.len().min(text.len() + 1))
        .rev()
        .find(|&len| {
            secret.is_char_boundary(len)
                && text.is_char_boundary(text.len() - len)
                && text.ends_with(&secret[..len])
        })
        .unwrap_or(0)
}

/// Control characters shown as visible escapes (`\x1b`, `\r`, `\u{202e}`),
/// so text from a server cannot move the cursor, retitle the window or ring
/// the bell. Newlines, tabs and a CR that ends a line are kept.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let needs =
        |c: char| (c.is_control() && c != '\n' && c != '\t' && c != '\r') || is_bidi_control(c);
    if !text.chars().any(needs) && !has_lone_cr(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => out.push(c),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 && (c.is_control()) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn has_lone_cr(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

/// Characters that reorder the text shown after them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Everything `output` prints: secrets masked, then control characters
/// escaped.
pub fn clean(text: &str) -> Cow<'_, str> {
    match redact(text) {
        Cow::Borrowed(text) => escape_controls(text),
        Cow::Owned(text) => Cow::Owned(escape_controls(&text).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_every_form_of_a_secret() {
        let secrets = vec!["sk-abc\"def-123".to_owned(), "sk-abc\\\"def-123".to_owned()];
        let text = "key sk-abc\"def-123 and json \"sk-abc\\\"def-123\"";
        assert_eq!(mask_all(text, &secrets), "key *** and json \"***\"");
    }

    #[test]
    fn registered_values_are_masked_and_short_ones_ignored() {
        register("sk-registered-in-test-0001");
        register("abc");
        let shown = redact("echo: sk-registered-in-test-0001 abc");
        assert_eq!(shown, "echo: *** abc");
    }

    #[test]
    fn url_userinfo_is_registered() {
        register_url("http://proxyuser:p%40ss-word-77@proxy.example:3128");
        let shown = redact("via proxyuser / p@ss-word-77 / p%40ss-word-77");
        assert_eq!(shown, "via *** / *** / ***");
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("OPENAI_API_KEY"));
        assert!(is_secret_name("HF_TOKEN"));
        assert!(is_secret_name("apiKey"));
        assert!(!is_secret_name("GOOGLE_APPLICATION_CREDENTIALS_FILE"));
        assert!(!is_secret_name("SEARXNG_BASE_URL"));
        assert!(!is_secret_name("HOME"));
    }

    #[test]
    fn controls_are_escaped_but_layout_kept() {
        assert_eq!(
            escape_controls("a\x1b[31mred\x07\tb\r\nc\rd\u{9b}e\u{202e}f\n"),
            "a\\x1b[31mred\\x07\tb\r\nc\\rd\\x9be\\u{202e}f\n"
        );
        assert!(matches!(escape_controls("plain\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_split_across_pieces_is_masked() {
        register("sk-split-across-deltas-42");
        let mut guard = SplitGuard::default();
        let mut shown = String::new();
        for piece in ["the key is sk-spl", "it-across-del", "tas-42 and so", "k"] {
            shown.push_str(&guard.push(piece));
        }
        shown.push_str(&guard.finish());
        assert_eq!(shown, "the key is *** and sok");
    }

    proptest! {
        #[test]
        fn a_masked_secret_never_survives(
            secret in "[A-Za-z0-9_\\-\"\\\\]{6,40}",
            before in "\\PC{0,40}",
            after in "\\PC{0,40}",
        ) {
            let secrets = vec![secret.clone()];
            let text = format!("{before}{secret}{after}");
            let shown = mask_all(&text, &secrets);
            prop_assert!(!shown.contains(&secret));
        }

        #[test]
        fn escaped_text_has_no_controls_but_newlines_and_tabs(text in "\\PC*|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}a]{0,64}") {
            let shown = escape_controls(&text);
            for (i, c) in shown.char_indices() {
                let cr_before_lf = c == '\r' && shown[i + 1..].starts_with('\n');
                prop_assert!(!c.is_control() || c == '\n' || c == '\t' || cr_before_lf);
            }
        }

        #[test]
        fn split_pieces_show_what_whole_text_shows(
            text in "[a-z -]{0,30}sk-proptest-secret-7[a-z -]{0,30}",
            cuts in proptest::collection::vec(0usize..80, 0..6),
        ) {
            register("sk-proptest-secret-7");
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| *c < text.len()).collect();
            cuts.sort_unstable();
            let mut guard = SplitGuard::default();
            let (mut shown, mut start) = (String::new(), 0);
            for cut in cuts.into_iter().chain([text.len()]) {
                shown.push_str(&guard.push(&text[start..cut]));
                start = cut;
            }
            shown.push_str(&guard.finish());
            prop_assert_eq!(shown, redact(&text).into_owned());
        }

        #[test]
        fn redaction_never_panics(text in "\\PC{0,200}") {
            let _ = clean(&text);
        }
    }
}
