//! Findings as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), so that
//! code-scanning tools show them. A test validates the output against the standard's schema.

use serde_json::{Value, json};

use crate::lint::Finding;
use crate::rules::{Level, Rules};

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Suggestion => "note",
    }
}

/// A file name as a URI reference: relative paths stay relative, and characters a URI
/// cannot hold are percent-encoded.
fn uri(file: &str) -> String {
    if file == "<stdin>" {
        return "stdin".to_string();
    }
    let mut out = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One SARIF log with one run: the rules in use and the findings.
pub fn sarif(findings: &[Finding], rules: &Rules, tool_version: &str) -> Value {
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let rule_list: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": { "text": r.message },
                "help": { "text": r.suggestion },
                "defaultConfiguration": { "level": sarif_level(r.level) },
                "properties": { "source": r.source },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule,
                "level": sarif_level(f.level),
                "message": { "text": format!("{} ({})", f.message, f.suggestion) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.file) },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        }
                    }
                }],
            });
            // The id names the finding across edits elsewhere, so scanners can follow it.
            result["partialFingerprints"] = json!({ "debriefFinding/v1": f.id });
            if let Some(reason) = &f.acknowledged {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": reason,
                }]);
            }
            if let Some(index) = ids.iter().position(|id| *id == f.rule) {
                result["ruleIndex"] = json!(index);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "debrief lint",
                    "version": tool_version,
                    "rules": rule_list,
                }
            },
            // Columns count characters, as the text output's do.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_uri_references() {
        assert_eq!(uri("docs/INC 3.md"), "docs/INC%203.md");
        assert_eq!(uri("<stdin>"), "stdin");
        assert_eq!(uri("café.md"), "caf%C3%A9.md");
    }
}
