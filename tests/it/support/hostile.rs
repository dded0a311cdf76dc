//! A hostile loopback HTTP server for the fault tests: it reads one request
//! per connection, records it, and answers however the test's handler
//! likes (a cut body, a drip, a bomb, an endless stream, silence, a
//! redirect elsewhere). Blocking threads, so it keeps serving while the
//! test waits on the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as received: the request line and headers, and the body.
#[derive(Debug, Clone)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
}

impl Received {
    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

pub type Handler = dyn Fn(&Received, &mut TcpStream) + Send + Sync;

pub struct Hostile {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Hostile {
    /// Serve every connection with `handler`; the connection closes when it
    /// returns.
    pub fn serve(handler: impl Fn(&Received, &mut TcpStream) + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let record = received.clone();
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let record = record.clone();
                let handler = handler.clone();
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    record.lock().unwrap().push(request.clone());
                    handler(&request, &mut stream);
                    let _ = stream.flush();
                });
            }
        });
        Hostile { url, received }
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push_str(&line);
    }
    let mut request = Received {
        head,
        body: Vec::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

/// A status line and headers, ending the head; `Connection: close` so the
/// end of a body without a length is the end of the connection.
pub fn head(status: &str, headers: &[(&str, &str)]) -> String {
    let mut text = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text
}

/// Answer `body` whole with `status` and `content_type`.
pub fn whole(status: &str, content_type: &str, body: &[u8], stream: &mut TcpStream) {
    let length = body.len().to_string();
    let _ = stream.write_all(
        head(
            status,
            &[("Content-Type", content_type), ("Content-Length", &length)],
        )
        .as_bytes(),
    );
    let _ = stream.write_all(body);
}

/// Announce `announced` bytes of JSON, send only `sent`, and hang up.
pub fn cut_body(sent: &str, announced: usize, stream: &mut TcpStream) {
    let length = announced.to_string();
    let _ = stream.write_all(
        head(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", &length),
            ],
        )
        .as_bytes(),
    );
    let _ = stream.write_all(sent.as_bytes());
}

/// An event stream that sends `events` and then ends without its protocol's
/// end marker.
pub fn cut_stream(content_type: &str, events: &str, stream: &mut TcpStream) {
    let _ = stream.write_all(head("200 OK", &[("Content-Type", content_type)]).as_bytes());
    let _ = stream.write_all(events.as_bytes());
}

/// Send `piece` again and again, `every` apart, until the client leaves.
pub fn drip(content_type: &str, piece: &[u8], every: Duration, stream: &mut TcpStream) {
    let _ = stream.write_all(head("200 OK", &[("Content-Type", content_type)]).as_bytes());
    loop {
        if stream.write_all(piece).is_err() {
            return;
        }
        std::thread::sleep(every);
    }
}

/// Say nothing at all, holding the connection open for `how_long`.
pub fn silence(how_long: Duration, _stream: &mut TcpStream) {
    std::thread::sleep(how_long);
}

/// `bytes` gzip-compressed (by the system's `gzip`).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    let mut input = child.stdin.take().unwrap();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output.stdout
}
