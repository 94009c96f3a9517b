//! Words of Chinese (and any other) text for the index: traditional characters folded to
//! simplified, then cut by jieba in search mode (long words also give their shorter words),
//! letters lower-cased, punctuation and white space dropped.
//!
//! Folding maps a character to one of the same UTF-8 length, so a token's byte offsets point
//! into the original text and snippets highlight the words as written.

use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// jieba with its dictionary (it ships inside the binary); built once, on first use
/// (0.2–0.3 s).
pub fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// `text` with traditional characters made simplified and ASCII letters lower case; same
/// length in bytes, character for character.
pub fn fold(text: &str) -> String {
    let mut s = text.to_ascii_lowercase();
    fast2s::replace(&mut s);
    s
}

/// Whether `word` carries meaning (not only punctuation, symbols or white space).
fn is_word(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

/// The words of `folded` text in search mode, with their byte ranges, in text order.
pub fn search_words(folded: &str) -> Vec<(usize, usize, String)> {
    let mut words: Vec<(usize, usize, String)> = jieba()
        .cut_for_search(folded, true)
        .into_iter()
        .filter(|t| is_word(t.word))
        .map(|t| (t.byte_start, t.byte_end, t.word.to_lowercase()))
        .collect();
    // Search mode gives a long word's parts before the word; snippets need text order.
    words.sort_by_key(|&(from, to, _)| (from, to));
    words
}

/// The words a query is made of (plain cut: the longest words), each with the shorter words
/// search mode finds inside it.
pub fn query_words(query: &str) -> Vec<(String, Vec<String>)> {
    let folded = fold(query);
    let j = jieba();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for t in j.cut(&folded, true) {
        if !is_word(t.word) {
            continue;
        }
        let word = t.word.to_lowercase();
        if out.iter().any(|(w, _)| *w == word) {
            continue;
        }
        let parts: Vec<String> = j
            .cut_for_search(t.word, true)
            .into_iter()
            .filter(|p| is_word(p.word) && p.word != t.word)
            .map(|p| p.word.to_lowercase())
            .collect();
        out.push((word, parts));
    }
    out
}

/// The tokenizer registered with the index as [`super::TOKENIZER`].
#[derive(Clone, Default)]
pub struct ChineseTokenizer;

pub struct Words {
    tokens: Arc<Vec<Token>>,
    next: usize,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = Words;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Words {
        let folded = fold(text);
        let tokens = search_words(&folded)
            .into_iter()
            .enumerate()
            .map(|(position, (from, to, word))| Token {
                offset_from: from,
                offset_to: to,
                position,
                text: word,
                position_length: 1,
            })
            .collect();
        Words {
            tokens: Arc::new(tokens),
            next: 0,
        }
    }
}

impl TokenStream for Words {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut Arc::make_mut(&mut self.tokens)[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_lengths_and_makes_simplified() {
        let t = "台灣的選舉 Taiwan";
        let f = fold(t);
        assert_eq!(f.len(), t.len());
        assert_eq!(f, "台湾的选举 taiwan");
    }

    #[test]
    fn tokens_point_into_the_original_text() {
        let text = "臺灣總統選舉，結果揭曉。";
        let mut tk = ChineseTokenizer;
        let mut stream = tk.token_stream(text);
        let mut words = Vec::new();
        while stream.advance() {
            let t = stream.token();
            words.push((text[t.offset_from..t.offset_to].to_string(), t.text.clone()));
        }
        assert!(
            words.iter().any(|(orig, w)| orig == "總統" && w == "总统"),
            "{words:?}"
        );
        assert!(
            words.iter().all(|(_, w)| w != "，" && w != "。"),
            "{words:?}"
        );
    }
}
