//! `debrief lint` as a user runs it: files and stdin, text and JSON, exit statuses, rule
//! files and config, and bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_debrief");

const REVIEW: &str = "---\ntitle: Checkout outage\n---\n\n# Summary\n\n\
The deploy failed to complete at 14:02. Bob failed to check the dashboard.\n\
This was not human error: the CLI accepted the flag without a prompt.\n\n\
```\nhuman error in a code block\n```\n\n\
## Action items\n\n- The team should have a staging copy by May.\n";

fn lint(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .arg("lint")
        .args(args)
        .current_dir(dir)
        // No user config from the machine running the tests.
        .env("XDG_CONFIG_HOME", dir)
        .env("HOME", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run debrief");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_review_with_blame_fails_with_its_findings_and_a_clean_one_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("review.md"), REVIEW).unwrap();
    let out = lint(dir.path(), &["review.md"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].starts_with("review.md:7:45: error failed-to: "),
        "{text}"
    );
    assert!(lines[0].ends_with(')'), "message (suggestion): {text}");

    std::fs::write(
        dir.path().join("clean.md"),
        "# Summary\n\nThe deploy failed to complete.\n",
    )
    .unwrap();
    let out = lint(dir.path(), &["clean.md"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());
}

#[test]
fn json_lists_every_field_and_fail_level_moves_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(
        dir.path(),
        &["--format", "json", "-"],
        Some("Obviously the config was wrong."),
    );
    // A warning alone does not fail at the default level.
    assert_eq!(out.status.code(), Some(0));
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &findings[0];
    assert_eq!(f["file"], "<stdin>");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(1), Some(10))
    );
    assert_eq!(f["rule"], "obviously");
    assert_eq!(f["level"], "warning");
    assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(f["suggestion"].as_str().is_some_and(|m| !m.is_empty()));
    let out = lint(
        dir.path(),
        &["--fail-level", "warning", "-"],
        Some("Obviously the config was wrong."),
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn user_rules_and_config_add_switch_off_and_relevel() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/heroes.yaml"),
        "rules:\n  - id: hero\n    level: error\n    match: '\\bheroic(s|ally)?\\b'\n    message: Heroics hide a system that needs them.\n    suggestion: Say what made heroics necessary.\n    source: team\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lint.yaml"),
        "rules_dir: rules\nrules:\n  obviously: error\n  careless: off\n",
    )
    .unwrap();
    let text = "Sam worked heroically. Obviously it was late. It was a careless change.";
    let out = lint(dir.path(), &["--config", "lint.yaml", "-"], Some(text));
    let got = stdout(&out);
    assert!(got.contains("error hero:"), "{got}");
    assert!(got.contains("error obviously:"), "{got}");
    assert!(!got.contains("careless"), "{got}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_and_input_errors_exit_2_and_print_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.md"), "It was human error.\n").unwrap();
    std::fs::write(dir.path().join("bad.md"), b"It was \xff human error.\n").unwrap();
    for args in [
        vec!["ok.md", "missing.md"],
        vec!["ok.md", "bad.md"],
        vec![],
        vec!["--rules", "nowhere", "ok.md"],
    ] {
        let out = lint(dir.path(), &args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}: nothing linted");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
    std::fs::write(
        dir.path().join("broken.yaml"),
        "rules: [ {id: x, level: error, match: '(' } ]",
    )
    .unwrap();
    let out = lint(dir.path(), &["--config", "broken.yaml", "ok.md"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn plain_text_files_and_suppression_comments() {
    let dir = tempfile::tempdir().unwrap();
    // Indented lines in a .txt file are prose, not a Markdown code block.
    std::fs::write(dir.path().join("notes.txt"), "    It was human error.\n").unwrap();
    let out = lint(dir.path(), &["notes.txt"], None);
    assert!(
        stdout(&out).contains("notes.txt:1:12: error human-error"),
        "{}",
        stdout(&out)
    );
    std::fs::write(
        dir.path().join("quiet.md"),
        "<!-- debrief-lint off human-error -->\n\nIt was human error.\n",
    )
    .unwrap();
    let out = lint(dir.path(), &["quiet.md"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn sarif_output_names_the_rules_and_the_places() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("review.md"), REVIEW).unwrap();
    let out = lint(dir.path(), &["--format", "sarif", "review.md"], None);
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "failed-to");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(7), Some(45))
    );
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "failed-to");
}

#[test]
fn the_built_in_rule_file_is_printed_and_works_as_a_user_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = lint(dir.path(), &["--default-rules"], None);
    assert_eq!(out.status.code(), Some(0));
    let yaml = stdout(&out);
    assert!(yaml.contains("- id: human-error"), "{yaml}");
    // Copied, changed and loaded as a user's rule file, it replaces the built-in rule.
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/mine.yaml"),
        yaml.replacen(
            "- id: human-error\n    level: error",
            "- id: human-error\n    level: suggestion",
            1,
        ),
    )
    .unwrap();
    let out = lint(
        dir.path(),
        &["--rules", "rules", "-"],
        Some("It was human error.\n"),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("suggestion human-error"),
        "{}",
        stdout(&out)
    );
    // A pattern with capitals is refused: patterns meet lower-cased text.
    std::fs::write(
        dir.path().join("rules/mine.yaml"),
        "rules:\n  - id: bob\n    level: error\n    match: 'Bob'\n    message: m\n    suggestion: s\n",
    )
    .unwrap();
    let out = lint(dir.path(), &["--rules", "rules", "-"], Some("Bob.\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lower case"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `debrief lint --default-rules | head`: the reader stopped, nothing went wrong.
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["lint", "--default-rules"])
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run debrief");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
