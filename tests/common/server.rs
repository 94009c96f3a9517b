//! A loopback HTTP/1.1 server for tests: routes map a path to a canned answer, every
//! request is counted, and a route may misbehave (hang, drip, reset).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a route answers.
#[derive(Clone)]
pub enum Answer {
    /// Status, headers, body. An `ETag` header makes the route answer 304 to a matching
    /// `If-None-Match`.
    Fixed(u16, Vec<(String, String)>, Vec<u8>),
    /// Accepts and never answers (until the server is dropped).
    Hang,
    /// A 200 whose body comes one byte every `every`.
    Drip(Vec<u8>, Duration),
    /// Headers announcing all of the body, `n` bytes of it, then a TCP reset.
    Reset(Vec<u8>, usize),
    /// Headers announcing all of the body, half of it, then a clean close.
    Truncated(Vec<u8>),
    /// A 200 with no length whose body is `prefix` then `chunk` forever.
    Endless(Vec<u8>, Vec<u8>),
}

impl Answer {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
        Answer::Fixed(
            200,
            vec![("Content-Type".into(), content_type.into())],
            body.into(),
        )
    }
    pub fn status(code: u16) -> Answer {
        Answer::Fixed(code, vec![], format!("status {code}\n").into_bytes())
    }
}

/// A header name in an [`Answer::Fixed`] that makes the answer unframed: no `Content-Length`,
/// the connection closed after the body (not sent itself).
pub const UNFRAMED: &str = "X-Test-Unframed";

#[derive(Default)]
struct State {
    /// A pause before every answer.
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
    routes: HashMap<String, Answer>,
    hits: HashMap<String, usize>,
    not_modified: usize,
    requests: Vec<(String, Vec<(String, String)>)>,
}

/// A running server; stops accepting when dropped.
pub struct Server {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &st);
                });
            }
        });
        Server { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), answer);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Pauses every answer by `d` (to make concurrency observable).
    pub fn set_delay(&self, d: Duration) {
        self.state.lock().unwrap().delay = d;
    }

    /// The most requests this server had in progress at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }

    pub fn not_modified(&self) -> usize {
        self.state.lock().unwrap().not_modified
    }

    /// The headers of every request to `path`, in order.
    pub fn requests_to(&self, path: &str) -> Vec<Vec<(String, String)>> {
        let st = self.state.lock().unwrap();
        st.requests
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, h)| h.clone())
            .collect()
    }
}

fn handle(stream: TcpStream, state: &Arc<Mutex<State>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    content_length = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        let route_key = path.split('?').next().unwrap_or("").to_string();
        let (answer, delay) = {
            let mut st = state.lock().unwrap();
            *st.hits.entry(route_key.clone()).or_default() += 1;
            st.requests.push((route_key.clone(), headers.clone()));
            st.in_flight += 1;
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
            (st.routes.get(&route_key).cloned(), st.delay)
        };
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        state.lock().unwrap().in_flight -= 1;
        match answer {
            None => write_response(&mut stream, 404, &[], b"not found\n")?,
            Some(Answer::Hang) => {
                std::thread::sleep(Duration::from_secs(600));
                return Ok(());
            }
            Some(Answer::Drip(body, every)) => {
                stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n")?;
                for b in body {
                    stream.write_all(&[b])?;
                    stream.flush()?;
                    std::thread::sleep(every);
                }
                return Ok(());
            }
            Some(Answer::Reset(body, n)) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                stream.write_all(head.as_bytes())?;
                stream.write_all(&body[..n.min(body.len())])?;
                stream.flush()?;
                reset(&stream);
                return Ok(());
            }
            Some(Answer::Truncated(body)) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes())?;
                stream.write_all(&body[..body.len() / 2])?;
                return Ok(());
            }
            Some(Answer::Endless(prefix, chunk)) => {
                stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n")?;
                stream.write_all(&prefix)?;
                // Bounded so that a broken client cannot keep the test running forever.
                for _ in 0..2_000_000 {
                    stream.write_all(&chunk)?;
                }
                return Ok(());
            }
            Some(Answer::Fixed(code, hdrs, body)) => {
                let etag = hdrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
                    .map(|(_, v)| v);
                let inm = headers
                    .iter()
                    .find(|(k, _)| k == "if-none-match")
                    .map(|(_, v)| v);
                if code == 200 && etag.is_some() && etag == inm {
                    state.lock().unwrap().not_modified += 1;
                    write_response(&mut stream, 304, &hdrs, b"")?;
                } else if hdrs.iter().any(|(k, _)| k == UNFRAMED) {
                    // No length and no chunks: the body ends when the connection closes
                    // (an HTTP/1.0-style server), so a cut body cannot be told from a whole one.
                    let mut head = format!("HTTP/1.1 {code} X\r\nConnection: close\r\n");
                    for (k, v) in hdrs.iter().filter(|(k, _)| k != UNFRAMED) {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    stream.write_all(head.as_bytes())?;
                    stream.write_all(&body)?;
                    stream.flush()?;
                    return Ok(());
                } else {
                    write_response(&mut stream, code, &hdrs, &body)?;
                }
            }
        }
    }
}

fn write_response(
    stream: &mut TcpStream,
    code: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {code} X\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Closes the connection with a TCP reset (SO_LINGER 0), as a crashing server does.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
