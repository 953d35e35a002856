//! Opt-out and opt-in words: an inbound text that is exactly one of the configured words
//! (case, spaces and trailing punctuation ignored) changes marketing consent.

/// What an inbound text asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptWord {
    /// Unsubscribe from marketing.
    Stop,
    /// Subscribe again.
    Start,
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_end_matches(['.', '!', '?'])
        .to_uppercase()
}

/// Detects a STOP or START word in `text`. Only the whole message counts: "stop sending
/// me the blue one" is a conversation, not an opt-out.
pub fn detect(text: &str, stop_words: &[String], start_words: &[String]) -> Option<OptWord> {
    let t = normalise(text);
    if t.is_empty() {
        return None;
    }
    if stop_words.iter().any(|w| normalise(w) == t) {
        Some(OptWord::Stop)
    } else if start_words.iter().any(|w| normalise(w) == t) {
        Some(OptWord::Start)
    } else {
        None
    }
}
