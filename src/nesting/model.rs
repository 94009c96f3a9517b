//! The model of a parser's tree construction: its stack of open elements (implied end tags,
//! scopes, tables, foreign content) and the formatting elements it reopens. It errs on the
//! deep side: where it cannot tell, an element stays open.

use std::collections::HashMap;

use super::tokens::is_space;

/// The most formatting elements (`b`, `i`, `font`, `a`…) open at once; past it new ones are
/// dropped. A parser reopens every one of them at each piece of text that follows their
/// closing block, so without a bound they would multiply the depth.
const MAX_FORMATTING: usize = 24;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Html,
    Svg,
    Math,
}

struct Open {
    name: String,
    ns: Ns,
    id: usize,
    /// Where HTML rules apply again inside SVG or MathML.
    integration: bool,
    /// A special element (an end tag that matches nothing stops at it).
    special: bool,
    /// A boundary of the default scope.
    scope: bool,
}

enum Fmt {
    Marker,
    Elem {
        name: String,
        attrs: String,
        id: usize,
    },
}

pub(super) enum Start {
    Kept,
    Dropped,
    /// Kept; the element's text runs to its end tag.
    RawText,
    /// Kept; the rest of the input is text.
    PlainText,
}

pub(super) struct Model {
    max: usize,
    stack: Vec<Open>,
    /// By element id: whether it is on the stack.
    open: Vec<bool>,
    formatting: Vec<Fmt>,
    /// Names of dropped elements not yet closed, with their counts: their end tags go too.
    dropped: HashMap<String, usize>,
    /// Names on the stack, with their counts: an end tag naming none is ignored by parsers.
    names: HashMap<String, Vec<usize>>,
    /// The ids of the special elements on the stack, and of the scope boundaries (ascending):
    /// whether one lies above an element is one comparison, not a walk.
    specials: Vec<usize>,
    scopes: Vec<usize>,
    form_open: bool,
}

const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// Start tags that close an open `p` and do not reopen formatting elements.
#[rustfmt::skip]
const CLOSES_P: &[&str] = &[
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div",
    "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav",
    "ol", "p", "search", "section", "summary", "ul", "pre", "listing", "xmp", "h1", "h2", "h3",
    "h4", "h5", "h6",
];

#[rustfmt::skip]
const SPECIAL: &[&str] = &[
    "address", "applet", "area", "article", "aside", "base", "basefont", "bgsound", "blockquote",
    "body", "br", "button", "caption", "center", "col", "colgroup", "dd", "details", "dir", "div",
    "dl", "dt", "embed", "fieldset", "figcaption", "figure", "footer", "form", "frame",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html",
    "iframe", "img", "input", "keygen", "li", "link", "listing", "main", "marquee", "menu",
    "meta", "nav", "noembed", "noframes", "noscript", "object", "ol", "p", "param", "plaintext",
    "pre", "script", "search", "section", "select", "source", "style", "summary", "table",
    "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "title", "tr", "track", "ul",
    "wbr", "xmp",
];

/// Elements whose text is not markup (in HTML content). `noscript` is markup for parsers
/// without scripting (dom_query), so it is read as markup: deeper, never shallower.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Start tags that leave SVG and MathML content.
#[rustfmt::skip]
const BREAKOUT: &[&str] = &[
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
    "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
    "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
    "sub", "sup", "table", "tt", "u", "ul", "var", "font",
];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Scope boundaries: the default scope, and the extra ones of some scopes.
const SCOPE: &[&str] = &[
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template",
];
const TABLE_SCOPE: &[&str] = &["html", "table", "template"];

impl Model {
    pub fn new(max: usize) -> Model {
        Model {
            max,
            stack: Vec::new(),
            open: Vec::new(),
            formatting: Vec::new(),
            dropped: HashMap::new(),
            names: HashMap::new(),
            specials: Vec::new(),
            scopes: Vec::new(),
            form_open: false,
        }
    }

    fn foreign(&self) -> Option<Ns> {
        self.stack
            .last()
            .filter(|o| o.ns != Ns::Html && !o.integration)
            .map(|o| o.ns)
    }

    /// Text between tags: non-blank text makes the parser reopen formatting elements.
    pub fn text(&mut self, t: &[u8]) {
        if self.foreign().is_none() && t.iter().any(|&c| !is_space(c) && c != 0) {
            self.reconstruct();
        }
    }

    fn push(&mut self, name: &str, ns: Ns, integration: bool) -> usize {
        let id = self.open.len();
        self.open.push(true);
        let html = ns == Ns::Html;
        self.names.entry(name.to_string()).or_default().push(id);
        let o = Open {
            name: name.to_string(),
            ns,
            id,
            integration,
            special: if html {
                SPECIAL.contains(&name)
            } else {
                integration
            },
            scope: html && SCOPE.contains(&name),
        };
        if o.special {
            self.specials.push(id);
        }
        if Self::is_boundary(&o) {
            self.scopes.push(id);
        }
        self.stack.push(o);
        id
    }

    /// A boundary of the default scope (and of formatting elements' end tags).
    fn is_boundary(o: &Open) -> bool {
        o.scope || (o.ns != Ns::Html && o.integration)
    }

    fn closed(&mut self, o: &Open) {
        fn forget(ids: &mut Vec<usize>, id: usize) {
            if ids.last() == Some(&id) {
                ids.pop();
            } else if let Ok(k) = ids.binary_search(&id) {
                ids.remove(k);
            }
        }
        self.open[o.id] = false;
        if let Some(ids) = self.names.get_mut(&o.name) {
            forget(ids, o.id);
            if ids.is_empty() {
                self.names.remove(&o.name);
            }
        }
        if o.special {
            forget(&mut self.specials, o.id);
        }
        if Self::is_boundary(o) {
            forget(&mut self.scopes, o.id);
        }
    }

    /// Where the element `id` is on the stack (ids grow from its bottom to its top).
    fn position(&self, id: usize) -> Option<usize> {
        self.stack.binary_search_by_key(&id, |o| o.id).ok()
    }

    /// Whether an element of `ids` (ascending) lies above the element `id`.
    fn above(ids: &[usize], id: usize) -> bool {
        ids.last().is_some_and(|&top| top > id)
    }

    /// Pops the entry at `pos` and everything above it.
    fn pop_through(&mut self, pos: usize) {
        let popped: Vec<Open> = self.stack.drain(pos..).collect();
        for o in &popped {
            self.closed(o);
        }
    }

    fn remove_at(&mut self, pos: usize) {
        let o = self.stack.remove(pos);
        self.closed(&o);
    }

    /// Whether an element called `name` is on the stack.
    fn is_open(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// The position of the topmost `names` element in scope (boundaries `bounds` and
    /// `extra`).
    fn in_scope(&self, names: &[&str], extra: &[&str]) -> Option<usize> {
        for (pos, o) in self.stack.iter().enumerate().rev() {
            if o.ns == Ns::Html && names.contains(&o.name.as_str()) {
                return Some(pos);
            }
            if o.ns != Ns::Html && o.integration {
                return None;
            }
            if o.scope || (o.ns == Ns::Html && extra.contains(&o.name.as_str())) {
                return None;
            }
        }
        None
    }

    fn in_table_scope(&self, names: &[&str]) -> Option<usize> {
        self.stack.iter().enumerate().rev().find_map(|(pos, o)| {
            if names.contains(&o.name.as_str()) {
                Some(Some(pos))
            } else if TABLE_SCOPE.contains(&o.name.as_str()) {
                Some(None)
            } else {
                None
            }
        })?
    }

    fn close_p(&mut self) {
        if let Some(pos) = self.in_scope(&["p"], &["button"]) {
            self.pop_through(pos);
        }
    }

    fn is_special(o: &Open) -> bool {
        o.special
    }

    fn top_is(&self, names: &[&str]) -> bool {
        self.stack
            .last()
            .is_some_and(|o| o.ns == Ns::Html && names.contains(&o.name.as_str()))
    }

    /// Formatting entries after the last marker.
    fn active(&self) -> &[Fmt] {
        let from = self
            .formatting
            .iter()
            .rposition(|f| matches!(f, Fmt::Marker))
            .map_or(0, |p| p + 1);
        &self.formatting[from..]
    }

    fn clear_to_marker(&mut self) {
        while let Some(f) = self.formatting.pop() {
            if matches!(f, Fmt::Marker) {
                break;
            }
        }
    }

    /// The parser reopens every formatting element closed by a block around it.
    fn reconstruct(&mut self) {
        let from = self.formatting.len() - self.active().len();
        for k in from..self.formatting.len() {
            let (name, id) = match &self.formatting[k] {
                Fmt::Elem { name, id, .. } => (name.clone(), *id),
                Fmt::Marker => continue,
            };
            if self.open[id] {
                continue;
            }
            let clone = self.push(&name, Ns::Html, false);
            if let Fmt::Elem { id, .. } = &mut self.formatting[k] {
                *id = clone;
            }
        }
    }

    /// A start tag: what to do with it.
    pub fn start(&mut self, raw_name: &str, attrs: &str, self_closing: bool) -> Start {
        let name = lower(raw_name);
        let name: &str = &name;
        if let Some(ns) = self.foreign()
            && !BREAKOUT.contains(&name)
        {
            if self_closing {
                return Start::Kept;
            }
            if self.stack.len() >= self.max {
                return self.drop_start(name);
            }
            let integration = match ns {
                Ns::Svg => matches!(name, "foreignobject" | "desc" | "title"),
                _ => math_integration(name, attrs),
            };
            self.push(name, ns, integration);
            return Start::Kept;
        }
        if matches!(name, "html" | "head" | "body" | "frameset" | "frame") {
            return Start::Kept;
        }
        if name == "form" && self.form_open && !self.stack.iter().any(|o| o.name == "template") {
            return Start::Kept; // ignored by the parser
        }
        if self.stack.len() >= self.max {
            if VOID.contains(&name) || (self_closing && matches!(name, "svg" | "math")) {
                return Start::Kept;
            }
            return self.drop_start(name);
        }
        if FORMATTING.contains(&name) {
            return self.start_formatting(name, attrs);
        }
        if CLOSES_P.contains(&name) || name == "hr" || name == "plaintext" {
            self.close_p();
        }
        match name {
            "li" => self.close_list_item(&["li"]),
            "dd" | "dt" => self.close_list_item(&["dd", "dt"]),
            h if HEADINGS.contains(&h) && self.top_is(HEADINGS) => {
                self.pop_through(self.stack.len() - 1);
            }
            "button" => {
                if let Some(pos) = self.in_scope(&["button"], &[]) {
                    self.pop_through(pos);
                }
            }
            "option" | "optgroup" if self.top_is(&["option"]) => {
                self.pop_through(self.stack.len() - 1);
            }
            "tbody" | "thead" | "tfoot" => {
                if let Some(pos) = self.in_table_scope(&["tbody", "thead", "tfoot"]) {
                    self.pop_through(pos);
                }
            }
            "tr" => {
                if let Some(pos) = self.in_table_scope(&["tr"]) {
                    self.pop_through(pos);
                }
                if self.top_is(&["table"]) {
                    self.push("tbody", Ns::Html, false);
                }
            }
            "td" | "th" => {
                if let Some(pos) = self.in_table_scope(&["td", "th"]) {
                    self.pop_through(pos);
                    self.clear_to_marker();
                }
                if self.top_is(&["table"]) {
                    self.push("tbody", Ns::Html, false);
                }
                if self.top_is(&["tbody", "thead", "tfoot"]) {
                    self.push("tr", Ns::Html, false);
                }
            }
            _ => {}
        }
        let block = CLOSES_P.contains(&name)
            || matches!(
                name,
                "li" | "dd" | "dt" | "table" | "hr" | "plaintext" | "form" | "textarea" | "iframe"
            );
        if !block {
            self.reconstruct();
        }
        if VOID.contains(&name) {
            return Start::Kept;
        }
        if matches!(name, "svg" | "math") {
            if !self_closing {
                let ns = if name == "svg" { Ns::Svg } else { Ns::Math };
                self.push(name, ns, false);
            }
            return Start::Kept;
        }
        self.push(name, Ns::Html, false);
        match name {
            "form" => self.form_open = true,
            "td" | "th" | "caption" | "applet" | "marquee" | "object" | "template" => {
                self.formatting.push(Fmt::Marker)
            }
            "plaintext" => return Start::PlainText,
            _ => {}
        }
        if RAW_TEXT.contains(&name) {
            return Start::RawText;
        }
        Start::Kept
    }

    fn drop_start(&mut self, name: &str) -> Start {
        match self.dropped.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.dropped.insert(name.to_string(), 1);
            }
        }
        Start::Dropped
    }

    fn close_list_item(&mut self, names: &[&str]) {
        for pos in (0..self.stack.len()).rev() {
            let o = &self.stack[pos];
            if o.ns == Ns::Html && names.contains(&o.name.as_str()) {
                self.pop_through(pos);
                break;
            }
            if Self::is_special(o) && !matches!(o.name.as_str(), "address" | "div" | "p") {
                break;
            }
        }
    }

    fn start_formatting(&mut self, name: &str, attrs: &str) -> Start {
        if name == "a"
            && self
                .active()
                .iter()
                .any(|f| matches!(f, Fmt::Elem { name, .. } if name == "a"))
        {
            self.end_formatting("a");
            if let Some(k) = self
                .formatting
                .iter()
                .rposition(|f| matches!(f, Fmt::Elem { name, .. } if name == "a"))
                && let Fmt::Elem { id, .. } = self.formatting.remove(k)
                && let Some(pos) = self.stack.iter().rposition(|o| o.id == id)
            {
                self.remove_at(pos);
            }
        }
        if name == "nobr" && self.in_scope(&["nobr"], &[]).is_some() {
            self.end_formatting("nobr");
        }
        self.reconstruct();
        if self.active().len() >= MAX_FORMATTING || self.stack.len() >= self.max {
            return self.drop_start(name);
        }
        // At most three identical entries (the parser's "Noah's Ark" rule).
        let attrs = attrs.trim();
        let same: Vec<usize> = {
            let from = self.formatting.len() - self.active().len();
            (from..self.formatting.len())
                .filter(|&k| {
                    matches!(&self.formatting[k], Fmt::Elem { name: n, attrs: a, .. } if n == name && a == attrs)
                })
                .collect()
        };
        if same.len() >= 3 {
            self.formatting.remove(same[0]);
        }
        let id = self.push(name, Ns::Html, false);
        self.formatting.push(Fmt::Elem {
            name: name.to_string(),
            attrs: attrs.to_string(),
            id,
        });
        Start::Kept
    }

    /// `</b>` and the like (the adoption agency, roughly: when a block was opened inside the
    /// formatting element, the parser keeps the block open, and so does the model): whether
    /// the parser does anything with it.
    fn end_formatting(&mut self, name: &str) -> bool {
        let from = self.formatting.len() - self.active().len();
        let Some(k) = (from..self.formatting.len())
            .rev()
            .find(|&k| matches!(&self.formatting[k], Fmt::Elem { name: n, .. } if n == name))
        else {
            return self.end_other(name);
        };
        let Fmt::Elem { id, .. } = self.formatting[k] else {
            return true;
        };
        let Some(pos) = self.position(id) else {
            self.formatting.remove(k);
            return true;
        };
        if Self::above(&self.scopes, id) {
            return false; // not in scope: ignored
        }
        if Self::above(&self.specials, id) {
            return true;
        }
        self.pop_through(pos);
        self.formatting.remove(k);
        true
    }

    /// "Any other end tag": pops through the nearest element of that name, unless a special
    /// element comes first: whether it popped.
    fn end_other(&mut self, name: &str) -> bool {
        let Some(&top) = self.names.get(name).and_then(|ids| ids.last()) else {
            return false;
        };
        if Self::above(&self.specials, top) {
            return false;
        }
        match self.position(top) {
            Some(pos) => {
                self.pop_through(pos);
                true
            }
            None => false,
        }
    }

    /// An end tag: whether it is kept. End tags a parser ignores are not (each one would make
    /// it walk its stack of open elements: `</x>` × 100,000 under deep nesting is quadratic).
    pub fn end(&mut self, raw_name: &str) -> bool {
        let name = lower(raw_name);
        let name: &str = &name;
        if let Some(n) = self.dropped.get_mut(name) {
            *n -= 1;
            if *n == 0 {
                self.dropped.remove(name);
            }
            return false;
        }
        // `</p>` and `</br>` make elements, `</body>`, `</html>` and `</form>` change the
        // parser's state, `</h1>` closes an `h2`.
        let heading = HEADINGS.contains(&name) && HEADINGS.iter().any(|h| self.is_open(h));
        if !self.is_open(name) && !heading && !matches!(name, "p" | "br" | "body" | "html" | "form")
        {
            return false;
        }
        if self.foreign().is_some() {
            self.end_other(name);
            return true;
        }
        match name {
            "body" | "html" => {}
            "br" => self.reconstruct(),
            "p" => self.close_p(),
            "li" => {
                if let Some(pos) = self.in_scope(&["li"], &["ol", "ul"]) {
                    self.pop_through(pos);
                }
            }
            "form" => {
                self.form_open = false;
                if let Some(pos) = self.in_scope(&["form"], &[]) {
                    self.remove_at(pos);
                }
            }
            "table" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "caption" => {
                if let Some(pos) = self.in_table_scope(&[name]) {
                    self.pop_through(pos);
                    if matches!(name, "td" | "th" | "caption") {
                        self.clear_to_marker();
                    }
                }
            }
            "applet" | "marquee" | "object" | "template" => {
                if let Some(pos) = self.stack.iter().rposition(|o| o.name == name) {
                    self.pop_through(pos);
                    self.clear_to_marker();
                }
            }
            h if HEADINGS.contains(&h) => {
                if let Some(pos) = self.in_scope(HEADINGS, &[]) {
                    self.pop_through(pos);
                }
            }
            f if FORMATTING.contains(&f) => return self.end_formatting(f),
            s if SPECIAL.contains(&s) => match self.in_scope(&[s], &[]) {
                Some(pos) => self.pop_through(pos),
                None => return false,
            },
            _ => return self.end_other(name),
        }
        true
    }
}

/// A tag name folded to ASCII lower case, copied only when it has upper case.
fn lower(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|c| c.is_ascii_uppercase()) {
        name.to_ascii_lowercase().into()
    } else {
        name.into()
    }
}

/// MathML's HTML integration points: text elements, and `annotation-xml` holding HTML.
fn math_integration(name: &str, attrs: &str) -> bool {
    match name {
        "mi" | "mo" | "mn" | "ms" | "mtext" => true,
        "annotation-xml" => super::tokens::attribute_value(attrs, "encoding").is_some_and(|v| {
            v.eq_ignore_ascii_case("text/html") || v.eq_ignore_ascii_case("application/xhtml+xml")
        }),
        _ => false,
    }
}
