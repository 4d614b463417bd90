//! `signals parse`: one output row per input line, in input order.
//!
//! Two passes over the input: the first mines the templates, the second prints each line's
//! final template. So every line of a template gets the same id, however late in the file
//! the template took its final shape, and memory stays bounded by the templates.

use std::io::{self, BufRead, Write};

use serde::Serialize;

use crate::kinds::{Kind, Rules};
use crate::miner::{Clustering, MinerConfig, Seen, Sequences, cluster};
use crate::pipeline::{LineParser, run_chunks};
use crate::read::{Line, ReadStats};

/// The shape of `signals parse` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `line,template_id,kind,template`
    Csv,
    /// One JSON object a line: line, template_id, kind, template, and the record's fields.
    Jsonl,
}

/// What a parse run saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParseSummary {
    pub read: ReadStats,
    pub templates: usize,
    /// Lines counted under the overflow template (the sequence cap was reached).
    pub overflow: u64,
}

/// Settings shared by the passes.
pub struct Parse<'a> {
    pub parser: &'a LineParser,
    pub rules: &'a Rules,
    pub miner: MinerConfig,
    pub threads: usize,
}

impl Parse<'_> {
    /// First pass: the templates of everything `reader` holds.
    pub fn mine(&self, reader: impl BufRead) -> io::Result<(Clustering, Sequences, ReadStats)> {
        let mut all = Sequences::new(self.miner);
        let stats = run_chunks(
            reader,
            self.threads,
            |lines| {
                let mut seqs = Sequences::new(self.miner);
                let mut key = String::new();
                for line in lines {
                    if let Line::Text(text) = line {
                        self.parser.record_and_key_then(
                            &text,
                            &mut key,
                            |record, key, cached, stamp| {
                                let n = record.count.max(1);
                                let failing = record.level.is_some_and(|l| l.is_failure());
                                let seen = Seen {
                                    count: n,
                                    failing: if failing { n } else { 0 },
                                };
                                seqs.add_stamped(stamp, cached.unwrap_or(key), seen);
                            },
                        );
                    }
                }
                seqs
            },
            |seqs| {
                all.merge(seqs);
                Ok(())
            },
        )?;
        let clustering = cluster(all.iter());
        Ok((clustering, all, stats))
    }

    /// Second pass: one row a line.
    pub fn print(
        &self,
        reader: impl BufRead,
        clustering: &Clustering,
        format: OutputFormat,
        out: &mut dyn Write,
    ) -> io::Result<ReadStats> {
        let kinds: Vec<Kind> = clustering
            .templates
            .iter()
            .map(|t| {
                let level = (t.failing * 2 > t.count).then_some(crate::record::Level::Error);
                self.rules.classify(&t.text, level)
            })
            .collect();
        if format == OutputFormat::Csv {
            writeln!(out, "line,template_id,kind,template")?;
        }
        let mut line_no = 0u64;
        run_chunks(
            reader,
            self.threads,
            |lines| {
                let mut rows = Vec::new();
                let mut key = String::new();
                for line in lines {
                    match line {
                        Line::Text(text) => {
                            let record = self.parser.record_and_key(&text, &mut key);
                            let t = clustering
                                .template_of(&key)
                                .or_else(|| clustering.template_of(crate::miner::OVERFLOW));
                            rows.push((
                                t,
                                (format == OutputFormat::Jsonl).then(|| record.into_owned()),
                            ));
                        }
                        Line::Skipped => rows.push((None, None)),
                    }
                }
                rows
            },
            |rows| {
                for (t, record) in rows {
                    line_no += 1;
                    let (id, kind, text) = match t {
                        Some(i) => {
                            let tpl = &clustering.templates[i];
                            (
                                tpl.fingerprint.as_str(),
                                kinds[i].as_str(),
                                tpl.text.as_str(),
                            )
                        }
                        None => ("", "", ""),
                    };
                    match format {
                        OutputFormat::Csv => {
                            write!(out, "{line_no},{id},{kind},")?;
                            write_csv_field(out, text)?;
                            out.write_all(b"\n")?;
                        }
                        OutputFormat::Jsonl => {
                            let row = JsonRow {
                                line: line_no,
                                template_id: id,
                                kind,
                                template: text,
                                time: record.as_ref().and_then(|r| r.time.map(|t| t.to_string())),
                                level: record.as_ref().and_then(|r| r.level.map(|l| l.as_str())),
                                service: record.as_ref().and_then(|r| r.service.as_deref()),
                                message: record.as_ref().map(|r| &*r.message),
                            };
                            serde_json::to_writer(&mut *out, &row)?;
                            out.write_all(b"\n")?;
                        }
                    }
                }
                Ok(())
            },
        )
    }
}

#[derive(Serialize)]
struct JsonRow<'a> {
    line: u64,
    template_id: &'a str,
    kind: &'a str,
    template: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

/// Writes a CSV field, quoted when it must be (RFC 4180).
pub fn write_csv_field(out: &mut dyn Write, text: &str) -> io::Result<()> {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.write_all(b"\"")?;
        out.write_all(text.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(text.as_bytes())
    }
}
