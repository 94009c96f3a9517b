//! A tolerant XML reader: a small element tree built from text that a strict parser would
//! reject.
//!
//! Feeds in the wild are often not well-formed: bare `&`, HTML entities XML does not define
//! (`&nbsp;`), HTML markup left unescaped inside `<description>`, end tags missing or out of
//! order, an unfinished CDATA section at the end of a truncated download. Like feedparser's
//! loose mode, this reader never fails: every start tag opens an element, an end tag closes
//! the nearest open element of that name (and whatever was left open inside it), a stray end
//! tag is ignored, and everything still open at the end is closed. The input is text
//! (`fetch::charset` decoded it), so the XML declaration's encoding plays no part. quick-xml,
//! in its most lenient configuration, finds the tokens ([`quick`]); this module builds the
//! tree. Entities a document declares are not expanded; HTML's named entities are read.
//!
//! Namespaces are resolved to the usual prefix of each namespace the readers need (`dc:date`,
//! `atom:link`, `media:content`), whatever prefix the document chose; elements in RSS
//! namespaces, in no namespace, or in an unknown default namespace keep their bare name.
//! Nesting deeper than [`MAX_DEPTH`] is flattened, so no input can exhaust the stack.

mod quick;

use super::text::{decode_entities, escape_attr, escape_text};

/// Elements nested deeper than this are not opened; their text goes to the deepest open one.
pub const MAX_DEPTH: usize = 200;

/// The attribute marking an item the document ended inside (a truncated download: any of
/// its fields may be torn or missing): not a name any document can hold.
pub const CUT_OFF: &str = "\u{0}cut-off";

/// Elements that never nest in themselves: an open one is closed by the next.
const ITEMS: &[&str] = &["item", "atom:item", "entry", "atom:entry"];

/// An element with its canonical name, attributes and children.
#[derive(Debug, Clone, Default)]
pub struct Element {
    /// The canonical name: `item`, `dc:date`, `atom:link`, `media:content`.
    pub name: String,
    /// The name as written, for writing markup back out (`xhtml:p`, `p`).
    pub raw: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

/// An attribute: canonical name (`rel`, `xml:base`, `rdf:about`) and decoded value.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub raw: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// A parsed document: every top-level node under one synthetic element, and the namespace
/// URI of the first element (the root), when it had one.
#[derive(Debug, Default)]
pub struct Document {
    pub top: Element,
    pub root_ns: Option<String>,
    /// The document ended before its root element was closed: a truncated download
    /// (whatever was after the cut is missing).
    pub truncated: bool,
}

impl Document {
    /// The first top-level element.
    pub fn root(&self) -> Option<&Element> {
        self.top.elements().next()
    }
}

impl Element {
    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with one of these names.
    pub fn child(&self, names: &[&str]) -> Option<&Element> {
        names
            .iter()
            .find_map(|n| self.elements().find(|e| e.name == *n))
    }

    /// Every child element with this name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.name == name)
    }

    /// An attribute's value by canonical name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Whether any child is an element (mixed or markup content).
    pub fn has_elements(&self) -> bool {
        self.elements().next().is_some()
    }

    /// All text inside, descendants included, in document order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// The content written back as HTML: text escaped, child elements as tags (without
    /// namespace prefixes).
    pub fn inner_html(&self) -> String {
        let mut out = String::new();
        self.write_children(&mut out);
        out
    }

    fn write_children(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(&escape_text(t)),
                Node::Element(e) => e.write_html(out),
            }
        }
    }

    fn write_html(&self, out: &mut String) {
        let local = local_part(&self.raw);
        out.push('<');
        out.push_str(local);
        for a in &self.attrs {
            if a.raw == "xmlns" || a.raw.starts_with("xmlns:") {
                continue;
            }
            out.push(' ');
            out.push_str(&a.raw);
            out.push_str("=\"");
            out.push_str(&escape_attr(&a.value));
            out.push('"');
        }
        out.push('>');
        let void = is_void(local);
        self.write_children(out);
        if !void {
            out.push_str("</");
            out.push_str(local);
            out.push('>');
        }
    }

    /// Lower-cases every element and attribute name (CDF writes them in upper case).
    pub fn lowercase_names(&mut self) {
        let mut todo: Vec<&mut Element> = vec![self];
        while let Some(el) = todo.pop() {
            el.name = el.name.to_lowercase();
            for a in &mut el.attrs {
                a.name = a.name.to_lowercase();
            }
            for n in &mut el.children {
                if let Node::Element(e) = n {
                    todo.push(e);
                }
            }
        }
    }

    /// Whether this element or any below it has the attribute `name`.
    pub fn any_attr(&self, name: &str) -> bool {
        let mut todo: Vec<&Element> = vec![self];
        while let Some(el) = todo.pop() {
            if el.attr(name).is_some() {
                return true;
            }
            todo.extend(el.elements());
        }
        false
    }

    /// Descendant elements named `name`, in document order, not looking inside a match.
    pub fn find_all<'a>(&'a self, names: &[&str], out: &mut Vec<&'a Element>) {
        for e in self.elements() {
            if names.contains(&e.name.as_str()) {
                out.push(e);
            } else {
                e.find_all(names, out);
            }
        }
    }
}

fn local_part(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn is_void(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// The usual prefix of a namespace the readers use; `""` for the RSS namespaces (read as
/// bare names). Compared without case and trailing `/` or `#`.
fn known_prefix(uri: &str) -> Option<&'static str> {
    let u = uri.trim().trim_end_matches(['/', '#']).to_ascii_lowercase();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(&u);
    Some(match u {
        "purl.org/rss/1.0"
        | "my.netscape.com/rdf/simple/0.9"
        | "backend.userland.com/rss2"
        | "backend.userland.com/rss"
        | "blogs.law.harvard.edu/tech/rss"
        | "purl.org/net/rss1.1" => "",
        "www.w3.org/2005/atom" | "purl.org/atom/ns" => "atom",
        "www.w3.org/1999/02/22-rdf-syntax-ns" => "rdf",
        "purl.org/dc/elements/1.1" => "dc",
        "purl.org/dc/terms" => "dcterms",
        "purl.org/rss/1.0/modules/content" => "content",
        "search.yahoo.com/mrss" | "tools.search.yahoo.com/mrss" => "media",
        "www.itunes.com/dtds/podcast-1.0.dtd" => "itunes",
        "www.w3.org/1999/xhtml" => "xhtml",
        "wellformedweb.org/commentapi" => "wfw",
        "www.w3.org/xml/1998/namespace" => "xml",
        "purl.org/syndication/thread/1.0" => "thr",
        "podlove.org/simple-chapters" => "psc",
        "rssnamespace.org/feedburner/ext/1.0" => "feedburner",
        _ if u.starts_with("purl.org/atom/ns#") || u.starts_with("purl.org/atom/ns") => "atom",
        _ => return None,
    })
}

/// The feed vocabulary's element names (local parts), spelled as the readers look for them.
/// feedparser reads names without case, and old generators write `<Title>`, `<PubDate>`,
/// `<ITEM>`, `<RSS>`: a name equal to one of these but for case is read as it.
const ELEMENT_NAMES: &[&str] = &[
    "rss",
    "channel",
    "item",
    "title",
    "link",
    "description",
    "pubDate",
    "guid",
    "author",
    "category",
    "comments",
    "enclosure",
    "source",
    "date",
    "identifier",
    "issued",
    "created",
    "modified",
    "published",
    "updated",
    "lastBuildDate",
    "encoded",
    "entry",
    "feed",
    "id",
    "content",
    "summary",
    "body",
    "fullitem",
    "abstract",
    "thumbnail",
    "group",
    "image",
];

/// Attribute names read the same way.
const ATTRIBUTE_NAMES: &[&str] = &[
    "isPermaLink",
    "href",
    "rel",
    "type",
    "url",
    "length",
    "version",
    "mode",
    "medium",
];

/// `name` with its local part spelled as in `vocabulary` when they differ only by case.
fn fold_case(name: String, vocabulary: &[&str]) -> String {
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name.as_str()),
    };
    match vocabulary
        .iter()
        .find(|v| **v != local && v.eq_ignore_ascii_case(local))
    {
        Some(v) => match prefix {
            Some(p) => format!("{p}:{v}"),
            None => v.to_string(),
        },
        None => name,
    }
}

/// Namespace declarations in scope: one frame per open element.
struct Scopes {
    frames: Vec<Vec<(String, String)>>,
}

impl Scopes {
    fn lookup(&self, prefix: &str) -> Option<&str> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
    }

    /// The canonical name of an element or attribute name as written.
    fn canonical(&self, raw: &str, is_attr: bool) -> String {
        let (prefix, local) = match raw.split_once(':') {
            Some((p, l)) if !p.is_empty() && !l.is_empty() => (Some(p), l),
            _ => (None, raw),
        };
        let uri = match prefix {
            Some("xml") => return format!("xml:{local}"),
            Some(p) => self.lookup(p),
            None if is_attr => None,
            None => self.lookup(""),
        };
        match (uri.and_then(known_prefix), prefix) {
            (Some(""), _) => local.to_string(),
            (Some(p), _) => format!("{p}:{local}"),
            (None, Some(p)) => format!("{p}:{local}"),
            (None, None) => local.to_string(),
        }
    }
}

/// Reads `src` into a tree. Never fails; see the module documentation for the recovery rules.
pub fn parse(src: &str) -> Document {
    let mut b = Builder::new();
    quick::scan(src, &mut b);
    b.finish()
}

/// Builds the tree from tokens, recovering from what is out of place.
pub(crate) struct Builder {
    stack: Vec<Element>,
    scopes: Scopes,
    /// Start tags past `MAX_DEPTH` not opened, whose end tags are to be ignored.
    skipped: usize,
    root_ns: Option<String>,
    seen_root: bool,
}

impl Builder {
    fn new() -> Self {
        Builder {
            stack: vec![Element {
                name: "#document".into(),
                ..Default::default()
            }],
            scopes: Scopes {
                frames: vec![Vec::new()],
            },
            skipped: 0,
            root_ns: None,
            seen_root: false,
        }
    }

    fn finish(mut self) -> Document {
        // The root element still open at the end: the document was cut off. Every item still
        // open is torn (its end tag, and perhaps its link, guid or half its text, missing);
        // the archive leaves it for a run that reads the feed whole.
        let root_closed = self.stack[0]
            .children
            .iter()
            .any(|n| matches!(n, Node::Element(_)));
        let truncated = self.stack.len() > 1 && !root_closed;
        while self.stack.len() > 1 {
            if let Some(top) = self.stack.last_mut()
                && truncated
                && ITEMS.contains(&top.name.as_str())
            {
                top.attrs.push(Attr {
                    name: CUT_OFF.to_string(),
                    raw: String::new(),
                    value: String::new(),
                });
            }
            self.close_top();
        }
        Document {
            top: self.stack.pop().unwrap_or_default(),
            root_ns: self.root_ns,
            truncated,
        }
    }

    /// The name (as written) of the innermost open element, if any is open.
    pub(crate) fn open_name(&self) -> Option<&str> {
        self.stack[1..].last().map(|e| e.raw.as_str())
    }

    /// Text as written, references not yet decoded.
    pub(crate) fn raw_text(&mut self, raw: &str) {
        let text = decode_entities(raw);
        self.text(&text);
    }

    /// Text as it is (CDATA, decoded references).
    pub(crate) fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let top = self
            .stack
            .last_mut()
            .expect("the document element stays open");
        if let Some(Node::Text(t)) = top.children.last_mut() {
            t.push_str(text);
        } else {
            top.children.push(Node::Text(text.to_string()));
        }
    }

    fn close_top(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let el = self.stack.pop().expect("checked above");
        self.scopes.frames.pop();
        self.stack
            .last_mut()
            .expect("the document element stays open")
            .children
            .push(Node::Element(el));
    }

    /// An end tag: closes the nearest open element of that name and what is open inside
    /// it; ignored when no such element is open.
    pub(crate) fn end(&mut self, name: &str) {
        let name = name.trim();
        if self.skipped > 0 {
            self.skipped -= 1;
            return;
        }
        let open = self.stack.len();
        let found = (1..open)
            .rev()
            .find(|&k| self.stack[k].raw == name)
            .or_else(|| {
                (1..open)
                    .rev()
                    .find(|&k| self.stack[k].raw.eq_ignore_ascii_case(name))
            });
        if let Some(k) = found {
            while self.stack.len() > k {
                self.close_top();
            }
        }
    }

    /// A start tag with its attributes (values as written, references not yet decoded).
    pub(crate) fn start(
        &mut self,
        raw_name: &str,
        raw_attrs: Vec<(&str, &str)>,
        self_closing: bool,
    ) {
        if self.stack.len() > MAX_DEPTH {
            if !self_closing {
                self.skipped += 1;
            }
            return;
        }
        let raw_attrs: Vec<(&str, String)> = raw_attrs
            .into_iter()
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, v)| (n, decode_entities(v).into_owned()))
            .collect();
        let frame: Vec<(String, String)> = raw_attrs
            .iter()
            .filter_map(|(n, v)| {
                if *n == "xmlns" {
                    Some((String::new(), v.clone()))
                } else {
                    n.strip_prefix("xmlns:").map(|p| (p.to_string(), v.clone()))
                }
            })
            .collect();
        self.scopes.frames.push(frame);
        let name = fold_case(self.scopes.canonical(raw_name, false), ELEMENT_NAMES);
        if ITEMS.contains(&name.as_str())
            && let Some(k) = (1..self.stack.len())
                .rev()
                .find(|&k| self.stack[k].name == name)
        {
            // An item cannot hold an item: one left open ends where the next begins.
            let frame = self.scopes.frames.pop();
            while self.stack.len() > k {
                self.close_top();
            }
            self.scopes.frames.extend(frame);
        }
        if !self.seen_root {
            self.seen_root = true;
            let prefix = raw_name.split_once(':').map_or("", |(p, _)| p);
            self.root_ns = self.scopes.lookup(prefix).map(str::to_string);
        }
        let attrs = raw_attrs
            .into_iter()
            .map(|(n, v)| Attr {
                name: fold_case(self.scopes.canonical(n, true), ATTRIBUTE_NAMES),
                raw: n.to_string(),
                value: v,
            })
            .collect();
        self.stack.push(Element {
            name,
            raw: raw_name.to_string(),
            attrs,
            children: Vec::new(),
        });
        if self_closing {
            self.close_top();
        }
    }
}

#[cfg(test)]
mod tests;
