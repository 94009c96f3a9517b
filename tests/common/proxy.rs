//! Loopback proxies for tests: SOCKS5 (no auth or user/password) and HTTP (absolute-form
//! requests for http:// targets). Each records what it was asked to reach.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A running proxy; `seen` lists `host:port` targets (and `user:pass` for SOCKS5 logins).
pub struct Proxy {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn start(handler: fn(TcpStream, &Mutex<Vec<String>>) -> std::io::Result<()>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let s = s.clone();
            std::thread::spawn(move || {
                let _ = handler(stream, &s);
            });
        }
    });
    Proxy { port, seen }
}

/// Copies both ways until either side closes.
fn pipe(a: TcpStream, b: TcpStream) -> std::io::Result<()> {
    let (mut a2, mut b2) = (a.try_clone()?, b.try_clone()?);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
    });
    let (mut a, mut b) = (a, b);
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
    Ok(())
}

pub fn socks5() -> Proxy {
    start(|mut c, seen| {
        let mut head = [0u8; 2];
        c.read_exact(&mut head)?;
        let mut methods = vec![0u8; head[1] as usize];
        c.read_exact(&mut methods)?;
        if methods.contains(&2) {
            c.write_all(&[5, 2])?;
            let mut v = [0u8; 2];
            c.read_exact(&mut v)?;
            let mut user = vec![0u8; v[1] as usize];
            c.read_exact(&mut user)?;
            let mut plen = [0u8; 1];
            c.read_exact(&mut plen)?;
            let mut pass = vec![0u8; plen[0] as usize];
            c.read_exact(&mut pass)?;
            seen.lock().unwrap().push(format!(
                "login {}:{}",
                String::from_utf8_lossy(&user),
                String::from_utf8_lossy(&pass)
            ));
            c.write_all(&[1, 0])?;
        } else {
            c.write_all(&[5, 0])?;
        }
        let mut req = [0u8; 4];
        c.read_exact(&mut req)?;
        let host = match req[3] {
            1 => {
                let mut ip = [0u8; 4];
                c.read_exact(&mut ip)?;
                std::net::Ipv4Addr::from(ip).to_string()
            }
            3 => {
                let mut len = [0u8; 1];
                c.read_exact(&mut len)?;
                let mut name = vec![0u8; len[0] as usize];
                c.read_exact(&mut name)?;
                String::from_utf8_lossy(&name).into_owned()
            }
            _ => return Ok(()),
        };
        let mut port = [0u8; 2];
        c.read_exact(&mut port)?;
        let port = u16::from_be_bytes(port);
        seen.lock().unwrap().push(format!("{host}:{port}"));
        let upstream = TcpStream::connect((host.as_str(), port))?;
        c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
        pipe(c, upstream)
    })
}

pub fn http() -> Proxy {
    start(|c, seen| {
        let mut reader = BufReader::new(c.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        // GET http://127.0.0.1:PORT/path HTTP/1.1
        let mut parts = line.split_whitespace();
        let (method, target, version) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let rest = target.strip_prefix("http://").unwrap_or(target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        seen.lock().unwrap().push(authority.to_string());
        let mut upstream = TcpStream::connect(authority)?;
        upstream.write_all(
            format!(
                "{method} {} {version}\r\n",
                if path.is_empty() { "/" } else { path }
            )
            .as_bytes(),
        )?;
        // The rest of the head, then whatever follows, as it comes.
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                break;
            }
            if h.to_ascii_lowercase().starts_with("proxy-") {
                continue;
            }
            upstream.write_all(h.as_bytes())?;
            if h == "\r\n" {
                break;
            }
        }
        pipe(c, upstream)
    })
}
