//! The domain states the database records, as enums (stored as lower-case words).

crate::named_states! {
    /// Whether an article's page is there.
    ArticleStatus { Live = "live", Removed = "removed" }
}

crate::named_states! {
    /// An event of an article's life.
    EventKind { Edited = "edited", Removed = "removed", Restored = "restored" }
}

impl rusqlite::types::FromSql for ArticleStatus {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        ArticleStatus::parse(s).ok_or_else(|| rusqlite::types::FromSqlError::Other(s.into()))
    }
}

impl rusqlite::types::FromSql for EventKind {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        EventKind::parse(s).ok_or_else(|| rusqlite::types::FromSqlError::Other(s.into()))
    }
}
