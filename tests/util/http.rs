//! A small HTTP/1.1 server on 127.0.0.1 for tests (no internet): one thread per connection, one
//! request and one answer per connection (`Connection: close`).
//!
//! A route, a closure of the request, says what to answer: any status, headers and body, a body
//! of any size streamed until the client goes away, or no answer at all. Every request is recorded
//! with its headers and body, in arrival order, and the server counts connections and the
//! requests it is answering at once.
//!
//! The integration tests use it as `util::http`; the window's tests (a module of the binary,
//! which cannot import from `tests/`) include this same file by path. Hence std only (and
//! serde_json, a dependency of the package).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long the server waits for a request, and how long a hanging answer lasts.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const HANG: Duration = Duration::from_secs(30);

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Its number on this server, from 0, in arrival order.
    pub number: usize,
    pub method: String,
    /// The target of the request line: path and query.
    pub path: String,
    /// Names as sent, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header, whatever the case of its name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, or `null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `METHOD /path`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What the server does with a request.
pub enum Reply {
    /// An answer (without its body to a HEAD request).
    Send {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Reads the request and never answers (the connection stays open for 30 s).
    Hang,
    /// 200 with a body of this many bytes, streamed until the client goes away.
    Huge(u64),
}

impl Reply {
    /// This status with a short text body, `status <code>`.
    pub fn status(status: u16) -> Reply {
        Reply::Send {
            status,
            headers: Vec::new(),
            body: format!("status {status}\n").into_bytes(),
        }
    }

    /// This status and no body.
    pub fn empty(status: u16) -> Reply {
        Reply::Send {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A redirect to `location`, with no body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::empty(status).header("Location", location)
    }

    /// This status with a JSON body (any text: it may be invalid on purpose).
    pub fn json(status: u16, body: impl ToString) -> Reply {
        Reply::Send {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Send { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Route = dyn Fn(&Request) -> Reply + Send + Sync;

#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    active: AtomicUsize,
    max_active: AtomicUsize,
    requests: Mutex<Vec<Request>>,
    body_bytes_sent: AtomicU64,
    client_went_away: AtomicBool,
}

/// A running server; it runs until the test process ends.
pub struct Server {
    base: String,
    stats: Arc<Stats>,
}

/// Serves `route(request)` on a fresh port of 127.0.0.1.
pub fn serve(route: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
    serve_with_delay(Duration::ZERO, route)
}

/// Serves `route(request)` on a fresh port of 127.0.0.1, waiting `delay` before each answer.
pub fn serve_with_delay(
    delay: Duration,
    route: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stats = Arc::new(Stats::default());
    let route: Arc<Route> = Arc::new(route);
    let s = Arc::clone(&stats);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (s, route) = (Arc::clone(&s), Arc::clone(&route));
            thread::spawn(move || handle(stream, &s, &*route, delay));
        }
    });
    Server { base, stats }
}

impl Server {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The address of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.stats.requests.lock().unwrap().clone()
    }

    /// `METHOD /path` of every request so far, in arrival order.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests().iter().map(Request::line).collect()
    }

    /// Connections accepted, whether or not a request came on them.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// The most requests this server was answering at one time.
    pub fn max_active(&self) -> usize {
        self.stats.max_active.load(Ordering::SeqCst)
    }

    /// Bytes of a [`Reply::Huge`] body written so far.
    pub fn body_bytes_sent(&self) -> u64 {
        self.stats.body_bytes_sent.load(Ordering::SeqCst)
    }

    /// Whether a client closed the connection while a [`Reply::Huge`] body was being written.
    pub fn client_went_away(&self) -> bool {
        self.stats.client_went_away.load(Ordering::SeqCst)
    }
}

/// `http://127.0.0.1:<port>` of a port where nothing listens.
pub fn closed_port_base() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn handle(mut stream: TcpStream, stats: &Stats, route: &Route, delay: Duration) {
    stats.connections.fetch_add(1, Ordering::SeqCst);
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let request = {
        let mut requests = stats.requests.lock().unwrap();
        let request = Request {
            number: requests.len(),
            method,
            path,
            headers,
            body,
        };
        requests.push(request.clone());
        request
    };

    let now = stats.active.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_active.fetch_max(now, Ordering::SeqCst);
    thread::sleep(delay);
    let reply = route(&request);
    // Counted as done before the answer leaves, so the client's next request never overlaps it.
    stats.active.fetch_sub(1, Ordering::SeqCst);
    let with_body = request.method != "HEAD";
    match reply {
        Reply::Hang => thread::sleep(HANG),
        Reply::Send {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            if with_body {
                let _ = stream.write_all(&body);
            }
        }
        Reply::Huge(len) => {
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(head.as_bytes());
            if with_body {
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0u64;
                while sent < len {
                    match stream.write(&chunk) {
                        Ok(0) | Err(_) => {
                            stats.client_went_away.store(true, Ordering::SeqCst);
                            break;
                        }
                        Ok(n) => {
                            sent += n as u64;
                            stats.body_bytes_sent.store(sent, Ordering::SeqCst);
                        }
                    }
                }
            }
        }
    }
    let _ = stream.flush();
}

/// A tiny OpenAI-compatible embeddings service for tests: each word of each input adds to one of
/// `dim` numbers (by a hash of the word), so texts that share words get close vectors.
pub fn word_hash_embeddings(request: &Request, dim: usize) -> Reply {
    let body = request.json();
    let data: Vec<serde_json::Value> = body["input"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, text)| {
            let mut v = vec![0.01f32; dim];
            for word in text.as_str().unwrap_or("").split_whitespace() {
                let h = word
                    .to_lowercase()
                    .bytes()
                    .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                v[h as usize % dim] += 1.0;
            }
            serde_json::json!({ "object": "embedding", "index": i, "embedding": v })
        })
        .collect();
    Reply::json(
        200,
        serde_json::json!({ "object": "list", "data": data, "model": body["model"] }),
    )
}
