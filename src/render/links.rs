//! How the reader's pages link to each other: absolute paths for `serve`, relative paths for
//! the static site (so it works from any sub-path and from `file://`), or full URLs under the
//! site's `base_url` (feeds, and the static 404 page, which a host serves at any depth).

use url::Url;

/// How links are written.
#[derive(Debug, Clone)]
pub struct Links {
    /// Prefix that leads to the top: `/` for the server, `../../` and the like for files, the
    /// base URL for absolute links.
    root: String,
    files: bool,
}

pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Links {
    /// Links of the web server.
    pub fn server() -> Links {
        Links {
            root: "/".into(),
            files: false,
        }
    }

    /// Links of the web server as full URLs under `base` (feeds).
    pub fn server_at(base: &Url) -> Links {
        Links {
            root: base.to_string(),
            files: false,
        }
    }

    /// Links of a static page `depth` folders below the top.
    pub fn files(depth: usize) -> Links {
        Links {
            root: "../".repeat(depth),
            files: true,
        }
    }

    /// Links of the static site as full URLs under `base` (feeds, the 404 page).
    pub fn files_at(base: &Url) -> Links {
        Links {
            root: base.to_string(),
            files: true,
        }
    }

    /// Whether these are the static site's links (pages carry their policy in a `<meta>`).
    pub fn is_files(&self) -> bool {
        self.files
    }

    pub fn home(&self) -> String {
        if self.files {
            format!("{}index.html", self.root)
        } else {
            self.root.clone()
        }
    }

    pub fn list(&self, slug: &str, page: usize) -> String {
        let slug = enc(slug);
        match (self.files, page) {
            (true, 0 | 1) => format!("{}s/{slug}/index.html", self.root),
            (true, n) => format!("{}s/{slug}/page-{n}.html", self.root),
            (false, 0 | 1) => format!("{}s/{slug}/", self.root),
            (false, n) => format!("{}s/{slug}/?page={n}", self.root),
        }
    }

    pub fn article(&self, slug: &str, id: i64) -> String {
        let ext = if self.files { ".html" } else { "" };
        format!("{}s/{}/{id}{ext}", self.root, enc(slug))
    }

    /// An earlier version of an article, in full.
    pub fn revision(&self, slug: &str, id: i64, n: i64) -> String {
        let ext = if self.files { ".html" } else { "" };
        format!("{}s/{}/{id}-v{n}{ext}", self.root, enc(slug))
    }

    pub fn feed(&self, name: &str) -> String {
        format!("{}feeds/{name}", self.root)
    }

    pub fn css(&self) -> String {
        format!("{}static/style.css", self.root)
    }

    /// The static search page's script.
    pub fn search_script(&self) -> String {
        format!("{}static/search.js", self.root)
    }

    /// The static search index's folder.
    pub fn search_index(&self) -> String {
        format!("{}search/", self.root)
    }

    pub fn assets(&self) -> String {
        format!("{}assets/", self.root)
    }

    /// The search page: the server's, or the static site's (searching with its own index).
    pub fn search(&self) -> String {
        if self.files {
            format!("{}search.html", self.root)
        } else {
            format!("{}search", self.root)
        }
    }

    pub fn search_page(&self, q: &str, source: Option<&str>, page: usize) -> String {
        let mut s = format!("{}?q={}", self.search(), enc(q));
        if let Some(src) = source {
            s.push_str(&format!("&source={}", enc(src)));
        }
        if page > 1 {
            s.push_str(&format!("&page={page}"));
        }
        s
    }
}
