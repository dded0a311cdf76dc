//! Frames an event-stream body into single lines before the SSE decoder
//! sees it, enforcing the line, event and stream size limits. The decoder
//! re-scans its whole buffer on every chunk, so handing it one line at a
//! time keeps parsing linear in the input whatever the server's chunking.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

use crate::error::{Error, Reason, Result};
use crate::http;

/// Bounds on one event stream.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// One line, and the lines of one event together.
    pub line: usize,
    /// The whole stream.
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line: http::SSE_LINE_LIMIT,
            total: http::ANSWER_LIMIT,
        }
    }
}

/// The body as a stream of complete lines (each with its terminator; the
/// last may lack one), or an error once a limit is passed.
pub struct Lines<'s> {
    inner: BoxStream<'s, Result<Bytes>>,
    limits: Limits,
    url: String,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    ready: VecDeque<Bytes>,
    event_bytes: usize,
    total: usize,
    last_was_cr: bool,
    done: bool,
}

impl<'s> Lines<'s> {
    pub fn new(
        body: impl Stream<Item = Result<Bytes>> + Send + 's,
        limits: Limits,
        url: &str,
    ) -> Lines<'s> {
        Lines {
            inner: body.boxed(),
            limits,
            url: http::redact_url(url),
            partial: Vec::new(),
            ready: VecDeque::new(),
            event_bytes: 0,
            total: 0,
            last_was_cr: false,
            done: false,
        }
    }

    fn push(&mut self, chunk: Bytes) -> Result<()> {
        self.total = self.total.saturating_add(chunk.len());
        if self.total > self.limits.total {
            return Err(http::too_large(&self.url, self.limits.total));
        }
        let mut start = 0;
        for (at, byte) in chunk.iter().enumerate() {
            if *byte != b'\n' && *byte != b'\r' {
                continue;
            }
            let piece = chunk.slice(start..=at);
            let line = if self.partial.is_empty() {
                piece
            } else {
                self.partial.extend_from_slice(&piece);
                Bytes::from(std::mem::take(&mut self.partial))
            };
            self.account(&line)?;
            self.ready.push_back(line);
            start = at + 1;
        }
        self.partial.extend_from_slice(&chunk[start..]);
        if self.partial.len() > self.limits.line {
            return Err(self.too_long("a line"));
        }
        Ok(())
    }

    /// Track the size of the current event: a blank line ends it. A lone
    /// `\n` right after a `\r` is the second half of a CRLF, not a blank.
    fn account(&mut self, line: &[u8]) -> Result<()> {
        let blank = match line {
            b"\n" => !self.last_was_cr,
            b"\r" => true,
            _ => false,
        };
        let crlf_tail = line == b"\n" && self.last_was_cr;
        self.last_was_cr = line.last() == Some(&b'\r');
        if blank {
            self.event_bytes = 0;
        } else if !crlf_tail {
            self.event_bytes += line.len();
            if self.event_bytes > self.limits.line {
                return Err(self.too_long("an event"));
            }
        }
        Ok(())
    }

    fn too_long(&self, what: &str) -> Error {
        Error::provider(
            Reason::Format,
            format!(
                "the event stream from {} sent {what} longer than {} MiB",
                self.url,
                self.limits.line / (1024 * 1024)
            ),
        )
    }
}

impl Stream for Lines<'_> {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(line)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match self.inner.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Err(error) = self.push(chunk) {
                        self.done = true;
                        self.ready.clear();
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => {
                    self.done = true;
                    if !self.partial.is_empty() {
                        let rest = Bytes::from(std::mem::take(&mut self.partial));
                        self.ready.push_back(rest);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::test_support::block_on;
    use eventsource_stream::Eventsource;
    use proptest::prelude::*;

    fn small() -> Limits {
        Limits {
            line: 64,
            total: 4096,
        }
    }

    /// Events decoded from `chunks` through the framer, or the first error.
    fn decode(chunks: Vec<Vec<u8>>, limits: Limits) -> Result<Vec<(String, String)>> {
        let body = futures_util::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
        block_on(async {
            let mut events = std::pin::pin!(Lines::new(body, limits, "http://h/").eventsource());
            let mut out = Vec::new();
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => out.push((event.event, event.data)),
                    Err(eventsource_stream::EventStreamError::Transport(error)) => {
                        return Err(error);
                    }
                    Err(other) => return Err(Error::internal(other.to_string())),
                }
            }
            Ok(out)
        })
    }

    fn split(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts {
            pieces.push(bytes[start..cut].to_vec());
            start = cut;
        }
        pieces.push(bytes[start..].to_vec());
        pieces
    }

    #[test]
    fn a_line_without_end_stops_at_the_limit() {
        let error = decode(vec![vec![b'a'; 65]], small()).unwrap_err();
        assert!(
            error.message().contains("a line longer"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn an_event_of_many_lines_stops_at_the_limit() {
        let error = decode(vec![b"data: 0123456789\r\n".repeat(10)], small()).unwrap_err();
        assert!(
            error.message().contains("an event longer"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn the_whole_stream_is_capped() {
        let error = decode(vec![b"data: x\n\n".repeat(1000)], small()).unwrap_err();
        assert!(
            error.message().contains("larger than"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn crlf_events_decode() {
        let events = decode(
            vec![b"event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n".to_vec()],
            small(),
        )
        .unwrap();
        assert_eq!(
            events,
            vec![("a".into(), "1".into()), ("message".into(), "2".into())]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Any chunking of a well-formed stream gives the same events.
        #[test]
        fn chunking_does_not_change_events(
            datas in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(b"az09 {}:\"".to_vec()), 0..20),
                0..8,
            ),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let text: String = datas
                .iter()
                .map(|d| format!("data: {}{end}{end}", String::from_utf8_lossy(d)))
                .collect();
            let whole = decode(vec![text.clone().into_bytes()], Limits::default()).unwrap();
            let pieces = decode(split(text.as_bytes(), &cuts), Limits::default()).unwrap();
            prop_assert_eq!(whole, pieces);
        }

        /// Garbage in any chunking never panics, and the stream ends.
        #[test]
        fn garbage_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            cuts in proptest::collection::vec(any::<usize>(), 0..16),
        ) {
            let _ = decode(split(&bytes, &cuts), small());
        }
    }
}
