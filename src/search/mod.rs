//! Full-text search: a tantivy index under `<archive>/.newsmirror/search/`, fed from the
//! database, that understands Chinese (jieba words) and does not care whether a word is
//! written in traditional or simplified characters.
//!
//! It owns the index and nothing else: documents come from the store as plain records
//! ([`SearchDoc`]); it never reads the mirror files or speaks SQL. The index is a cache: it
//! can always be rebuilt from the database ([`reindex`]).

mod tokenize;

use std::path::{Path, PathBuf};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

pub use tokenize::{ChineseTokenizer, fold, jieba, query_words, search_words};

use crate::store::{SearchDoc, Store, StoreError};

/// The name the Chinese tokenizer is registered under.
pub const TOKENIZER: &str = "zh";

/// The folder of the index inside the archive's state folder.
pub const INDEX_DIR: &str = "search";

/// What went wrong with the search index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index {path}: {source}")]
    Index {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("search index {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, SearchError>;

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    source: Field,
    id: Field,
    title: Field,
    body: Field,
    date: Field,
    status: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        source: b.add_text_field("source", STRING | STORED),
        id: b.add_i64_field("id", STORED),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
        date: b.add_i64_field("date", STORED | FAST | INDEXED),
        status: b.add_text_field("status", STRING | STORED),
    };
    (b.build(), fields)
}

/// An open search index.
pub struct SearchIndex {
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// When set, searches find only articles of these sources (those the config lists).
    only: Option<Vec<String>>,
}

/// One search: words, an optional source, a page.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub source: Option<String>,
    /// From 1.
    pub page: usize,
    pub per_page: usize,
}

/// One article found, with its title and a snippet highlighted (`<mark>`), as HTML.
#[derive(Debug, Clone)]
pub struct Hit {
    pub source: String,
    pub id: i64,
    pub title: String,
    pub title_html: String,
    pub snippet_html: String,
    pub published_ms: i64,
    pub status: String,
}

/// A page of results and how many there are in all.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// The index's place in the database's change log.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    /// The database's identity (`Store::database_id`).
    database: String,
    /// The last change applied.
    change: i64,
}

fn key_of(source: &str, id: i64) -> String {
    format!("{source}/{id}")
}

impl SearchIndex {
    /// Opens the index in `dir` (the archive's state folder). The second value is true when
    /// it was (re)created empty and needs every article.
    pub fn open(state_dir: &Path) -> Result<(SearchIndex, bool)> {
        let path = state_dir.join(INDEX_DIR);
        let (schema, fields) = schema();
        let ierr = |source| SearchError::Index {
            path: path.clone(),
            source,
        };
        let opened = Index::open_in_dir(&path)
            .ok()
            .filter(|i| i.schema() == schema);
        let (index, created) = match opened {
            Some(i) => (i, false),
            None => {
                if path.exists() {
                    std::fs::remove_dir_all(&path).map_err(|source| SearchError::Io {
                        path: path.clone(),
                        source,
                    })?;
                }
                std::fs::create_dir_all(&path).map_err(|source| SearchError::Io {
                    path: path.clone(),
                    source,
                })?;
                (Index::create_in_dir(&path, schema).map_err(ierr)?, true)
            }
        };
        index.tokenizers().register(TOKENIZER, ChineseTokenizer);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(ierr)?;
        Ok((
            SearchIndex {
                path,
                index,
                reader,
                fields,
                only: None,
            },
            created,
        ))
    }

    /// From now on, find only articles of `sources` (the sources a config lists: a source
    /// removed from it is no longer shown, though its articles stay in the archive).
    pub fn only_sources(&mut self, sources: Vec<String>) {
        self.only = Some(sources);
    }

    /// Takes every article of `source` out of the index.
    pub fn remove_source(&self, source: &str) -> Result<()> {
        let mut writer = self
            .index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .map_err(|e| self.err(e))?;
        writer.delete_term(Term::from_field_text(self.fields.source, source));
        writer.commit().map_err(|e| self.err(e))?;
        writer.wait_merging_threads().map_err(|e| self.err(e))?;
        self.reader.reload().map_err(|e| self.err(e))?;
        Ok(())
    }

    fn err(&self, source: tantivy::TantivyError) -> SearchError {
        SearchError::Index {
            path: self.path.clone(),
            source,
        }
    }

    fn document(&self, d: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, key_of(&d.source, d.id));
        doc.add_text(f.source, &d.source);
        doc.add_i64(f.id, d.id);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, crate::text::text_of_html(&d.content));
        doc.add_i64(f.date, d.published_ms);
        doc.add_text(f.status, d.status);
        doc
    }

    /// Where the index stands: the database it follows and the last change it applied,
    /// kept in the index's own commits (so that it moves with them).
    fn cursor(&self) -> Option<Cursor> {
        let metas = self.index.load_metas().ok()?;
        serde_json::from_str(metas.payload.as_deref()?).ok()
    }

    /// Whether the database holds changes the index has not applied (or is another database
    /// than the one the index was made from).
    pub fn behind(&self, store: &Store) -> Result<bool> {
        Ok(match self.cursor() {
            Some(c) if c.database == store.database_id()? => c.change < store.last_change()?,
            _ => true,
        })
    }

    /// Brings the index up to date with the database by its change log: the changes after
    /// the cursor the index keeps (every article when `everything`, when the index is new, or
    /// when it was made from another database). The database is only read: any number of
    /// indexes (several `serve`s on several machines) follow it, each at its own pace.
    /// Returns how many articles it indexed.
    pub fn sync(&self, store: &Store, everything: bool) -> Result<usize> {
        let database = store.database_id()?;
        let cursor = self
            .cursor()
            .filter(|c| c.database == database && !everything);
        if cursor
            .as_ref()
            .is_some_and(|c| store.last_change().is_ok_and(|last| last <= c.change))
        {
            return Ok(0);
        }
        let mut writer = self
            .index
            .writer_with_num_threads::<TantivyDocument>(2, 100_000_000)
            .map_err(|e| self.err(e))?;
        let commit = |writer: &mut tantivy::IndexWriter<TantivyDocument>, change: i64| {
            let payload = serde_json::to_string(&Cursor {
                database: database.clone(),
                change,
            })
            .expect("plain data serializes");
            let mut prepared = writer.prepare_commit().map_err(|e| self.err(e))?;
            prepared.set_payload(&payload);
            prepared.commit().map_err(|e| self.err(e)).map(|_| ())
        };
        let mut n = 0;
        match cursor {
            None => {
                // Changes made while every article is read are applied again next time.
                let upto = store.last_change()?;
                writer.delete_all_documents().map_err(|e| self.err(e))?;
                store.for_each_search_doc(&mut |d: SearchDoc| -> Result<()> {
                    writer
                        .add_document(self.document(&d))
                        .map_err(|e| self.err(e))?;
                    n += 1;
                    Ok(())
                })?;
                commit(&mut writer, upto)?;
            }
            Some(c) => {
                let mut at = c.change;
                loop {
                    let changes = store.changes_since(at, 2000)?;
                    let Some(last) = changes.last() else { break };
                    at = last.seq;
                    let pks: Vec<i64> = changes.iter().map(|c| c.article).collect();
                    let docs = store.search_docs(&pks)?;
                    for d in &docs {
                        writer.delete_term(Term::from_field_text(
                            self.fields.key,
                            &key_of(&d.source, d.id),
                        ));
                        writer
                            .add_document(self.document(d))
                            .map_err(|e| self.err(e))?;
                    }
                    commit(&mut writer, at)?;
                    n += docs.len();
                }
            }
        }
        writer.wait_merging_threads().map_err(|e| self.err(e))?;
        self.reader.reload().map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// The query for `text`: every word must be found (in the title or the text); a long word
    /// is also found as the shorter words it is made of.
    fn query(&self, q: &SearchQuery) -> Option<BooleanQuery> {
        let f = self.fields;
        let term = |w: &str| -> Box<dyn Query> {
            let in_field = |field: Field| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, w),
                    IndexRecordOption::WithFreqs,
                ))
            };
            Box::new(BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(in_field(f.title), 2.0)),
                ),
                (Occur::Should, in_field(f.body)),
            ]))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (word, parts) in query_words(&q.text).into_iter().take(32) {
            if parts.is_empty() {
                clauses.push((Occur::Must, term(&word)));
            } else {
                let all_parts: Vec<(Occur, Box<dyn Query>)> =
                    parts.iter().map(|p| (Occur::Must, term(p))).collect();
                clauses.push((
                    Occur::Must,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, term(&word)),
                        (Occur::Should, Box::new(BooleanQuery::new(all_parts))),
                    ])),
                ));
            }
        }
        if clauses.is_empty() {
            return None;
        }
        if let Some(only) = &self.only {
            let any: Vec<(Occur, Box<dyn Query>)> = only
                .iter()
                .map(|s| -> (Occur, Box<dyn Query>) {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(f.source, s),
                            IndexRecordOption::Basic,
                        )),
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(s) = &q.source {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.source, s),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        Some(BooleanQuery::new(clauses))
    }

    /// Searches. A query without any word (only punctuation, say) finds nothing.
    pub fn search(&self, q: &SearchQuery) -> Result<Hits> {
        let Some(query) = self.query(q) else {
            return Ok(Hits::default());
        };
        let f = self.fields;
        let searcher = self.reader.searcher();
        let per_page = q.per_page.clamp(1, 100);
        let offset = q.page.max(1).saturating_sub(1).saturating_mul(per_page);
        let (top, total) = searcher
            .search(
                &query,
                &(
                    TopDocs::with_limit(per_page)
                        .and_offset(offset)
                        .order_by_score(),
                    Count,
                ),
            )
            .map_err(|e| self.err(e))?;
        let mut body_gen =
            SnippetGenerator::create(&searcher, &query, f.body).map_err(|e| self.err(e))?;
        // Counted in bytes: about 80 Chinese characters.
        body_gen.set_max_num_chars(240);
        let mut title_gen =
            SnippetGenerator::create(&searcher, &query, f.title).map_err(|e| self.err(e))?;
        title_gen.set_max_num_chars(1000);
        // The words to look for in a body, folded, longest first.
        let mut needles: Vec<String> = query_words(&q.text)
            .into_iter()
            .flat_map(|(w, parts)| std::iter::once(w).chain(parts))
            .collect();
        needles.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let mut hits = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err(e))?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let int = |field: Field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
            let title = text(f.title);
            let title_html = whole_highlighted(&title, &title_gen.snippet(&title));
            let body = text(f.body);
            let mut bs = body_gen.snippet(window(&body, &needles));
            bs.set_snippet_prefix_postfix("<mark>", "</mark>");
            let snippet_html = if bs.is_empty() {
                crate::text::escape_html(&body.chars().take(120).collect::<String>()).into_owned()
            } else {
                bs.to_html()
            };
            hits.push(Hit {
                source: text(f.source),
                id: int(f.id),
                title,
                title_html,
                snippet_html,
                published_ms: int(f.date),
                status: text(f.status),
            });
        }
        Ok(Hits { total, hits })
    }

    /// How many articles the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no article.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The part of `body` around the first place a query word occurs (the whole body when none
/// does): the snippet generator then cuts words in a few hundred bytes instead of the whole
/// article.
fn window<'a>(body: &'a str, needles: &[String]) -> &'a str {
    const BEFORE: usize = 90;
    const AFTER: usize = 400;
    if body.len() <= BEFORE + AFTER {
        return body;
    }
    let folded = fold(body);
    let Some(at) = needles.iter().filter_map(|n| folded.find(n.as_str())).min() else {
        return body;
    };
    let mut start = at.saturating_sub(BEFORE);
    while !body.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + AFTER).min(body.len());
    while !body.is_char_boundary(end) {
        end += 1;
    }
    &body[start..end]
}

/// The whole of `text` as HTML with the snippet's words marked. A snippet's fragment ends
/// with its last word, so showing the fragment alone would drop what follows (a title's
/// closing `？` or `」`).
fn whole_highlighted(text: &str, snippet: &tantivy::snippet::Snippet) -> String {
    let offset = snippet.fragment_range().start;
    let mut ranges: Vec<std::ops::Range<usize>> = snippet
        .highlighted()
        .iter()
        .map(|r| r.start + offset..r.end + offset)
        .filter(|r| {
            r.end <= text.len() && text.is_char_boundary(r.start) && text.is_char_boundary(r.end)
        })
        .collect();
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for r in ranges {
        if r.start < at {
            // Overlapping (a long word and its parts): extend the open mark.
            if r.end > at {
                out.truncate(out.len() - "</mark>".len());
                out.push_str(&crate::text::escape_html(&text[at..r.end]));
                out.push_str("</mark>");
                at = r.end;
            }
            continue;
        }
        out.push_str(&crate::text::escape_html(&text[at..r.start]));
        out.push_str("<mark>");
        out.push_str(&crate::text::escape_html(&text[r.clone()]));
        out.push_str("</mark>");
        at = r.end;
    }
    out.push_str(&crate::text::escape_html(&text[at..]));
    out
}

/// Brings the index of the archive whose state folder is `state_dir` up to date (creating it
/// when missing). Returns how many articles it indexed.
pub fn sync(state_dir: &Path, store: &Store) -> Result<usize> {
    let (index, created) = SearchIndex::open(state_dir)?;
    index.sync(store, created)
}

/// Rebuilds the index from every article in the database.
pub fn reindex(state_dir: &Path, store: &Store) -> Result<usize> {
    let (index, _) = SearchIndex::open(state_dir)?;
    index.sync(store, true)
}
