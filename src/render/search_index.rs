//! The static site's search index: the words of every article, cut and folded exactly as the
//! server's index does (jieba in search mode, traditional folded to simplified, letters lower
//! case: [`crate::search`]'s tokenizer), written as small JSON files so that a query loads only
//! what it needs:
//!
//! - `search/meta.json`: how many documents, the block size, which shards are split, the
//!   sources.
//! - `search/fold.json`: traditional characters with their simplified forms (those the
//!   articles hold, in either form), so that the page folds a query as the index was folded.
//! - `search/t/<key>.json`: the words starting with one character (two, for big shards and
//!   for words in Latin letters or digits) → postings `[doc delta, weight, …]`.
//! - `search/d/<n>.json`: a block of documents: `[source, id, title, date, iso date, lead]`
//!   (the lead: the start of the text, shown under the title).
//!
//! The page's script (`static/search.js`) segments a query with the index's own vocabulary
//! (the fewest words that cover it), so it needs no dictionary.

use std::collections::{BTreeMap, HashMap};

/// An article as the index takes it.
pub struct IndexDoc {
    pub source: String,
    pub id: i64,
    pub title: String,
    /// Plain text of the newest revision.
    pub text: String,
    pub published_ms: i64,
}

/// The index's format, in `meta.json` (`"v"`): an index of another format is built anew.
pub const FORMAT: u32 = 3;

/// Documents per `d/<n>.json` block.
pub const BLOCK: usize = 20;
/// A shard larger than this (bytes of JSON) is split by the words' first two characters.
const SPLIT_OVER: usize = 48 * 1024;
/// The text of an article indexed at most (characters): the start of long articles.
const MAX_TEXT: usize = 20_000;

/// The files of the index: (path under `search/`, bytes).
pub struct IndexFiles {
    pub files: Vec<(String, String)>,
    pub words: usize,
}

/// A word's weight in a document: a word of the title puts the document above every one
/// that has it only in its text (as the server's search ranks them): 100 and more for the
/// title, below 100 for the text alone.
fn weight(title_tf: u32, body_tf: u32) -> u32 {
    if title_tf > 0 {
        100 + (title_tf * 5 + body_tf).min(99)
    } else {
        body_tf.min(99)
    }
}

/// The start of an article's text the results show under its title (characters).
const LEAD: usize = 60;

/// The shard key of a word: its first character as hex, or its first two for words in
/// ASCII letters or digits and for shards split by two.
fn key_of(word: &str, split: &std::collections::HashSet<String>) -> String {
    let mut cs = word.chars();
    let first = cs.next().unwrap_or('_');
    let one = format!("{:x}", first as u32);
    let two_chars = first.is_ascii() || split.contains(&one);
    if !two_chars {
        return one;
    }
    match cs.next() {
        Some(c) => format!("{one}-{:x}", c as u32),
        None => format!("{one}-0"),
    }
}

/// Builds the index of `docs`, oldest archived first (equal scores favour the later ones).
/// `sources` are (slug, name); dates are shown in `tz`.
pub fn build(docs: &[IndexDoc], sources: &[(String, String)], tz: chrono_tz::Tz) -> IndexFiles {
    let n = docs.len();
    // word → postings (doc, weight)
    let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
    let mut seen: std::collections::HashSet<char> = std::collections::HashSet::new();
    let mut blocks: Vec<Vec<serde_json::Value>> = Vec::new();
    let mut of_source: Vec<serde_json::Value> = Vec::with_capacity(n);
    let src_index: HashMap<&str, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.as_str(), i))
        .collect();
    for (d, doc) in docs.iter().enumerate() {
        let mut tf: HashMap<String, (u32, u32)> = HashMap::new();
        let text: String = doc.text.chars().take(MAX_TEXT).collect();
        for (field, body) in [(0, doc.title.as_str()), (1, text.as_str())] {
            let folded = crate::search::fold(body);
            seen.extend(folded.chars().filter(|c| !c.is_ascii()));
            for (_, _, w) in crate::search::search_words(&folded) {
                let e = tf.entry(w).or_default();
                if field == 0 {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
        }
        for (w, (t, b)) in tf {
            postings
                .entry(w)
                .or_default()
                .push((d as u32, weight(t, b)));
        }
        if d % BLOCK == 0 {
            blocks.push(Vec::new());
        }
        let src = src_index
            .get(doc.source.as_str())
            .copied()
            .unwrap_or(usize::MAX);
        let date = super::pages::Stamp::at(doc.published_ms, tz);
        let source = if src == usize::MAX {
            serde_json::Value::from(doc.source.clone())
        } else {
            serde_json::Value::from(src)
        };
        of_source.push(source.clone());
        let lead: String = doc.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut lead: String = lead.chars().take(LEAD + 1).collect();
        if lead.chars().count() > LEAD {
            lead = lead.chars().take(LEAD).collect::<String>() + "…";
        }
        blocks.last_mut().expect("a block").push(serde_json::json!([
            source, doc.id, doc.title, date.text, date.iso, lead
        ]));
    }

    // Shards by first character; the big ones split by the first two.
    let encode = |p: &[(u32, u32)]| -> String {
        let mut s = String::with_capacity(p.len() * 4);
        let mut last = 0u32;
        for (i, (d, w)) in p.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!("{},{w}", d - last));
            last = *d;
        }
        s
    };
    let mut words: Vec<(&String, String)> = postings.iter().map(|(w, p)| (w, encode(p))).collect();
    words.sort_by(|a, b| a.0.cmp(b.0));
    let none = std::collections::HashSet::new();
    let mut size: HashMap<String, usize> = HashMap::new();
    for (w, p) in &words {
        *size.entry(key_of(w, &none)).or_default() += w.len() + p.len() + 8;
    }
    let split: std::collections::HashSet<String> = size
        .into_iter()
        .filter(|(k, s)| *s > SPLIT_OVER && !k.contains('-'))
        .map(|(k, _)| k)
        .collect();
    let mut shards: BTreeMap<String, String> = BTreeMap::new();
    for (w, p) in &words {
        let s = shards
            .entry(key_of(w, &split))
            .or_insert_with(|| "{".into());
        if s.len() > 1 {
            s.push(',');
        }
        s.push_str(&serde_json::to_string(w.as_str()).expect("a string"));
        s.push_str(":[");
        s.push_str(p);
        s.push(']');
    }
    let mut files: Vec<(String, String)> = Vec::new();
    for (k, mut s) in shards {
        s.push('}');
        files.push((format!("t/{k}.json"), s));
    }
    for (i, b) in blocks.iter().enumerate() {
        files.push((
            format!("d/{i}.json"),
            serde_json::to_string(b).expect("plain data"),
        ));
    }
    // Every traditional character whose simplified form the articles hold (as written in
    // either form): a query folds as the index did.
    let mut fold: BTreeMap<String, String> = BTreeMap::new();
    for c in ('\u{3400}'..='\u{9FFF}').chain('\u{F900}'..='\u{FAFF}') {
        let s = c.to_string();
        let f = crate::search::fold(&s);
        if f != s && f.chars().next().is_some_and(|t| seen.contains(&t)) {
            fold.insert(s, f);
        }
    }
    files.push((
        "fold.json".into(),
        serde_json::to_string(&fold).expect("plain data"),
    ));
    files.push((
        "sources.json".into(),
        serde_json::to_string(&of_source).expect("plain data"),
    ));
    let mut split: Vec<String> = split.into_iter().collect();
    split.sort();
    let meta = serde_json::json!({
        "v": FORMAT,
        "docs": n,
        "block": BLOCK,
        "split": split,
        "sources": sources,
    });
    files.push(("meta.json".into(), meta.to_string()));
    IndexFiles {
        words: words.len(),
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, title: &str, text: &str) -> IndexDoc {
        IndexDoc {
            source: "news".into(),
            id,
            title: title.into(),
            text: text.into(),
            published_ms: 1_700_000_000_000 - id,
        }
    }

    #[test]
    fn words_are_folded_and_sharded_by_first_character() {
        let docs = vec![
            doc(1, "臺灣總統選舉", "選舉結果今天揭曉。"),
            doc(2, "香港新闻", "今天的天气很好。Taiwan news"),
        ];
        let idx = build(
            &docs,
            &[("news".into(), "新闻".into())],
            chrono_tz::Asia::Shanghai,
        );
        let get = |p: &str| {
            idx.files
                .iter()
                .find(|(f, _)| f == p)
                .map(|(_, t)| t.clone())
                .unwrap_or_else(|| {
                    panic!(
                        "no {p}: {:?}",
                        idx.files.iter().map(|f| &f.0).collect::<Vec<_>>()
                    )
                })
        };
        // 选 (U+9009): the simplified form of 選 holds 选举 with the first document.
        let shard: serde_json::Value = serde_json::from_str(&get("t/9009.json")).unwrap();
        // In the title (and once in the text): above every text-only match.
        assert_eq!(shard["选举"], serde_json::json!([0, 106]), "{shard}");
        let fold: serde_json::Value = serde_json::from_str(&get("fold.json")).unwrap();
        assert_eq!(fold["臺"], "台");
        // Latin words by their first two letters.
        let t: serde_json::Value = serde_json::from_str(&get("t/74-61.json")).unwrap();
        assert!(t.get("taiwan").is_some(), "{t}");
        let block: serde_json::Value = serde_json::from_str(&get("d/0.json")).unwrap();
        assert_eq!(block[0][1], 1);
        assert_eq!(block[0][2], "臺灣總統選舉");
        assert_eq!(block[0][5], "選舉結果今天揭曉。");
    }
}
