//! The `debrief` binary as a user runs it: real processes, a real SQLite file, and a real
//! PostgreSQL database when `DEBRIEF_TEST_POSTGRES_URL` is set (CI sets it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{BIN, Env, read_tree};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reviews")
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

// ---- the round trip ----

both!(examples_round_trip_byte_for_byte, |env: &Env| {
    let files = example_files();
    assert!(files.len() >= 3, "the repository ships example reviews");
    let mut args = vec!["review", "import"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = env.ok(&args);
    assert!(
        out.contains(&format!("{} created, 0 updated, 0 unchanged", files.len())),
        "{out}"
    );

    // Each example is already canonical: exporting it gives the file back.
    for f in &files {
        let doc = std::fs::read_to_string(f).unwrap();
        let id = doc
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .expect("examples carry their id");
        assert_eq!(env.ok(&["review", "export", id]), doc, "{}", f.display());
    }

    // Every other kind of record rides along: experiments, pre-mortems, retros with their
    // action items, near-miss reports with their incident, failure bows, problems.
    let others: &[&[&str]] = &[
        &[
            "experiment",
            "new",
            "Kill one orders pod",
            "--kind",
            "chaos",
            "--hypothesis",
            "Orders keep answering",
        ],
        &["experiment", "start", "EXP-1"],
        &[
            "experiment",
            "conclude",
            "EXP-1",
            "--outcome",
            "refuted",
            "--learnings",
            "The probe lags",
        ],
        &["premortem", "new", "EU launch", "--launch", "2026-12-15"],
        &[
            "premortem",
            "add-risk",
            "PM-1",
            "Rate limits",
            "--likelihood",
            "low",
            "--impact",
            "high",
        ],
        &["premortem", "link", "PM-1", "INC-100", "--risk", "1"],
        &[
            "retro",
            "new",
            "Sprint 42",
            "--held",
            "2026-11-20",
            "--about",
            "INC-101",
        ],
        &["retro", "add", "RETRO-1", "stop", "Friday deploys"],
        &["retro", "vote", "RETRO-1", "1"],
        &[
            "retro",
            "close",
            "RETRO-1",
            "--action",
            "1=payments",
            "--due",
            "2099-01-01",
        ],
        &["near-miss", "report", "--what", "Nearly dropped a table"],
        &["near-miss", "promote", "1"],
        &["bow", "add", "The config push that took down search"],
        &["problems"],
    ];
    for args in others {
        env.ok(args);
    }

    // export → import into an empty store → export gives the same bytes.
    let first = env.path("first");
    env.ok(&["export", first.to_str().unwrap()]);
    let other = Env::sqlite();
    other.ok(&["import", first.to_str().unwrap()]);
    let second = other.path("second");
    other.ok(&["export", second.to_str().unwrap()]);
    assert_eq!(read_tree(&first), read_tree(&second));

    // Importing the same directory again changes nothing.
    let again = env.ok(&["import", first.to_str().unwrap()]);
    assert!(
        again.contains(&format!(
            "0 created, 0 updated, {} unchanged",
            files.len() + 1
        )),
        "{again}"
    );
    for kind in [
        "experiments",
        "pre-mortems",
        "retros",
        "near-miss reports",
        "failure bows",
    ] {
        assert!(
            again.contains(&format!("{kind}: 0 created, 0 updated, 1 unchanged")),
            "{again}"
        );
    }
    assert_eq!(read_tree(&first), env.snapshot());
});

both!(a_review_built_from_the_cli_round_trips, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Checkout fails after config push",
        "--severity",
        "SEV2",
        "--service",
        "checkout",
        "--service",
        "payments",
        "--started",
        "2024-03-01T14:00:00Z",
        "--detected",
        "2024-03-01 14:02",
        "--detection",
        "alert",
        "--summary",
        "A config push set a timeout to 0.",
    ]);
    env.ok(&[
        "timeline",
        "add",
        "INC-1",
        "--at",
        "2024-03-01T14:30:00Z",
        "Rolled back",
    ]);
    env.ok(&[
        "timeline",
        "add",
        "INC-1",
        "--at",
        "2024-03-01T14:02:00Z",
        "Alert fires",
        "--known",
        "only checkout looked affected",
    ]);
    env.ok(&[
        "factor",
        "add",
        "INC-1",
        "No schema check on config",
        "--level",
        "process",
        "--category",
        "tooling",
    ]);
    env.ok(&[
        "why",
        "add",
        "INC-1",
        "F1",
        "Why did it ship? Config is not validated like code.",
    ]);
    env.ok(&[
        "lesson",
        "add",
        "INC-1",
        "--kind",
        "went-well",
        "Alert fired in 2 minutes",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Validate config in CI",
        "--kind",
        "prevent",
        "--owner",
        "platform",
        "--due",
        "2024-04-01",
    ]);
    env.ok(&[
        "incident",
        "edit",
        "INC-1",
        "--metric",
        "users_affected=1200",
        "--resolved",
        "2024-03-01T15:10:00Z",
    ]);
    env.ok(&["incident", "status", "INC-1", "resolved"]);

    let shown: serde_json::Value =
        serde_json::from_str(&env.ok(&["incident", "show", "INC-1", "--json"])).unwrap();
    assert_eq!(
        shown["timeline"][0]["text"], "Alert fires",
        "timeline kept in time order"
    );
    assert_eq!(shown["status"], "resolved");
    assert_eq!(
        shown["resolved"], "2024-03-01T15:10:00Z",
        "an existing time is kept"
    );
    assert_eq!(
        shown["mitigated"],
        serde_json::Value::Null,
        "no time is made up on a jump"
    );
    assert_eq!(shown["impact_metrics"]["users_affected"], 1200.0);

    let doc = env.ok(&["review", "export", "INC-1"]);
    let file = env.path("inc1.md");
    std::fs::write(&file, &doc).unwrap();
    let fresh = Env::sqlite();
    fresh.ok(&["review", "import", file.to_str().unwrap()]);
    assert_eq!(fresh.ok(&["review", "export", "INC-1"]), doc);
});

// ---- bad input never changes the store ----

fn seeded() -> Env {
    let env = Env::sqlite();
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Existing",
        "--severity",
        "SEV3",
        "--started",
        "2024-01-01T00:00:00Z",
    ]);
    env.ok(&[
        "action", "add", "1", "Keep me", "--kind", "detect", "--owner", "sre",
    ]);
    env
}

const GOOD: &str =
    "---\nseverity: SEV2\nservices: [api]\n---\n\n# Good review\n\n## Summary\n\nFine.\n";

/// Each bad document, the file:line the error must name, and words it must hold.
#[test]
fn bad_documents_are_refused_with_file_line_and_reason_and_change_nothing() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("broken-front-matter.md", b"---\nseverity: SEV2\n# no closing line\n".to_vec(), ":1: the front matter opened here with '---' is never closed"),
        ("yaml-syntax.md", b"---\nseverity: SEV2\nservices: [api, web\n---\n# T\n".to_vec(), ":4: front matter:"),
        ("unknown-field.md", b"---\nseverity: SEV2\nowner: bob\n---\n# T\n".to_vec(), ":3: front matter: unknown field `owner`"),
        ("bad-date.md", b"---\nseverity: SEV2\nstarted: 2024-02-31T10:00:00Z\n---\n# T\n".to_vec(), ":3: front matter: invalid time \"2024-02-31T10:00:00Z\""),
        ("bad-due.md", b"---\nseverity: SEV2\n---\n# T\n## Action items\n- [ ] Fix\n  - kind: prevent\n  - due: soon\n".to_vec(), ":8: action \"Fix\": \"soon\" is not a date"),
        ("not-utf8.md", b"---\nseverity: SEV2\n---\n# Caf\xe9 down\n".to_vec(), ":4: invalid UTF-8 at column 6 (byte 0xe9)"),
        ("binary.md", vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0], ":1: "),
    ];
    for (name, bytes, want) in cases {
        let env = seeded();
        let before = env.snapshot();
        let path = env.path(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = env.fails(&["review", "import", path.to_str().unwrap()]);
        assert!(err.contains(&format!("{name}{want}")), "{name}: {err}");
        assert!(err.contains("nothing was imported"), "{name}: {err}");
        assert_eq!(env.snapshot(), before, "{name} changed the store");
    }
}

#[test]
fn a_50_mb_file_is_refused_without_reading_it_all() {
    let env = seeded();
    let before = env.snapshot();
    let path = env.path("huge.md");
    let mut text = String::from(GOOD);
    let line = "All work and no play makes a review very long indeed. ".repeat(20) + "\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&line);
    }
    std::fs::write(&path, text).unwrap();
    let err = env.fails(&["review", "import", path.to_str().unwrap()]);
    assert!(err.contains("huge.md: file is larger than 4 MiB"), "{err}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn one_bad_file_in_a_batch_imports_nothing() {
    let env = seeded();
    let before = env.snapshot();
    let good = env.path("good.md");
    std::fs::write(&good, GOOD).unwrap();
    let bad = env.path("bad.md");
    std::fs::write(&bad, "---\nseverity: SEV9\n---\n# T\n").unwrap();
    let also_bad = env.path("also-bad.md");
    std::fs::write(&also_bad, "no front matter\n").unwrap();
    let err = env.fails(&[
        "review",
        "import",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        also_bad.to_str().unwrap(),
    ]);
    assert!(
        err.contains("bad.md:2: front matter: unknown severity \"SEV9\""),
        "{err}"
    );
    assert!(
        err.contains("also-bad.md:1: the document must start with front matter"),
        "{err}"
    );
    assert!(
        err.contains("2 of 3 files could not be read; nothing was imported"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_conflict_found_while_writing_rolls_the_whole_import_back() {
    let env = seeded();
    let before = env.snapshot();
    // Both parse, but the second claims action A-1, which belongs to INC-1.
    let first = env.path("first.md");
    std::fs::write(&first, GOOD).unwrap();
    let thief = env.path("thief.md");
    std::fs::write(&thief, "---\nid: INC-5\nseverity: SEV2\n---\n# Thief\n## Action items\n- [ ] A-1: Mine now\n  - kind: prevent\n").unwrap();
    let err = env.fails(&[
        "review",
        "import",
        first.to_str().unwrap(),
        thief.to_str().unwrap(),
    ]);
    assert!(
        err.contains("action item A-1 belongs to INC-1, not INC-5"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before, "the first file was not kept either");
}

#[test]
fn importing_over_a_different_incident_needs_replace() {
    let env = seeded();
    let before = env.snapshot();
    let other = env.path("other.md");
    std::fs::write(
        &other,
        "---\nid: INC-1\nseverity: SEV1\n---\n# Someone else's INC-1\n",
    )
    .unwrap();
    let err = env.fails(&["review", "import", other.to_str().unwrap()]);
    assert!(
        err.contains("INC-1 in this store is \"Existing\", not \"Someone else's INC-1\""),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
    env.ok(&["review", "import", "--replace", other.to_str().unwrap()]);
    assert!(
        env.ok(&["incident", "show", "1"])
            .contains("Someone else's INC-1")
    );
}

#[test]
fn skip_existing_imports_only_what_the_store_lacks() {
    let env = seeded();
    let before = env.snapshot();
    let other = env.path("other.md");
    std::fs::write(
        &other,
        "---\nid: INC-1\nseverity: SEV1\n---\n# Someone else's INC-1\n",
    )
    .unwrap();
    let new = env.path("new.md");
    std::fs::write(&new, "---\nid: INC-40\nseverity: SEV3\n---\n# A new one\n").unwrap();
    let out = env.run(&[
        "review",
        "import",
        "--skip-existing",
        other.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("kept INC-1 as stored"),
        "{out:?}"
    );
    assert_eq!(env.snapshot(), before, "the stored INC-1 is untouched");
    let done = env.ok(&[
        "review",
        "import",
        "--skip-existing",
        other.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert!(done.contains("created INC-40"), "{done}");
    assert!(env.ok(&["incident", "show", "1"]).contains("Existing"));
    // Twice is the same as once.
    let again = env.ok(&["review", "import", "--skip-existing", new.to_str().unwrap()]);
    assert!(again.contains("0 created, 0 updated"), "{again}");
}

#[test]
fn bad_cli_values_say_what_is_expected() {
    let env = seeded();
    let before = env.snapshot();
    let cases: &[(&[&str], &str)] = &[
        (
            &["incident", "new", "--title", "x", "--severity", "SEV9"],
            "unknown severity \"SEV9\" (expected one of: SEV1, SEV2, SEV3, SEV4, SEV5)",
        ),
        (
            &[
                "incident",
                "new",
                "--title",
                "x",
                "--severity",
                "SEV2",
                "--started",
                "last tuesday",
            ],
            "--started: invalid time \"last tuesday\"",
        ),
        (
            &[
                "incident",
                "edit",
                "1",
                "--resolved",
                "2023-01-01T00:00:00Z",
            ],
            "resolved (2023-01-01T00:00:00Z) is before started (2024-01-01T00:00:00Z)",
        ),
        (
            &[
                "action",
                "add",
                "1",
                "x",
                "--kind",
                "prevent",
                "--due",
                "31/12/2024",
            ],
            "--due: invalid date \"31/12/2024\"",
        ),
        (
            &["why", "add", "1", "F3", "because"],
            "INC-1 has no factor F3",
        ),
        (&["incident", "show", "INC-42"], "incident INC-42 not found"),
        (&["action", "done", "A-9"], "action item A-9 not found"),
        (&["incident", "status", "1", "closed"], ""),
        (
            &["incident", "status", "1", "open"],
            "status would move back from closed to open; pass --reopen",
        ),
        (
            &["incident", "show", "ticket-4"],
            "invalid incident id \"ticket-4\"",
        ),
    ];
    for (args, want) in cases {
        let out = env.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        if want.is_empty() {
            assert!(out.status.success(), "{args:?}: {err}");
            continue;
        }
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // Only the one valid status change went through.
    let after = env.snapshot();
    assert_ne!(after, before);
    assert!(after["reviews/INC-1.md"].contains("status: closed"));
}

// ---- lists, filters, JSON ----

both!(lists_filter_and_speak_json, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Old api",
        "--severity",
        "SEV3",
        "--service",
        "api",
        "--started",
        "2024-01-01T00:00:00Z",
    ]);
    env.ok(&[
        "incident",
        "new",
        "--title",
        "New checkout",
        "--severity",
        "SEV1",
        "--service",
        "checkout",
        "--started",
        "2024-06-01T00:00:00Z",
    ]);
    env.ok(&[
        "action",
        "add",
        "1",
        "Late thing",
        "--kind",
        "detect",
        "--owner",
        "sre",
        "--due",
        "2024-02-01",
    ]);
    env.ok(&[
        "action",
        "add",
        "2",
        "Future thing",
        "--kind",
        "prevent",
        "--owner",
        "web",
        "--due",
        "+30d",
    ]);
    env.ok(&[
        "incident",
        "status",
        "1",
        "resolved",
        "--at",
        "2024-01-01T02:00:00Z",
    ]);

    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = args.to_vec();
        full.push("--json");
        let v: serde_json::Value = serde_json::from_str(&env.ok(&full)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&["incident", "list"]), ["INC-2", "INC-1"]);
    assert_eq!(
        ids(&["incident", "list", "--status", "resolved"]),
        ["INC-1"]
    );
    assert_eq!(ids(&["incident", "list", "--severity", "SEV1"]), ["INC-2"]);
    assert_eq!(ids(&["incident", "list", "--service", "api"]), ["INC-1"]);
    assert_eq!(
        ids(&["incident", "list", "--since", "2024-03-01"]),
        ["INC-2"]
    );
    assert_eq!(ids(&["action", "list", "--overdue"]), ["A-1"]);
    assert_eq!(ids(&["action", "list", "--owner", "web"]), ["A-2"]);
    env.ok(&["action", "done", "A-1"]);
    assert_eq!(ids(&["action", "list"]), ["A-2"]);
    assert_eq!(ids(&["action", "list", "--all"]), ["A-2", "A-1"]);

    let table = env.ok(&["incident", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("TITLE"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("INC-2") && lines[1].contains("New checkout"),
        "{table}"
    );
});

// ---- living in the CLI ----

#[test]
fn two_processes_writing_at_once_both_succeed() {
    let env = Env::sqlite();
    env.ok(&["incident", "new", "--title", "Shared", "--severity", "SEV3"]);
    let spawn = |who: &str| {
        let db = env.database.clone();
        let who = who.to_string();
        std::thread::spawn(move || {
            for n in 0..10 {
                let out = Command::new(BIN)
                    .args([
                        "timeline",
                        "add",
                        "1",
                        "--at",
                        "2024-01-01T00:00:00Z",
                        &format!("{who} {n}"),
                    ])
                    .env("DEBRIEF_DATABASE", &db)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{who} {n}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        })
    };
    let a = spawn("a");
    let b = spawn("b");
    a.join().unwrap();
    b.join().unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["incident", "show", "1", "--json"])).unwrap();
    assert_eq!(
        v["timeline"].as_array().unwrap().len(),
        20,
        "no write was lost"
    );
}

#[test]
fn edit_opens_the_review_in_the_editor_and_keeps_a_bad_edit() {
    let env = seeded();
    let script = env.path("editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i 's/^# Existing$/# Renamed in the editor/' \"$1\"\n",
    )
    .unwrap();
    let out = env.run_with(
        &["incident", "edit", "1"],
        &[("EDITOR", &format!("sh {}", script.display()))],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        env.ok(&["incident", "show", "1"])
            .contains("Renamed in the editor")
    );

    let before = env.snapshot();
    let broken = env.path("broken.sh");
    std::fs::write(
        &broken,
        "#!/bin/sh\nsed -i 's/^severity: SEV3$/severity: SEV0/' \"$1\"\n",
    )
    .unwrap();
    let out = env.run_with(
        &["incident", "edit", "1"],
        &[("EDITOR", &format!("sh {}", broken.display()))],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("unknown severity \"SEV0\"") && err.contains("your edit is kept in"),
        "{err}"
    );
    let kept = err
        .split("your edit is kept in ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(
        std::fs::read_to_string(kept)
            .unwrap()
            .contains("severity: SEV0")
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn the_template_imports_as_a_new_incident() {
    let env = Env::sqlite();
    let template = env.ok(&["review", "template"]);
    let path = env.path("new.md");
    std::fs::write(&path, template).unwrap();
    let out = env.ok(&["review", "import", path.to_str().unwrap()]);
    assert!(out.contains("created INC-1 from"), "{out}");
}

#[test]
fn every_command_explains_itself_with_an_example() {
    let commands: &[&[&str]] = &[
        &[],
        &["incident", "new"],
        &["incident", "list"],
        &["incident", "show"],
        &["incident", "edit"],
        &["incident", "status"],
        &["timeline", "add"],
        &["factor", "add"],
        &["why", "add"],
        &["lesson", "add"],
        &["action", "add"],
        &["action", "list"],
        &["action", "done"],
        &["review", "export"],
        &["review", "import"],
        &["review", "template"],
        &["export"],
        &["import"],
        &["retro", "new"],
        &["retro", "add"],
        &["retro", "vote"],
        &["retro", "close"],
        &["retro", "link"],
        &["retro", "edit"],
        &["retro", "remove"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let out = Command::new(BIN).args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}");
        assert!(text.contains("Example"), "{args:?} has no example:\n{text}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = seeded();
    let mut child = Command::new(BIN)
        .args(["review", "template"])
        .env("DEBRIEF_DATABASE", &env.database)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

both!(
    a_premortem_through_a_launch_counts_what_it_foresaw,
    |env: &Env| {
        let out = env.ok(&[
            "premortem",
            "new",
            "EU checkout launch",
            "--launch",
            "2026-12-15",
        ]);
        assert!(out.starts_with("PM-1 started"), "{out}");
        env.ok(&[
            "premortem",
            "add-risk",
            "PM-1",
            "The payment provider rate-limits the new region",
            "--likelihood",
            "medium",
            "--impact",
            "high",
            "--mitigation",
            "Ask for a raised limit; queue and retry",
            "--owner",
            "payments",
        ]);
        env.ok(&[
            "premortem",
            "add-risk",
            "PM-1",
            "VAT rules differ by country",
            "--likelihood",
            "high",
            "--impact",
            "medium",
        ]);
        let err = env.fails(&["premortem", "mitigated", "PM-1", "2"]);
        assert!(err.contains("says no mitigation"), "{err}");
        env.ok(&["premortem", "mitigated", "PM-1", "1"]);
        // The launch: one incident a risk foresaw, one nobody did.
        for title in [
            "Payments throttled in the new region",
            "Address form rejects Irish postcodes",
        ] {
            env.ok(&[
                "incident",
                "new",
                "--title",
                title,
                "--severity",
                "SEV2",
                "--started",
                "2026-12-16 10:00",
            ]);
        }
        env.ok(&["premortem", "link", "PM-1", "INC-1", "--risk", "1"]);
        let out = env.ok(&["premortem", "link", "PM-1", "INC-2"]);
        assert!(
            out.contains("as a surprise; foresight 50% (1 foreseen, 1 surprises)"),
            "{out}"
        );
        let err = env.fails(&["premortem", "link", "PM-1", "INC-2", "--risk", "3"]);
        assert!(err.contains("has 2 risks"), "{err}");
        let err = env.fails(&["premortem", "link", "PM-1", "INC-9"]);
        assert!(err.contains("INC-9 not found"), "{err}");
        let shown = env.ok(&["premortem", "show", "PM-1"]);
        assert!(
            shown.contains(
                "2 risks (1 mitigated); incidents: 1 foreseen, 1 surprises; foresight 50%"
            ),
            "{shown}"
        );
        assert!(shown.contains("1. The payment provider rate-limits the new region (likelihood medium, impact high) · mitigated · realised by INC-1"), "{shown}");
        assert!(
            shown.contains("Surprises (no risk foresaw them): INC-2"),
            "{shown}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["premortem", "show", "PM-1", "--json"])).unwrap();
        assert_eq!(json["foresight"]["rate"], 0.5);
        // The figure feeds the metrics.
        let m: serde_json::Value =
            serde_json::from_str(&env.ok(&["metrics", "--format", "json"])).unwrap();
        assert_eq!(m[0]["premortem_foresight"], 0.5, "{m}");
        let by_month: serde_json::Value =
            serde_json::from_str(&env.ok(&["metrics", "--by", "month", "--format", "json"]))
                .unwrap();
        let dec = by_month
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == "2026-12")
            .unwrap();
        assert_eq!(dec["premortem_foresight"], 0.5);
        // Export and import keep it.
        let dump = env.dir.path().join("dump");
        let out = env.ok(&["export", dump.to_str().unwrap()]);
        assert!(
            out.contains("exported 2 reviews and 1 pre-mortem to"),
            "{out}"
        );
        let again = Env::sqlite();
        let out = again.ok(&["import", dump.to_str().unwrap()]);
        assert!(out.contains("pre-mortems: 1 created"), "{out}");
        assert_eq!(
            again.ok(&["premortem", "show", "PM-1", "--json"]),
            env.ok(&["premortem", "show", "PM-1", "--json"])
        );
    }
);

both!(
    a_retro_is_held_voted_and_closed_into_owned_action_items,
    |env: &Env| {
        env.ok(&[
            "incident",
            "new",
            "--title",
            "Ledger pool exhausted",
            "--severity",
            "SEV2",
        ]);
        let out = env.ok(&[
            "retro",
            "new",
            "Payments, sprint 42",
            "--team",
            "payments",
            "--held",
            "2026-11-20",
            "--about",
            "INC-1",
        ]);
        assert!(out.starts_with("RETRO-1 opened"), "{out}");
        let err = env.fails(&["retro", "new", "x", "--about", "INC-9"]);
        assert!(err.contains("INC-9 not found"), "{err}");
        for (kind, text) in [
            ("stop", "Deploying on Friday afternoons"),
            ("start", "Pairing on runbook changes"),
            ("keep", "Monthly game days"),
        ] {
            env.ok(&["retro", "add", "RETRO-1", kind, text]);
        }
        let err = env.fails(&["retro", "add", "RETRO-1", "sideways", "x"]);
        assert!(
            err.contains("expected one of: start, stop, continue"),
            "{err}"
        );
        env.ok(&["retro", "add", "RETRO-1", "start", "Something said twice"]);
        let out = env.ok(&["retro", "remove", "RETRO-1", "4"]);
        assert_eq!(out.trim(), "RETRO-1: item 4 (Something said twice) removed");
        env.ok(&[
            "retro",
            "edit",
            "RETRO-1",
            "3",
            "--text",
            "Monthly game days",
        ]);
        let err = env.fails(&["retro", "edit", "RETRO-1", "3"]);
        assert!(err.contains("give --text or --kind"), "{err}");
        let out = env.ok(&["retro", "vote", "RETRO-1", "2", "2", "2", "1"]);
        assert_eq!(out.trim(), "RETRO-1: item 1: 1 vote, item 2: 3 votes");
        // A vote for an item that is not there changes nothing, not even the others.
        let err = env.fails(&["retro", "vote", "RETRO-1", "1", "9"]);
        assert!(err.contains("has no item 9 (it has 3)"), "{err}");
        let err = env.fails(&["retro", "vote", "RETRO-1", "3", "--remove"]);
        assert!(err.contains("has 0 votes"), "{err}");
        // Closing needs a choice; it lists the items by votes.
        let err = env.fails(&["retro", "close", "RETRO-1"]);
        assert!(
            err.contains("--action ITEM=TEAM, or close with --none"),
            "{err}"
        );
        assert!(
            err.contains("2. Pairing on runbook changes (3 votes)"),
            "{err}"
        );
        let err = env.fails(&["retro", "close", "RETRO-1", "--action", "2"]);
        assert!(err.contains("give ITEM=TEAM"), "{err}");
        let err = env.fails(&["retro", "close", "RETRO-1", "--action", "2="]);
        assert!(err.contains("owner of item 2"), "{err}");
        let out = env.ok(&[
            "retro",
            "close",
            "RETRO-1",
            "--action",
            "2=sre",
            "--action",
            "1=payments",
            "--due",
            "+30d",
        ]);
        assert!(
            out.contains("RETRO-1 closed; 2 action items on the board"),
            "{out}"
        );
        assert!(
            out.contains("A-1 Start: Pairing on runbook changes (owner sre)"),
            "{out}"
        );
        let err = env.fails(&["retro", "vote", "RETRO-1", "3"]);
        assert!(err.contains("was closed on"), "{err}");
        let err = env.fails(&["retro", "remove", "RETRO-1", "3"]);
        assert!(err.contains("was closed on"), "{err}");
        let out = env.ok(&["retro", "link", "RETRO-1", "INC-1", "--remove"]);
        assert_eq!(out.trim(), "RETRO-1 looks back on no incident");
        let err = env.fails(&["retro", "link", "RETRO-1", "INC-4"]);
        assert!(err.contains("INC-4 not found"), "{err}");
        let out = env.ok(&["retro", "link", "RETRO-1", "INC-1"]);
        assert_eq!(out.trim(), "RETRO-1 looks back on INC-1");
        let shown = env.ok(&["retro", "show", "RETRO-1"]);
        assert!(shown.contains("2 action items (2 open)"), "{shown}");
        assert!(shown.contains("looks back on INC-1"), "{shown}");
        assert!(
            shown.contains(
                "  2. [start] Pairing on runbook changes · 3 votes\n     → A-1 (open, owner sre"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("  3. [continue] Monthly game days · 0 votes\n"),
            "{shown}"
        );
        // The items are on the board, and are closed like any other.
        let board = env.ok(&["action", "list"]);
        assert!(
            board.contains("A-2  RETRO-1  open    process  payments"),
            "{board}"
        );
        let out = env.ok(&["action", "done", "A-1", "--worked", "yes"]);
        assert!(
            out.contains("A-1 is done; RETRO-1 has 1 open action item"),
            "{out}"
        );
        let m: serde_json::Value =
            serde_json::from_str(&env.ok(&["metrics", "--format", "json"])).unwrap();
        assert_eq!(m[0]["retros_held"], 1, "{m}");
        assert_eq!(m[0]["retro_actions"], 2, "{m}");
        assert_eq!(m[0]["retro_action_closure"], 0.5, "{m}");
        let found = env.ok(&["search", "runbook"]);
        assert!(
            found.contains(
                "retros:\nRETRO-1  2026-11-20  3 items, 2 action items  Payments, sprint 42"
            ),
            "{found}"
        );
        let digest = env.ok(&["digest", "--since", "2026-11-01"]);
        assert!(digest.contains("## Retrospectives"), "{digest}");
        assert!(
            digest.contains("Start: Pairing on runbook changes (owner sre, done)"),
            "{digest}"
        );
        // Export and import keep the retro with its action items and their numbers.
        let dump = env.dir.path().join("dump");
        let out = env.ok(&["export", dump.to_str().unwrap()]);
        assert!(out.contains("exported 1 review and 1 retro to"), "{out}");
        let again = Env::sqlite();
        let out = again.ok(&["import", dump.to_str().unwrap()]);
        assert!(out.contains("retros: 1 created"), "{out}");
        assert_eq!(
            again.ok(&["retro", "show", "RETRO-1", "--json"]),
            env.ok(&["retro", "show", "RETRO-1", "--json"])
        );
        assert_eq!(again.ok(&["action", "list"]), env.ok(&["action", "list"]));
    }
);

both!(
    a_near_miss_is_reported_from_the_cli_and_promoted_or_put_on_the_agenda,
    |env: &Env| {
        let out = env.ok(&[
            "near-miss",
            "report",
            "--what",
            "Nearly ran the migration against prod",
            "--made-possible",
            "Both shells had the same prompt",
            "--stopped-it",
            "A colleague asked which host",
        ]);
        assert!(out.contains("near-miss report 1 kept"), "{out}");
        env.ok(&[
            "near-miss",
            "report",
            "--what",
            "A deploy almost went to the wrong region",
        ]);
        let err = env.fails(&["near-miss", "report", "--what", "  "]);
        assert!(err.contains("say what happened"), "{err}");
        let list = env.ok(&["near-miss", "list"]);
        assert!(list.contains("Nearly ran the migration"), "{list}");
        let out = env.ok(&["near-miss", "promote", "1"]);
        assert!(out.contains("is INC-1, marked as a near miss"), "{out}");
        let err = env.fails(&["near-miss", "promote", "1"]);
        assert!(err.contains("is INC-1 already"), "{err}");
        let doc = env.ok(&["review", "export", "INC-1"]);
        assert!(
            doc.contains("near_miss: true")
                && doc.contains("What stopped it: A colleague asked which host"),
            "{doc}"
        );
        env.ok(&["near-miss", "bow", "2"]);
        let bows = env.ok(&["bow", "list"]);
        assert!(
            bows.contains("Near miss (report 2): A deploy almost went"),
            "{bows}"
        );
        let digest = env.ok(&["digest"]);
        assert!(
            digest.contains("Volunteered: Near miss (report 2)"),
            "{digest}"
        );
        let found = env.ok(&["search", "prompts"]);
        assert!(found.contains("near-miss reports:\nreport 1  "), "{found}");
        assert!(
            found.contains("Nearly ran the migration against prod"),
            "{found}"
        );
        let err = env.fails(&["near-miss", "promote", "7"]);
        assert!(err.contains("near-miss report 7 not found"), "{err}");
        let list = env.ok(&["near-miss", "list"]);
        assert!(
            list.contains("INC-1     Nearly ran the migration"),
            "{list}"
        );
        // Export and import keep the reports, their numbers and the incident each became.
        let dump = env.dir.path().join("dump");
        let out = env.ok(&["export", dump.to_str().unwrap()]);
        assert!(
            out.contains("exported 1 review, 2 near-miss reports and 1 failure bow to"),
            "{out}"
        );
        let again = Env::sqlite();
        let out = again.ok(&["import", dump.to_str().unwrap()]);
        assert!(out.contains("near-miss reports: 2 created"), "{out}");
        assert!(out.contains("failure bows: 1 created"), "{out}");
        assert_eq!(again.ok(&["bow", "list"]), env.ok(&["bow", "list"]));
        assert_eq!(
            again.ok(&["near-miss", "list", "--json"]),
            env.ok(&["near-miss", "list", "--json"])
        );
        let out = again.ok(&["import", dump.to_str().unwrap()]);
        assert!(
            out.contains("near-miss reports: 0 created, 0 updated, 2 unchanged"),
            "{out}"
        );
        let err = again.fails(&["near-miss", "promote", "1"]);
        assert!(err.contains("is INC-1 already"), "{err}");
        // A broken report in an export stops the import before anything is written.
        std::fs::write(
            dump.join("near-misses.json"),
            r#"[{"id": 3, "reported_on": "2026-01-01", "what": " "}]"#,
        )
        .unwrap();
        let third = Env::sqlite();
        let err = third.fails(&["import", dump.to_str().unwrap()]);
        assert!(
            err.contains("near-miss report 3: say what happened"),
            "{err}"
        );
        assert!(third.ok(&["incident", "list"]).trim().is_empty());
    }
);
