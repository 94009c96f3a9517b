//! An article's page and the pages of its earlier versions.

use askama::Template;

use super::{Ctx, Nav, Stamp, diff_html, rendered, safe_href};
use crate::config::DisplayRules;
use crate::render::present::lang_of;
use crate::store::{ArticleInfo, EventRow, Neighbour, RevisionRow};

/// What an article's pages are made from.
pub struct ArticleView<'a> {
    pub info: &'a ArticleInfo,
    pub source_name: &'a str,
    /// Every revision, oldest first.
    pub revisions: &'a [RevisionRow],
    pub events: &'a [EventRow],
    /// The articles before (newer) and after (older) it in its source's list.
    pub newer: Option<&'a Neighbour>,
    pub older: Option<&'a Neighbour>,
    pub rules: &'a DisplayRules,
    /// Enclosures and media (podcast audio, video, pictures), in feed order.
    pub enclosures: &'a [crate::store::EnclosureRow],
}

/// A link to another article, with its title.
pub struct Near {
    pub href: String,
    pub title: String,
    pub lang: Option<&'static str>,
}

pub struct RevisionView {
    pub n: i64,
    pub seen: Stamp,
    /// The version's own page (`None` for the current one: this page).
    pub href: Option<String>,
    pub diff_html: String,
}

/// What the top and the bottom of an article's pages share.
pub struct Header {
    /// `zh-Hant` (or `ja`) for an article's text in traditional characters (or Japanese):
    /// the page's own text is `zh-CN`.
    pub lang: Option<&'static str>,
    /// The same, of its title alone (as lists tag it).
    pub title_lang: Option<&'static str>,
    pub title: String,
    pub source_name: String,
    pub source_href: String,
    pub published: Stamp,
    pub archived: Stamp,
    /// The original, when it is a link readers may follow.
    pub link: Option<String>,
    /// The original's address as text, when it is not.
    pub link_text: String,
    pub removed: bool,
    pub restored: bool,
    pub status_at: Option<Stamp>,
    /// How many versions the archive holds.
    pub versions: usize,
    /// Where the list of versions is (on the article's own page).
    pub history_href: String,
    pub newer: Option<Near>,
    pub older: Option<Near>,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub nav: Nav,
    pub h: Header,
    pub content_html: String,
    pub revisions: Vec<RevisionView>,
}

#[derive(Template)]
#[template(path = "revision.html")]
pub struct RevisionPage {
    pub nav: Nav,
    pub h: Header,
    pub n: i64,
    pub seen: Stamp,
    pub article_href: String,
    pub content_html: String,
    pub diff_html: String,
    pub earlier: Option<String>,
    pub later: String,
}

fn near(ctx: &Ctx<'_>, source: &str, n: Option<&Neighbour>) -> Option<Near> {
    n.map(|n| Near {
        href: ctx.links.article(source, n.id),
        title: n.title.clone(),
        lang: lang_of(&n.title),
    })
}

fn header(ctx: &Ctx<'_>, v: &ArticleView<'_>, title: &str, content: &str) -> Header {
    let info = v.info;
    let removed = info.status == "removed";
    Header {
        lang: super::present::article_lang(title, content, v.rules),
        title_lang: lang_of(title),
        title: title.to_string(),
        source_name: v.source_name.to_string(),
        source_href: ctx.links.list(&info.source, 1),
        published: Stamp::at(info.published_ms, ctx.tz),
        archived: Stamp::at(info.first_seen_ms, ctx.tz),
        link: safe_href(&info.link),
        link_text: info.link.clone(),
        removed,
        restored: !removed && v.events.iter().any(|e| e.kind == "restored"),
        status_at: info
            .status_ms
            .filter(|_| removed)
            .map(|ms| Stamp::at(ms, ctx.tz)),
        versions: v.revisions.len().max(1),
        history_href: format!("{}#history", ctx.links.article(&info.source, info.id)),
        newer: near(ctx, &info.source, v.newer),
        older: near(ctx, &info.source, v.older),
    }
}

fn text_of(r: &RevisionRow, rules: &DisplayRules) -> String {
    format!(
        "{}\n{}",
        r.title,
        super::present::shown_text(&r.content, rules)
    )
}

/// The diff of revision `i` (an index into `revisions`) from the one before it, in the text
/// readers are shown.
fn diff_at(revisions: &[RevisionRow], i: usize, rules: &DisplayRules) -> String {
    if i == 0 {
        return String::new();
    }
    diff_html(&crate::history::diff_text(
        &text_of(&revisions[i - 1], rules),
        &text_of(&revisions[i], rules),
    ))
}

/// One article's page: its newest version, the way to its neighbours and back to its list,
/// and its revisions (each with the diff from the one before, and its own page).
pub fn article(ctx: &Ctx<'_>, v: &ArticleView<'_>) -> String {
    let latest = v.revisions.last();
    let title = latest.map_or_else(|| v.info.title.clone(), |r| r.title.clone());
    let content = latest.map(|r| r.content.as_str()).unwrap_or_default();
    let mut views = Vec::new();
    if v.revisions.len() > 1 {
        let last = v.revisions.len() - 1;
        for (i, r) in v.revisions.iter().enumerate() {
            views.push(RevisionView {
                n: r.n,
                seen: Stamp::at(r.seen_ms, ctx.tz),
                href: (i < last).then(|| ctx.links.revision(&v.info.source, v.info.id, r.n)),
                diff_html: diff_at(v.revisions, i, v.rules),
            });
        }
        views.reverse();
    }
    let shown = ctx.shown(&v.info.link, v.rules);
    // Enclosures are shown as players and links after the text, in place of the block of
    // links the archive appended to the file (the same display pass makes both safe).
    let with_media;
    let content_shown = if v.enclosures.is_empty() {
        content
    } else {
        with_media = format!(
            "{}{}",
            crate::text::without_enclosure_block(content),
            crate::render::enclosures::enclosures_html(v.enclosures)
        );
        with_media.as_str()
    };
    rendered(
        ArticlePage {
            nav: Nav::new(ctx, ""),
            h: header(ctx, v, &title, content),
            content_html: super::present::article(content_shown, &shown, &ctx.links.assets()),
            revisions: views,
        }
        .render(),
    )
}

/// The page of an earlier version `n` of an article, in full, with the diff from the version
/// before it; `None` when the article has no such earlier version.
pub fn revision(ctx: &Ctx<'_>, v: &ArticleView<'_>, n: i64) -> Option<String> {
    let i = v.revisions.iter().position(|r| r.n == n)?;
    if i + 1 >= v.revisions.len() {
        // The newest version is the article itself.
        return (v.revisions.len() > 1).then(|| article(ctx, v));
    }
    let r = &v.revisions[i];
    let links = &ctx.links;
    let (source, id) = (&v.info.source, v.info.id);
    let shown = ctx.shown(&v.info.link, v.rules);
    let later = if i + 2 == v.revisions.len() {
        links.article(source, id)
    } else {
        links.revision(source, id, v.revisions[i + 1].n)
    };
    Some(rendered(
        RevisionPage {
            nav: Nav::new(ctx, ""),
            h: header(ctx, v, &r.title, &r.content),
            n: r.n,
            seen: Stamp::at(r.seen_ms, ctx.tz),
            article_href: links.article(source, id),
            content_html: super::present::article(&r.content, &shown, &links.assets()),
            diff_html: diff_at(v.revisions, i, v.rules),
            earlier: (i > 0).then(|| links.revision(source, id, v.revisions[i - 1].n)),
            later,
        }
        .render(),
    ))
}
