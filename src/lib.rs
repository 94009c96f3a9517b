//! newsmirror keeps mirrors of news outlets: git repositories in which every article is a
//! Markdown file in a format shared by thousands of existing mirrors.
//!
//! The pipeline, one module per stage (see `ARCHITECTURE.md`):
//! [`config`] → [`fetch`] → [`feed`] → [`store`] → [`render`] → [`publish`], driven by
//! [`archive`];
//! [`mirror`] holds the file format; [`cli`] turns arguments into calls.

pub mod archive;
pub mod clean;
pub mod cli;
pub mod config;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod history;
pub mod mirror;
pub mod nesting;
pub mod publish;
pub mod render;
pub mod search;
pub mod store;
pub mod web;
