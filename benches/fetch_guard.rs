//! The cost of the SSRF rules per request: ROUNDS fetches of a small page from a loopback
//! server over kept-alive connections, by route, after a warm-up:
//!
//! - `trusted`: the page's origin is a configured feed's (no address checks);
//! - `literal`: `127.0.0.1` allowed by `allow_private` (each hop checked, IP literal);
//! - `name`: `localhost` allowed by `allow_private = ["127.0.0.0/8", "::1"]` (each hop
//!   checked; new connections resolved by the filtering resolver).
//!
//!   cargo bench --bench fetch_guard -- [ROUNDS]
//!
//! Prints the mean time per request of each and the difference to `trusted`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Instant;

use newsmirror::config::{AddrRule, FetchSettings};
use newsmirror::fetch::{Fetcher, Kind, Validators};

fn serve() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_nodelay(true);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut line = String::new();
                    // Request line and headers, up to the blank line.
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let body = "<html><body><p>正文</p></body></html>";
                    // One write: split writes meet Nagle and delayed ACKs (40 ms each).
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let port = serve();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fetcher = Fetcher::new(4, 4);
    let trusted = FetchSettings {
        trusted_origins: vec![format!("http://127.0.0.1:{port}")],
        retries: 0,
        ..Default::default()
    };
    let literal = FetchSettings {
        allow_private: vec![AddrRule::parse(&format!("127.0.0.1:{port}")).unwrap()],
        retries: 0,
        ..Default::default()
    };
    let name = FetchSettings {
        allow_private: vec![
            AddrRule::parse("127.0.0.0/8").unwrap(),
            AddrRule::parse("::1").unwrap(),
        ],
        retries: 0,
        ..Default::default()
    };
    let cases = [
        ("trusted", format!("http://127.0.0.1:{port}/a"), trusted),
        ("literal", format!("http://127.0.0.1:{port}/a"), literal),
        ("name", format!("http://localhost:{port}/a"), name),
    ];
    let mut base = None;
    for (label, url, settings) in &cases {
        let url = url::Url::parse(url).unwrap();
        let run = |n: usize| {
            rt.block_on(async {
                for _ in 0..n {
                    fetcher
                        .get(&url, &Validators::default(), settings, Kind::Page)
                        .await
                        .expect("fetched");
                }
            })
        };
        run(50);
        let t = Instant::now();
        run(rounds);
        let per = t.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        let b = *base.get_or_insert(per);
        println!(
            "{label:8} {per:8.1} µs/request  ({:+.1} µs, {:.3}× trusted)",
            per - b,
            per / b
        );
    }
}
