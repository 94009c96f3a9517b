//! When a feed item is an article already archived: one pure function over the identity keys
//! of two items, implementing the decision table of `ARCHITECTURE.md` ("Identity"). The first
//! row that matches decides. Whether a match is an edit is decided afterwards, by the content
//! hash (`text::content_hash`).

/// What identity compares of an item or an archived article. Absent keys are `None` (or empty
/// for the title and text).
#[derive(Debug, Clone, Copy, Default)]
pub struct Keys<'a> {
    pub guid: Option<&'a str>,
    /// The canonical link (`text::canonical_link`).
    pub canon: Option<&'a str>,
    /// The comparable title (`text::comparable_title`); empty when none.
    pub title: &'a str,
    /// The normalized readable text (`text::normalized_text`); empty when none or not loaded
    /// (then `text_key` alone says whether two texts are equal).
    pub text: &'a str,
    /// The key of the normalized text (`text::text_key`).
    pub text_key: Option<&'a str>,
    pub enclosure: Option<&'a str>,
    /// The link is shared by other, distinct items of the feed or articles of the archive
    /// (a podcast's home page): alone, it identifies nothing.
    pub canon_shared: bool,
}

/// The rows of the decision table, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 1. Both have an enclosure and they differ: distinct (podcast episodes).
    DistinctEnclosures,
    /// 2. Same guid and same link: the same article.
    GuidAndLink,
    /// 3. Same guid, links differ, same text: the same article under a new link.
    GuidNewLinkSameText,
    /// 4. Same guid, links differ, text differs: the guid is not an identity (a constant guid).
    GuidSharedByDistinctLinks,
    /// 5. Same guid, a link missing on one side: the same article.
    GuidOnly,
    /// 6. Same link, same text (or similar text when the guids do not disagree): the same
    ///    article (a new guid for the same story, or an edit).
    LinkAndText,
    /// 7. Same link, distinct guids, text differs: distinct (one link for a whole podcast).
    LinkSharedByDistinctGuids,
    /// 8. Same link and title, a guid missing on one side: the same article, text edited.
    LinkAndTitle,
    /// 9. Same link, shared by other distinct items, nothing else agrees: distinct.
    LinkShared,
    /// 10. Same link, nothing else agrees, the link belongs to this article alone: the same
    ///     article, title and text rewritten.
    LinkOnly,
    /// 11. Same title and the same (or a contained, or a similar) text: the same article
    ///     under a new link or guid.
    TitleAndText,
    /// 12. Same text, and neither guid nor link to tell them apart: the same article (items
    ///     with only a description).
    TextOnly,
    /// 13. Anything else, one title alone included (daily bulletins): distinct.
    Nothing,
}

impl Rule {
    /// Whether the row means "the same article".
    pub fn same(self) -> bool {
        matches!(
            self,
            Rule::GuidAndLink
                | Rule::GuidNewLinkSameText
                | Rule::GuidOnly
                | Rule::LinkAndText
                | Rule::LinkAndTitle
                | Rule::LinkOnly
                | Rule::TitleAndText
                | Rule::TextOnly
        )
    }
}

/// Texts at least this alike (`text::similarity`) are one text edited.
pub const SIMILAR: f64 = 0.5;

/// How two present values compare.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Equal,
    Differ,
    /// Missing on one side or both.
    Unknown,
}

fn cmp(a: Option<&str>, b: Option<&str>) -> Cmp {
    match (a.filter(|s| !s.is_empty()), b.filter(|s| !s.is_empty())) {
        (Some(x), Some(y)) if x == y => Cmp::Equal,
        (Some(_), Some(_)) => Cmp::Differ,
        _ => Cmp::Unknown,
    }
}

/// Whether a verdict could change once the texts are known (rows 6 and 11 compare similar
/// texts): when `decide` ran without a text, and the links or titles agree.
pub fn needs_text(item: &Keys<'_>, known: &Keys<'_>, verdict: Rule) -> bool {
    !verdict.same()
        && (known.text.is_empty() || item.text.is_empty())
        && (cmp(item.canon, known.canon) == Cmp::Equal
            || cmp(Some(item.title), Some(known.title)) == Cmp::Equal)
}

/// Whether `item` is the article `known`, and by which row of the table.
pub fn decide(item: &Keys<'_>, known: &Keys<'_>) -> Rule {
    let guid = cmp(item.guid, known.guid);
    let link = cmp(item.canon, known.canon);
    let title = cmp(Some(item.title), Some(known.title));
    let text = match cmp(item.text_key, known.text_key) {
        Cmp::Unknown => cmp(Some(item.text), Some(known.text)),
        by_key => by_key,
    };
    let similar = || {
        text == Cmp::Equal
            || (text == Cmp::Differ
                && !item.text.is_empty()
                && !known.text.is_empty()
                && crate::text::similarity(item.text, known.text) >= SIMILAR)
    };
    if cmp(item.enclosure, known.enclosure) == Cmp::Differ {
        return Rule::DistinctEnclosures;
    }
    if guid == Cmp::Equal {
        return match link {
            Cmp::Equal => Rule::GuidAndLink,
            Cmp::Differ if text == Cmp::Equal => Rule::GuidNewLinkSameText,
            Cmp::Differ => Rule::GuidSharedByDistinctLinks,
            Cmp::Unknown => Rule::GuidOnly,
        };
    }
    if link == Cmp::Equal {
        if text == Cmp::Equal || (guid != Cmp::Differ && similar()) {
            return Rule::LinkAndText;
        }
        if guid == Cmp::Differ {
            return Rule::LinkSharedByDistinctGuids;
        }
        if title == Cmp::Equal {
            return Rule::LinkAndTitle;
        }
        return if item.canon_shared {
            Rule::LinkShared
        } else {
            Rule::LinkOnly
        };
    }
    if title == Cmp::Equal && similar() {
        return Rule::TitleAndText;
    }
    if text == Cmp::Equal && guid == Cmp::Unknown && link == Cmp::Unknown {
        return Rule::TextOnly;
    }
    Rule::Nothing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k<'a>(
        guid: Option<&'a str>,
        canon: Option<&'a str>,
        title: &'a str,
        text: &'a str,
        enclosure: Option<&'a str>,
    ) -> Keys<'a> {
        Keys {
            guid,
            canon,
            title,
            text,
            text_key: None,
            enclosure,
            canon_shared: false,
        }
    }

    const A: &str = "今天上午，市政府宣布新的交通管制措施，地铁将延长运营时间。";
    const A2: &str = "今天上午，市政府宣布新的交通管制措施，地铁将延长运营时间两小时。";
    const B: &str = "台风预计明晚登陆沿海地区，气象部门发布橙色预警。";

    /// Every row of the table, with the example the issue names for it.
    #[test]
    fn decision_table_row_by_row() {
        let rows: Vec<(Keys, Keys, Rule)> = vec![
            // Podcast: one link, distinct guids and enclosures, same blurb.
            (
                k(
                    Some("ep2"),
                    Some("https://p/"),
                    "第2集",
                    A,
                    Some("https://p/2.mp3"),
                ),
                k(
                    Some("ep1"),
                    Some("https://p/"),
                    "第1集",
                    A,
                    Some("https://p/1.mp3"),
                ),
                Rule::DistinctEnclosures,
            ),
            (
                k(Some("g"), Some("https://x/1"), "新标题", B, None),
                k(Some("g"), Some("https://x/1"), "旧标题", A, None),
                Rule::GuidAndLink,
            ),
            (
                k(Some("g"), Some("https://x/new-slug"), "标题", A, None),
                k(Some("g"), Some("https://x/1"), "标题", A, None),
                Rule::GuidNewLinkSameText,
            ),
            // Constant guid: every item has the same guid, distinct links and text.
            (
                k(Some("g"), Some("https://x/2"), "标题二", B, None),
                k(Some("g"), Some("https://x/1"), "标题一", A, None),
                Rule::GuidSharedByDistinctLinks,
            ),
            (
                k(Some("g"), None, "标题", B, None),
                k(Some("g"), Some("https://x/1"), "标题", A, None),
                Rule::GuidOnly,
            ),
            // The same story under a new guid, same link and text.
            (
                k(Some("g2"), Some("https://x/1"), "标题", A, None),
                k(Some("g1"), Some("https://x/1"), "标题", A, None),
                Rule::LinkAndText,
            ),
            // An edit seen by a fresh runner (the article rebuilt from its file has no guid).
            (
                k(Some("g"), Some("https://x/1"), "标题（更新）", A2, None),
                k(None, Some("https://x/1"), "标题", A, None),
                Rule::LinkAndText,
            ),
            // Podcast: one link, distinct guids, distinct text.
            (
                k(Some("ep2"), Some("https://p/"), "第2集", B, None),
                k(Some("ep1"), Some("https://p/"), "第1集", A, None),
                Rule::LinkSharedByDistinctGuids,
            ),
            (
                k(Some("g"), Some("https://x/1"), "标题", B, None),
                k(None, Some("https://x/1"), "标题", A, None),
                Rule::LinkAndTitle,
            ),
            // Podcast seen by a fresh runner (no guids in files): the link is shared.
            (
                Keys {
                    canon_shared: true,
                    ..k(Some("ep2"), Some("https://p/"), "第2集", B, None)
                },
                k(None, Some("https://p/"), "第1集", A, None),
                Rule::LinkShared,
            ),
            // An article rewritten, title and text, at its own link (rebuilt: no guid).
            (
                k(Some("g"), Some("https://x/1"), "新标题", B, None),
                k(None, Some("https://x/1"), "旧标题", A, None),
                Rule::LinkOnly,
            ),
            // The same title and text under a new URL slug (and a new guid).
            (
                k(Some("g2"), Some("https://x/slug-2"), "标题", A, None),
                k(Some("g1"), Some("https://x/slug-1"), "标题", A, None),
                Rule::TitleAndText,
            ),
            // The same story moved, the feed now giving its teaser.
            (
                k(
                    Some("g2"),
                    Some("https://x/moved"),
                    "标题",
                    "今天上午，市政府宣布新的交通管制措施",
                    None,
                ),
                k(None, Some("https://x/1"), "标题", A, None),
                Rule::TitleAndText,
            ),
            // Items with only a description.
            (
                k(None, None, "", A, None),
                k(None, None, "", A, None),
                Rule::TextOnly,
            ),
            (
                k(None, None, "", B, None),
                k(None, None, "", A, None),
                Rule::Nothing,
            ),
            // Daily bulletins: one title, distinct guids, links and text.
            (
                k(Some("d2"), Some("https://x/d2"), "每日新闻简报", B, None),
                k(Some("d1"), Some("https://x/d1"), "每日新闻简报", A, None),
                Rule::Nothing,
            ),
        ];
        for (i, (item, known, want)) in rows.iter().enumerate() {
            assert_eq!(decide(item, known), *want, "row {i}: {item:?} vs {known:?}");
        }
        let same: Vec<bool> = rows.iter().map(|r| r.2.same()).collect();
        assert_eq!(
            same,
            [
                false, true, true, false, true, true, true, false, true, false, true, true, true,
                true, false, false
            ]
        );
    }

    #[test]
    fn empty_titles_and_texts_never_match() {
        let a = k(None, None, "", "", None);
        assert_eq!(decide(&a, &a), Rule::Nothing);
    }
}
