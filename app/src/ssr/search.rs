//! Full-text search's one rule for what people type: words, never the
//! engine's syntax. Transcripts and channel messages both search this way.

/// The words of a search as an FTS5 query matching all of them: each word
/// quoted (so nothing typed is taken as FTS5 syntax), None if no word.
pub fn fts_terms(query: &str) -> Option<String> {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|word| !word.is_empty())
        .take(16)
        .map(|word| format!("\"{}\"", word.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}
