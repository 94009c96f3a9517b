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
    /// The date the item or article gives itself (ms), when it gave one.
    pub published: Option<i64>,
    /// The link is shared by other, distinct items of the feed or articles of the archive
    /// (a podcast's home page): alone, it identifies nothing.
    pub canon_shared: bool,
    /// The text is a few characters only (a generic teaser such as 点击查看全文 that many
    /// items share): beside a guid or a title (rows 3, 12) its equality is evidence only
    /// with the same date; at one link (row 6) or where nothing else can tell (row 13) it is.
    pub trivial_text: bool,
}

/// The rows of the decision table, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// 1. Both have an enclosure and they differ: distinct (podcast episodes).
    DistinctEnclosures,
    /// 2. Same guid and same link: the same article.
    GuidAndLink,
    /// 3. Same guid, links differ, the same text (or the same text lightly edited: see
    ///    [`near_same`]): the same article under a new link.
    GuidNewLinkSameText,
    /// 4. Same guid, links differ, other text: the guid is not an identity (a constant guid).
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
    /// 11. The same enclosure, no guid or link that differs: the same article (podcast items
    ///     known by their audio file only).
    SameEnclosure,
    /// 12. Same title and the same text, or nearly (see [`near_same`]): the same article under
    ///     a new link or guid.
    TitleAndText,
    /// 13. Same text, and neither guid nor link to tell them apart: the same article (items
    ///     with only a description).
    TextOnly,
    /// 14. Same title, and nothing else on either side (no guid, link, text or enclosure):
    ///     the same article (items with only a title).
    TitleOnly,
    /// 15. Anything else, one title alone included (daily bulletins): distinct.
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
                | Rule::SameEnclosure
                | Rule::TitleAndText
                | Rule::TextOnly
                | Rule::TitleOnly
        )
    }
}

/// Texts shorter than this (characters, white space ignored) are trivial: a generic teaser.
pub const TRIVIAL_TEXT_CHARS: usize = 32;

/// Whether content `html` holds some text, but too little to tell an article by (a generic
/// teaser such as 点击查看全文 or "Read more").
pub fn trivial_text(html: &str) -> bool {
    let n = crate::text::normalized_text(html)
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    n > 0 && n < TRIVIAL_TEXT_CHARS
}

/// Texts at least this alike (`text::similarity`) are one text edited.
pub const SIMILAR: f64 = 0.5;

/// Texts at least this alike may be one text nearly unchanged (see [`near_same`]).
pub const NEARLY: f64 = 0.9;

/// Two dates further apart than this are two publications, not one article seen twice.
pub const NEAR_DAYS_MS: i64 = 7 * 86_400_000;

/// Whether two different texts are one text nearly unchanged, where neither the guid nor the
/// link says so: the shorter is (almost) contained in the longer (a teaser of its article, a
/// line added), every number of the shorter is in the longer (bulletins written from one
/// template differ in their numbers), and the dates, when both are known, are within a week
/// (a column that reuses a title and its introduction a month later is a new article).
pub fn near_same(a: &str, b: &str, a_date: Option<i64>, b_date: Option<i64>) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (a_date, b_date)
        && (x - y).abs() > NEAR_DAYS_MS
    {
        return false;
    }
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (a, b)
    } else {
        (b, a)
    };
    let numbers = crate::text::numbers(long);
    crate::text::numbers(short).is_subset(&numbers)
        && crate::text::similarity(short, long) >= NEARLY
}

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

/// Whether a verdict could change once the texts are known (rows 3, 6 and 12 compare similar
/// texts): when `decide` ran without a text, and the guids, links or titles agree.
pub fn needs_text(item: &Keys<'_>, known: &Keys<'_>, verdict: Rule) -> bool {
    !verdict.same()
        && (known.text.is_empty() || item.text.is_empty())
        && (cmp(item.guid, known.guid) == Cmp::Equal
            || cmp(item.canon, known.canon) == Cmp::Equal
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
    // Rows 6 and 13 alone trust a generic teaser (one link; items with only a description).
    let raw_text = text;
    // A generic teaser tells one article only with the same date (items a day or an hour
    // apart under 点击查看全文 are distinct stories).
    let same_date = item.published.is_some() && item.published == known.published;
    let text = if text == Cmp::Equal && (item.trivial_text || known.trivial_text) && !same_date {
        Cmp::Unknown
    } else {
        text
    };
    let similar = || {
        text == Cmp::Equal
            || (text == Cmp::Differ
                && !item.text.is_empty()
                && !known.text.is_empty()
                && crate::text::similarity(item.text, known.text) >= SIMILAR)
    };
    let nearly = || {
        text == Cmp::Equal
            || (text == Cmp::Differ
                && near_same(item.text, known.text, item.published, known.published))
    };
    let enclosure = cmp(item.enclosure, known.enclosure);
    if enclosure == Cmp::Differ {
        return Rule::DistinctEnclosures;
    }
    if guid == Cmp::Equal {
        return match link {
            Cmp::Equal => Rule::GuidAndLink,
            Cmp::Differ if nearly() => Rule::GuidNewLinkSameText,
            Cmp::Differ => Rule::GuidSharedByDistinctLinks,
            Cmp::Unknown => Rule::GuidOnly,
        };
    }
    if link == Cmp::Equal {
        // One link: even a generic teaser repeated at it is the same listing.
        if raw_text == Cmp::Equal || (guid != Cmp::Differ && similar()) {
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
    if enclosure == Cmp::Equal && guid != Cmp::Differ && link != Cmp::Differ {
        return Rule::SameEnclosure;
    }
    if title == Cmp::Equal && nearly() {
        return Rule::TitleAndText;
    }
    let neither = guid == Cmp::Unknown && link == Cmp::Unknown;
    if raw_text == Cmp::Equal && neither {
        return Rule::TextOnly;
    }
    if title == Cmp::Equal && neither && text == Cmp::Unknown && enclosure == Cmp::Unknown {
        return Rule::TitleOnly;
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
            published: None,
            canon_shared: false,
            trivial_text: false,
        }
    }

    fn dated(keys: Keys<'_>, day: i64) -> Keys<'_> {
        Keys {
            published: Some(1_718_000_000_000 + day * 86_400_000),
            ..keys
        }
    }

    /// Bulletins from one template: the same words, other numbers.
    const M1: &str = "2026年11月1日，沪深股市收盘。上证指数收于3123.45点，上涨1.20%；深证成指收于9876.54点。两市成交额合计8123亿元。";
    const M2: &str = "2026年11月2日，沪深股市收盘。上证指数收于3098.76点，下跌0.79%；深证成指收于9712.33点。两市成交额合计7456亿元。";
    /// An edit: a line added to every paragraph, no number changed.
    const A_EDITED: &str = "更新：今天上午，市政府宣布新的交通管制措施，地铁将延长运营时间。";

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
            // Daily bulletins from one template: only the numbers differ.
            (
                k(Some("m2"), Some("https://x/m2"), "沪深股市收盘", M2, None),
                k(Some("m1"), Some("https://x/m1"), "沪深股市收盘", M1, None),
                Rule::Nothing,
            ),
            // The same guid at a new link, the text lightly edited: moved and edited.
            (
                k(Some("g"), Some("https://x/new"), "标题", A_EDITED, None),
                k(Some("g"), Some("https://x/old"), "标题", A, None),
                Rule::GuidNewLinkSameText,
            ),
            // A constant guid over bulletins from one template.
            (
                k(Some("g"), Some("https://x/m2"), "沪深股市收盘", M2, None),
                k(Some("g"), Some("https://x/m1"), "沪深股市收盘", M1, None),
                Rule::GuidSharedByDistinctLinks,
            ),
            // One title, a year apart, the newer holding the older's text and more.
            (
                dated(
                    k(Some("g2"), Some("https://x/2017"), "奖学金", A_EDITED, None),
                    365,
                ),
                dated(k(Some("g1"), Some("https://x/2016"), "奖学金", A, None), 0),
                Rule::Nothing,
            ),
            // The same within days: the same article under a new slug.
            (
                dated(
                    k(Some("g2"), Some("https://x/2"), "奖学金", A_EDITED, None),
                    1,
                ),
                dated(k(Some("g1"), Some("https://x/1"), "奖学金", A, None), 0),
                Rule::TitleAndText,
            ),
            // Podcast items known by their audio file only.
            (
                k(None, None, "", "", Some("https://p/1.mp3")),
                k(None, None, "", "", Some("https://p/1.mp3")),
                Rule::SameEnclosure,
            ),
            // Items with only a title.
            (
                k(None, None, "只有标题", "", None),
                k(None, None, "只有标题", "", None),
                Rule::TitleOnly,
            ),
            (
                k(None, None, "只有标题一", "", None),
                k(None, None, "只有标题二", "", None),
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
                true, false, false, false, true, false, false, true, true, true, false
            ]
        );
    }

    /// verify-lost V4: a generic teaser shared with a constant guid or a title is no
    /// evidence; alone (nothing else on either side) it still is.
    #[test]
    fn generic_teasers_are_no_evidence() {
        assert!(trivial_text("<p>点击查看全文</p>") && !trivial_text(""));
        assert!(!trivial_text(&"第一段新闻正文。".repeat(5)));
        let t = |guid, link, title, day| {
            dated(
                Keys {
                    trivial_text: true,
                    ..k(guid, link, title, "点击查看全文", None)
                },
                day,
            )
        };
        let rows = [
            (
                t(Some("news"), Some("https://x/1"), "新闻标题1", 1),
                t(Some("news"), Some("https://x/0"), "新闻标题0", 0),
                Rule::GuidSharedByDistinctLinks,
            ),
            (
                t(Some("v1"), Some("https://x/v/1"), "每日视频", 1),
                t(Some("v0"), Some("https://x/v/0"), "每日视频", 0),
                Rule::Nothing,
            ),
            (
                t(None, Some("https://x/k/1"), "快讯", 1),
                t(None, Some("https://x/k/0"), "快讯", 0),
                Rule::Nothing,
            ),
            // The same date: one story moved (a new link and guid).
            (
                t(Some("v1"), Some("https://x/v/1"), "每日视频", 0),
                t(Some("v0"), Some("https://x/v/0"), "每日视频", 0),
                Rule::TitleAndText,
            ),
            (t(None, None, "", 1), t(None, None, "", 0), Rule::TextOnly),
        ];
        for (item, known, want) in rows {
            assert_eq!(decide(&item, &known), want, "{item:?} vs {known:?}");
        }
    }

    #[test]
    fn empty_titles_and_texts_never_match() {
        let a = k(None, None, "", "", None);
        assert_eq!(decide(&a, &a), Rule::Nothing);
    }
}
