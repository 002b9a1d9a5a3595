//! The summary of a call written without any model: the sentences that
//! best stand for the whole transcript (TF-IDF, the `summary` crate), the
//! sentences that read as decisions or action items, and who spoke how
//! long. A chat-completions model can write a better one
//! (server/src/transcripts); this one is always there to fall back on.

use super::transcript::Line;
use std::num::NonZeroU32;

/// Key sentences kept, at most.
const KEY_SENTENCES: u32 = 5;
/// Decisions and action items kept, at most, each.
const MARKED_SENTENCES: usize = 8;

/// Words that make a sentence read as a decision.
const DECISION_CUES: &[&str] = &[
    "decided",
    "decide to",
    "agreed",
    "agree to",
    "approved",
    "settled on",
    "let's go with",
    "we will go with",
    "final answer",
];
/// Words that make a sentence read as something someone will do.
const ACTION_CUES: &[&str] = &[
    "i will",
    "i'll",
    "we will",
    "we'll",
    "will send",
    "will share",
    "follow up",
    "action item",
    "to do",
    "todo",
    "by monday",
    "by tuesday",
    "by wednesday",
    "by thursday",
    "by friday",
    "by tomorrow",
    "next week",
    "needs to",
    "need to",
    "please",
];

/// The summary as plain text, in sections; a short note when nothing was
/// said.
pub fn extractive(lines: &[Line]) -> String {
    if lines.is_empty() {
        return "Nothing was heard in this call.\n".to_string();
    }
    let said = once_each(lines.iter().flat_map(|line| sentences(&line.text).map(move |s| (line, s))));
    let mut text = String::from("Key points\n");
    for (line, sentence) in key_sentences(&said) {
        text.push_str(&format!("- {}: {sentence}\n", speaker(line)));
    }
    let decisions = marked(&said, DECISION_CUES);
    let decided: Vec<&str> = decisions.iter().map(|(_, sentence)| *sentence).collect();
    // A decision that also reads as an action ("we agreed I'll send it")
    // is listed once, as a decision.
    let actions: Vec<_> = marked(&said, ACTION_CUES).into_iter().filter(|(_, s)| !decided.contains(s)).collect();
    for (title, found) in [("Decisions", decisions), ("Action items", actions)] {
        if found.is_empty() {
            continue;
        }
        text.push_str(&format!("\n{title}\n"));
        for (line, sentence) in found {
            text.push_str(&format!("- {}: {sentence}\n", speaker(line)));
        }
    }
    text.push('\n');
    text.push_str(&talk_time_section(lines));
    text
}

/// "Who spoke how long", counted from the lines' times: every summary ends
/// with it, whoever wrote the rest.
pub fn talk_time_section(lines: &[Line]) -> String {
    let mut text = String::from("Who spoke how long\n");
    for (name, millis) in talk_time(lines) {
        text.push_str(&format!("- {name}: {}\n", duration_text(millis)));
    }
    text
}

fn speaker(line: &Line) -> String {
    crate::model::shown_name(&line.speaker, line.guest)
}

/// The sentences of a transcript line (the speech engine often puts two
/// in one segment).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['.', '!', '?']).map(str::trim).filter(|s| !s.is_empty())
}

/// The sentences closest to the transcript as a whole, in the order said.
fn key_sentences<'a>(said: &[(&'a Line, &'a str)]) -> Vec<(&'a Line, &'a str)> {
    // One sentence per line of the joined text, so each chosen sentence
    // can be traced back to who said it.
    let joined: String = said.iter().map(|(_, sentence)| format!("{}\n", end_sentence(sentence))).collect();
    let summarizer = summary::Summarizer::new(summary::Language::English);
    let chosen = summarizer.summarize_sentences(&joined, NonZeroU32::new(KEY_SENTENCES).expect("not zero"));
    let mut found = Vec::new();
    let mut from = 0;
    for sentence in chosen {
        let sentence = sentence.trim();
        if let Some(at) = said[from..].iter().position(|(_, s)| end_sentence(s) == sentence) {
            found.push(said[from + at]);
            from += at + 1;
        }
    }
    found
}

/// A sentence with its final stop, so that sentence splitting keeps it whole.
fn end_sentence(sentence: &str) -> String {
    if sentence.ends_with(['.', '!', '?']) { sentence.to_string() } else { format!("{sentence}.") }
}

fn marked<'a>(said: &[(&'a Line, &'a str)], cues: &[&str]) -> Vec<(&'a Line, &'a str)> {
    said.iter()
        .filter(|(_, sentence)| {
            let lower = sentence.to_lowercase().replace('’', "'");
            cues.iter().any(|cue| contains_words(&lower, cue))
        })
        .take(MARKED_SENTENCES)
        .copied()
        .collect()
}

/// Each sentence once (people repeat themselves), first saying kept.
fn once_each<'a>(said: impl Iterator<Item = (&'a Line, &'a str)>) -> Vec<(&'a Line, &'a str)> {
    let mut kept: Vec<(&Line, &str)> = Vec::new();
    for (line, sentence) in said {
        if !kept.iter().any(|(_, s)| s.eq_ignore_ascii_case(sentence)) {
            kept.push((line, sentence));
        }
    }
    kept
}

/// Whether `cue` occurs in `text` as whole words (not "agreed" in "disagreed").
fn contains_words(text: &str, cue: &str) -> bool {
    text.match_indices(cue).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + cue.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Each speaker's speaking time, most first.
fn talk_time(lines: &[Line]) -> Vec<(String, i64)> {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for line in lines {
        let name = speaker(line);
        let millis = (line.ended_at - line.said_at).max(0);
        match totals.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total += millis,
            None => totals.push((name, millis)),
        }
    }
    totals.sort_by_key(|(_, millis)| std::cmp::Reverse(*millis));
    totals
}

fn duration_text(millis: i64) -> String {
    let seconds = (millis + 500) / 1000;
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::signal::ParticipantId;

    fn line(who: &str, guest: bool, at_seconds: i64, seconds: i64, text: &str) -> Line {
        Line {
            participant: ParticipantId(if guest { 2 } else { 1 }),
            speaker: who.into(),
            guest,
            said_at: at_seconds * 1000,
            ended_at: (at_seconds + seconds) * 1000,
            text: text.into(),
        }
    }

    fn meeting() -> Vec<Line> {
        vec![
            line(
                "Ada Lovelace",
                false,
                0,
                6,
                "Welcome, everyone. Today we look at the launch plan for the new studio website.",
            ),
            line("Lin Park", true, 7, 5, "Thanks. Our team reviewed the launch plan and the website copy last week."),
            line("Ada Lovelace", false, 13, 4, "We agreed to launch the website on the first of March."),
            line("Lin Park", true, 18, 3, "I'll send the final copy by Friday."),
            line(
                "Ada Lovelace",
                false,
                22,
                70,
                "The weather was nice this weekend. The launch plan needs a budget for the website ads.",
            ),
        ]
    }

    #[test]
    fn decisions_actions_and_talk_time_are_found_and_attributed() {
        let summary = extractive(&meeting());
        assert!(summary.starts_with("Key points\n"), "{summary}");
        assert!(
            summary.contains("\nDecisions\n- Ada Lovelace: We agreed to launch the website on the first of March.\n"),
            "{summary}"
        );
        assert!(
            summary.contains("\nAction items\n- Lin Park (guest): I'll send the final copy by Friday.\n"),
            "{summary}"
        );
        assert!(
            summary.contains("\nWho spoke how long\n- Ada Lovelace: 1 min 20 s\n- Lin Park (guest): 8 s\n"),
            "{summary}"
        );
    }

    #[test]
    fn key_points_are_sentences_about_the_subject_in_the_order_said() {
        let summary = extractive(&meeting());
        let key_points: Vec<&str> = summary.lines().skip(1).take_while(|l| l.starts_with("- ")).collect();
        assert!(!key_points.is_empty() && key_points.len() <= KEY_SENTENCES as usize, "{summary}");
        assert!(key_points.iter().any(|l| l.contains("launch plan")), "{summary}");
        let said: Vec<usize> = key_points.iter().map(|p| summary.find(p).unwrap()).collect();
        assert!(said.is_sorted(), "{summary}");
        for point in &key_points {
            let (who, sentence) = point.trim_start_matches("- ").split_once(": ").unwrap();
            let source = meeting().into_iter().find(|l| l.text.contains(sentence)).unwrap_or_else(|| panic!("{point}"));
            assert_eq!(who, speaker(&source), "a key point keeps its speaker");
        }
    }

    #[test]
    fn a_sentence_said_again_is_listed_once() {
        let mut lines = meeting();
        lines.push(line("Ada Lovelace", false, 100, 4, "We agreed to launch the website on the first of March."));
        let summary = extractive(&lines);
        assert_eq!(
            summary.matches("We agreed to launch the website").count(),
            2,
            "a key point and a decision: {summary}"
        );
    }

    #[test]
    fn cues_match_whole_words_only() {
        assert!(contains_words("we agreed on it", "agreed"));
        assert!(!contains_words("we disagreed on it", "agreed"));
        assert!(!contains_words("it was pleasant", "please"));
    }

    #[test]
    fn a_silent_call_says_so() {
        assert_eq!(extractive(&[]), "Nothing was heard in this call.\n");
    }
}
