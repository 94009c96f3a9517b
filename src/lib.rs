//! newsmirror keeps mirrors of news outlets: git repositories in which every article is a
//! Markdown file in a format shared by thousands of existing mirrors.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//! [`config`] → [`fetch`] → [`feed`] → [`store`] → [`render`] → [`publish`], driven by
//! [`archive`];
//! [`mirror`] holds the file format; [`text`] the shared text rules; [`cli`] turns arguments
//! into calls.

/// A domain state kept as an enum, written and read as a lower-case word (in the database,
/// in JSON, in the committed journal), compared with a word where other modules still do.
macro_rules! named_states {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            /// The word for this state.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            /// The state a word names.
            pub fn parse(word: &str) -> Option<$name> {
                match word { $($s => Some($name::$v),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    };
}
pub(crate) use named_states;

pub mod archive;
pub mod catalog;
pub mod clean;
pub mod cli;
pub mod config;
pub mod extract;
pub mod faults;
pub mod feed;
pub mod fetch;
pub mod history;
pub mod mirror;
pub mod nesting;
pub mod polite;
pub mod publish;
pub mod render;
pub mod search;
pub mod store;
pub mod text;
pub mod web;
