//! One log line as debrief understands it: when, how loud, from where, and what it says.

use std::borrow::Cow;

use jiff::Timestamp;
use serde::Serialize;

/// The severity a line declares for itself. Evidence for the kind, never the whole story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Notice,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// Reads a level word as logs write it: `INFO`, `info`, `I`, `WARNING`, `err`, `crit`,
    /// `SEVERE`, syslog priorities `0`–`7` are NOT read here (see `from_syslog_priority`).
    pub fn from_word(word: &str) -> Option<Level> {
        let w =
            word.trim_matches(|c: char| matches!(c, '[' | ']' | '<' | '>' | '(' | ')' | ':' | ','));
        // The longest level word has 13 letters: lower-case it on the stack.
        let mut buf = [0u8; 13];
        let lower = buf.get_mut(..w.len())?;
        lower.copy_from_slice(w.as_bytes());
        lower.make_ascii_lowercase();
        let level = match &*lower {
            b"trace" | b"trc" | b"finest" | b"finer" => Level::Trace,
            b"debug" | b"dbg" | b"fine" | b"verbose" => Level::Debug,
            b"info" | b"inf" | b"information" | b"informational" | b"config" => Level::Info,
            b"notice" => Level::Notice,
            b"warn" | b"warning" | b"wrn" => Level::Warn,
            b"error" | b"err" | b"severe" | b"eror" => Level::Error,
            b"fatal" | b"crit" | b"critical" | b"alert" | b"emerg" | b"emergency" | b"panic"
            | b"failure" => Level::Fatal,
            _ => return None,
        };
        Some(level)
    }

    /// Reads a syslog / journald priority (`0` emerg … `7` debug).
    pub fn from_syslog_priority(p: u8) -> Option<Level> {
        Some(match p {
            0..=2 => Level::Fatal,
            3 => Level::Error,
            4 => Level::Warn,
            5 => Level::Notice,
            6 => Level::Info,
            7 => Level::Debug,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Notice => "notice",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// Error or worse.
    pub fn is_failure(self) -> bool {
        self >= Level::Error
    }
}

/// A log line split into its header fields and its message. The text fields borrow from the
/// line where they can, so splitting a line allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// The line's own time, when it carries one that could be read.
    pub time: Option<Timestamp>,
    pub level: Option<Level>,
    /// Service, unit, component or object the line is about, when the format names one.
    pub service: Option<Cow<'a, str>>,
    /// The message: what a template miner should see.
    pub message: Cow<'a, str>,
    /// How many occurrences this record stands for: 1 for a log line, a Kubernetes event's
    /// `count` for an event that the cluster folded together.
    pub count: u64,
}

impl<'a> Record<'a> {
    /// A record with only a message, seen once.
    pub fn new(message: impl Into<Cow<'a, str>>) -> Record<'a> {
        Record {
            time: None,
            level: None,
            service: None,
            message: message.into(),
            count: 1,
        }
    }

    /// The same record, owning its text.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            time: self.time,
            level: self.level,
            service: self.service.map(|s| Cow::Owned(s.into_owned())),
            message: Cow::Owned(self.message.into_owned()),
            count: self.count,
        }
    }
}
