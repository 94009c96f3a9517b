//! The image proxy of `serve`: article images shown through the reader's own origin, so that
//! readers who cannot reach the outlets' image hosts still see them, and image hosts never
//! learn who reads what.
//!
//! Not an open proxy: only URLs the server itself wrote into a page are fetched, each signed
//! with an HMAC-SHA256 key kept in `.newsmirror/image-proxy.key`. Fetched through
//! [`crate::fetch::Fetcher`] as [`Kind::Image`], so the address rules of fetching apply (no
//! loopback or private addresses), with a size and a time limit; only raster images (by
//! their bytes) are passed on, with long cache headers.

use std::path::Path;
use std::time::Duration;

use ring::hmac;
use url::Url;

use super::WebError;
use crate::config::{Config, FetchSettings};
use crate::fetch::{FetchError, Fetched, Fetcher, Kind, Validators};
use crate::render::present::raster_type;

/// The key file, under the archive's state folder.
pub const KEY_FILE: &str = "image-proxy.key";

/// How long one image may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Signs, checks and fetches proxied images.
pub struct ImageProxy {
    key: hmac::Key,
    fetcher: Fetcher,
    settings: FetchSettings,
}

/// Why an image is not passed on.
#[derive(Debug)]
pub enum Refusal {
    /// The signature does not match the URL: not a URL this server wrote.
    BadSignature,
    /// Not an http(s) URL.
    BadUrl,
    /// The bytes are not a raster image.
    NotAnImage,
    /// The fetch failed (the address rules refused it, too large, timed out, an HTTP error).
    Fetch(FetchError),
}

impl ImageProxy {
    /// The proxy of `config`'s archive, with the key in `state` (made on first use; kept in
    /// memory only when the folder cannot be written).
    pub fn new(state: &Path, config: &Config) -> Result<ImageProxy, WebError> {
        let path = state.join(KEY_FILE);
        let key = match std::fs::read(&path) {
            Ok(k) if k.len() >= 32 => k,
            Ok(_) | Err(_) => {
                let mut k = [0u8; 32];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut k).map_err(
                    |_| WebError::Key {
                        path: path.clone(),
                        source: std::io::Error::other("no random numbers"),
                    },
                )?;
                if let Err(e) = write_key(&path, &k) {
                    tracing::warn!(
                        "image proxy: cannot keep the key in {} ({e}); image links change at each start",
                        path.display()
                    );
                }
                k.to_vec()
            }
        };
        // The address rules of fetching, with what the keeper allowed anywhere in the config:
        // the feeds' origins (an outlet's images often share them) and `allow_private`.
        let mut settings = config.fetch.clone();
        for s in &config.sources {
            for o in &s.fetch.trusted_origins {
                if !settings.trusted_origins.contains(o) {
                    settings.trusted_origins.push(o.clone());
                }
            }
            for r in &s.fetch.allow_private {
                if !settings.allow_private.contains(r) {
                    settings.allow_private.push(r.clone());
                }
            }
        }
        settings.page_max_bytes = config
            .sources
            .first()
            .map_or(5 * 1024 * 1024, |s| s.images.max_bytes);
        settings.timeout = TIMEOUT.min(settings.timeout.max(Duration::from_secs(1)));
        settings.retries = 0;
        Ok(ImageProxy {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
            fetcher: Fetcher::new(8, 4),
            settings,
        })
    }

    /// The signature of `url`.
    pub fn sign(&self, url: &str) -> String {
        hex(hmac::sign(&self.key, url.as_bytes()).as_ref())
    }

    /// The proxied address of an image URL, on this server.
    pub fn link(&self, url: &Url) -> String {
        let u = url.as_str();
        let enc: String = url::form_urlencoded::byte_serialize(u.as_bytes()).collect();
        format!("/img/{}?u={enc}", self.sign(u))
    }

    /// Whether `sig` is this server's signature of `url` (in constant time).
    pub fn verify(&self, url: &str, sig: &str) -> bool {
        let Some(tag) = unhex(sig) else {
            return false;
        };
        hmac::verify(&self.key, url.as_bytes(), &tag).is_ok()
    }

    /// The image at `url` if `sig` signs it: (MIME type, bytes).
    pub async fn fetch(&self, url: &str, sig: &str) -> Result<(&'static str, Vec<u8>), Refusal> {
        if !self.verify(url, sig) {
            return Err(Refusal::BadSignature);
        }
        let u = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or(Refusal::BadUrl)?;
        let got = self
            .fetcher
            .get(&u, &Validators::default(), &self.settings, Kind::Image)
            .await
            .map_err(Refusal::Fetch)?;
        let Fetched::Body(body) = got else {
            return Err(Refusal::Fetch(FetchError::Network(
                "the server answered 304 to an unconditional request".into(),
            )));
        };
        let ty = raster_type(&body.bytes).ok_or(Refusal::NotAnImage)?;
        Ok((ty, body.bytes))
    }
}

fn write_key(path: &Path, key: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(key)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::parse("[archive]\ndir = \"a\"\n", &dir.path().join("c.toml")).unwrap();
        let p = ImageProxy::new(dir.path(), &cfg).unwrap();
        let url = "https://img.example/a.jpg";
        let sig = p.sign(url);
        assert!(p.verify(url, &sig));
        assert!(!p.verify("https://img.example/b.jpg", &sig));
        assert!(!p.verify(url, &sig[..63]));
        assert!(!p.verify(url, &"0".repeat(64)));
        // The key is kept: a second start signs alike.
        let again = ImageProxy::new(dir.path(), &cfg).unwrap();
        assert_eq!(again.sign(url), sig);
        let link = p.link(&Url::parse(url).unwrap());
        assert!(
            link.starts_with(&format!("/img/{sig}?u=https%3A%2F%2F")),
            "{link}"
        );
    }
}
