//! SARIF output validates against the OASIS SARIF 2.1.0 JSON schema (a copy beside this
//! test, with its license), for findings of every level, in odd file names and on stdin.

use debrief_lint::{Rules, lint_markdown, sarif::sarif};

const SCHEMA: &str = include_str!("data/sarif-schema-2.1.0.json");

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let rules = Rules::defaults();
    let text = "# Review\n\nIt was human error. Obviously the flag was wrong.\n\nThe root cause was the cache.\n";
    let mut findings = lint_markdown(text, &rules, "docs/INC 3 (café).md");
    findings.extend(lint_markdown("Bob failed to check.", &rules, "<stdin>"));
    let levels: std::collections::BTreeSet<_> = findings.iter().map(|f| f.level).collect();
    assert_eq!(
        levels.len(),
        3,
        "every level is in the sample: {findings:?}"
    );
    let log = sarif(&findings, &rules, "0.1.0");
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        log["runs"][0]["results"].as_array().unwrap().len(),
        findings.len()
    );
    // And the validator does reject what is not SARIF.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
}
