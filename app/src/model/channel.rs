//! Wire types of meeting channels: their details dialog and guest activity.

use super::{ChannelId, ChannelKind, MemberSummary};
use serde::{Deserialize, Serialize};

/// What the Channel Details dialog shows a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDetails {
    pub id: ChannelId,
    pub name: String,
    pub kind: ChannelKind,
    /// The external link guests join with, if one is on.
    pub external_link: Option<String>,
    /// Whether the asker may replace or turn off the link, remove guests
    /// and see guest activity (a channel admin or a workspace admin).
    pub can_manage: bool,
    pub admins: Vec<MemberSummary>,
    /// "External users receive email summary": guests who gave an email get
    /// the meeting notes after each call.
    pub email_guest_notes: bool,
    /// "Transcribe calls": each participant's words are written down, and
    /// the call gets a transcript and a summary.
    pub transcribe_calls: bool,
    /// Whether the asker (who may manage the channel) gets every call's
    /// notes by email.
    pub notes_to_me: bool,
}

/// One guest's stay in a channel's call, for channel and workspace admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct GuestVisit {
    pub name: String,
    pub email: Option<String>,
    /// Unix seconds.
    pub joined_at: i64,
    /// Unix seconds; `None` while they are still in the call.
    pub left_at: Option<i64>,
    /// A channel admin sent them out.
    pub removed: bool,
}

id_type!(
    /// A meeting channel's call schedule.
    ScheduleId
);

/// How a scheduled call repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(type_name = "TEXT", rename_all = "lowercase"))]
pub enum Recurrence {
    Once,
    Daily,
    /// Monday to Friday.
    Weekdays,
    Weekly,
    Monthly,
}

impl Recurrence {
    pub const ALL: [Recurrence; 5] =
        [Recurrence::Once, Recurrence::Daily, Recurrence::Weekdays, Recurrence::Weekly, Recurrence::Monthly];

    /// The form value.
    pub fn key(self) -> &'static str {
        match self {
            Recurrence::Once => "once",
            Recurrence::Daily => "daily",
            Recurrence::Weekdays => "weekdays",
            Recurrence::Weekly => "weekly",
            Recurrence::Monthly => "monthly",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Recurrence::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Recurrence::Once => "Does not repeat",
            Recurrence::Daily => "Every day",
            Recurrence::Weekdays => "Every weekday (Monday to Friday)",
            Recurrence::Weekly => "Every week",
            Recurrence::Monthly => "Every month",
        }
    }
}

/// When a repeating schedule stops.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecurrenceEnd {
    #[default]
    Never,
    /// No call after this day ("2027-03-31", in the schedule's time zone).
    OnDate(String),
    /// After this many calls.
    AfterCalls(u32),
}

impl RecurrenceEnd {
    /// "until 31 Mar 2027", "10 calls", or nothing.
    pub fn label(&self) -> Option<String> {
        match self {
            RecurrenceEnd::Never => None,
            RecurrenceEnd::OnDate(date) => Some(format!("until {date}")),
            RecurrenceEnd::AfterCalls(1) => Some("1 call".into()),
            RecurrenceEnd::AfterCalls(count) => Some(format!("{count} calls")),
        }
    }
}

/// A call schedule as the Call Schedule tab lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSchedule {
    pub id: ScheduleId,
    pub title: String,
    /// The first call, wall-clock time in `time_zone` ("2026-11-24T10:00"),
    /// as the form edits it.
    pub starts_local: String,
    pub recurrence: Recurrence,
    pub ends: RecurrenceEnd,
    pub time_zone: String,
    /// The next calls (unix seconds, up to three), shown in the viewer's
    /// own time zone; empty once the last call has started.
    pub upcoming: Vec<i64>,
    pub external_participants: Vec<String>,
}

/// What the schedule form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSchedule {
    pub title: String,
    /// The first call as the browser's date-time field gives it:
    /// "2026-11-24T10:00", wall-clock time in `time_zone`.
    pub starts_local: String,
    /// The browser's IANA time zone, e.g. "Europe/Berlin".
    pub time_zone: String,
    pub recurrence: Recurrence,
    /// When a repeating schedule stops (ignored for a one-off call).
    #[serde(default)]
    pub ends: RecurrenceEnd,
    /// Email addresses separated by commas, spaces or new lines.
    pub external_participants: String,
}

/// Where a past call's transcript stands, as members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TranscriptView {
    /// The channel did not transcribe that call.
    Off,
    /// Waiting for the speech engine; why the last try failed, if it did.
    Pending(Option<String>),
    Done,
    Failed(String),
}

/// One ended call of a meeting channel, in its Past calls list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastCall {
    pub id: super::CallId,
    /// Unix seconds.
    pub started_at: i64,
    pub ended_at: i64,
    /// Who took part, each once, guests marked.
    pub people: Vec<String>,
    pub transcript: TranscriptView,
}

/// One thing said in a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpokenLine {
    /// Unix milliseconds.
    pub said_at: i64,
    pub speaker: String,
    pub guest: bool,
    pub text: String,
}

/// What is kept about a past call: its summary, and the first page of
/// its transcript and of its chat (a long call's would be megabytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastCallDetails {
    pub summary: Option<String>,
    pub transcript: CallLines,
    /// Chat messages, as lines: who wrote, whether as a guest, and when.
    pub chat: CallLines,
}

/// One page of a past call's transcript or chat, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLines {
    pub lines: Vec<SpokenLine>,
    /// Where the next page starts, when there is one.
    pub next: Option<LinesCursor>,
}

/// After the line said at `at` (Unix milliseconds) with row `id`: pages
/// are read by position, so lines written meanwhile shift nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesCursor {
    pub at: i64,
    pub id: i64,
}

impl LinesCursor {
    /// Before the first line.
    pub const START: LinesCursor = LinesCursor { at: i64::MIN, id: 0 };
}

/// Which of a past call's records a page is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallPart {
    Transcript,
    Chat,
}

/// A transcript line that matched a search, with its call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptHit {
    pub call: super::CallId,
    pub channel: ChannelId,
    pub channel_name: String,
    pub line: SpokenLine,
}
