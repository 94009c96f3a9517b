//! The domain states the database records, as enums (stored as lower-case words).

crate::named_states! {
    /// Whether an article's page is there.
    ArticleStatus { Live = "live", Removed = "removed" }
}

crate::named_states! {
    /// An event of an article's life.
    EventKind { Edited = "edited", Removed = "removed", Restored = "restored" }
}
