//! Reviews as Markdown documents: the form in which a review lives in git, goes through a pull
//! request, and moves between stores.
//!
//! A document is YAML front matter for the structured fields, a `# Title`, and fixed `##`
//! sections a person edits in any text editor. [`render`] writes an [`Incident`] as a document
//! and [`parse`] reads one back; the two are exact inverses on valid incidents, so export →
//! import → export gives the same bytes. Parsing never guesses: anything it cannot place is an
//! error with the line it is on. This crate knows nothing of the store or the file system
//! beyond [`read_document`], which reads one file with the limits a review must respect.
//!
//! Start with [`render`]; the grammar is in `parse.rs`.

pub mod chaos_toolkit;
pub mod gate;
mod parse;
pub mod postmortems;
mod render;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use parse::parse;
pub use render::{render, template};

/// The largest review document debrief reads. Real reviews are a few tens of kilobytes; a
/// file past this is almost surely not a review, and reading it whole would waste memory.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// 1-based line in the document; `None` when the problem is the whole file.
    pub line: Option<usize>,
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A document that could not be read, with its path: displayed as `path:line: reason`, the
/// form editors and CI logs turn into links.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DocumentError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Reads and parses one review document, refusing files over [`MAX_DOCUMENT_BYTES`] and text
/// that is not UTF-8 (naming the line of the first bad byte).
pub fn read_document(path: &Path) -> Result<debrief_core::Incident, DocumentError> {
    let fail = |line: Option<usize>, message: String| DocumentError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(None, format!("cannot open: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(fail(
            None,
            format!(
                "file is larger than {} MiB, the limit for a review document; is it a review?",
                MAX_DOCUMENT_BYTES / (1024 * 1024)
            ),
        ));
    }
    let text = decode(&bytes).map_err(|e| fail(e.line, e.message))?;
    parse(&text).map_err(|e| fail(e.line, e.message))
}

/// Decodes UTF-8, naming the line and column of the first byte that is not.
pub fn decode(bytes: &[u8]) -> Result<String, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
            Err(ParseError::at(
                line,
                format!(
                    "invalid UTF-8 at column {col} (byte 0x{:02x}); save the file as UTF-8",
                    bytes[e.valid_up_to()]
                ),
            ))
        }
    }
}

/// The section headings of a document, in the order they are written.
pub const SECTIONS: [&str; 7] = [
    "Summary",
    "Impact",
    "Timeline",
    "Contributing factors",
    "Lessons",
    "Action items",
    "Notes",
];

/// The heading of a factor's why-chain.
pub const WHY_HEADING: &str = "Why-chain";

#[cfg(test)]
mod tests;
