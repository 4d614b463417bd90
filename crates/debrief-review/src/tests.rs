use debrief_core::*;
use proptest::prelude::*;

use super::*;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn full() -> Incident {
    let mut i = Incident::new("Checkout fails after a config push", Severity::Sev2);
    i.id = Some(IncidentId(12));
    i.status = Status::Resolved;
    i.services = vec!["checkout".into(), "payments-api".into()];
    i.started = Some(ts("2024-03-01T14:00:00Z"));
    i.detected = Some(ts("2024-03-01T14:02:00Z"));
    i.mitigated = Some(ts("2024-03-01T14:30:00Z"));
    i.resolved = Some(ts("2024-03-01T15:10:00Z"));
    i.detection = Some(Detection::Alert);
    i.summary = "A config push set the payment timeout to 0.\n\n```\n## not a heading\n```".into();
    i.impact = "Checkout failed for **40 minutes**.".into();
    i.impact_metrics.insert("users_affected".into(), 1200.0);
    i.impact_metrics.insert("revenue_lost_eur".into(), 3100.5);
    i.timeline = vec![
        TimelineEntry {
            at: ts("2024-03-01T14:02:00Z"),
            text: "Error-rate alert fires for checkout.".into(),
            known: "Only checkout looked affected.".into(),
        },
        TimelineEntry {
            at: ts("2024-03-01T14:30:00Z"),
            text: "Config rolled back — errors stop.".into(),
            known: String::new(),
        },
    ];
    i.factors = vec![
        Factor {
            title: "The pipeline does not validate config against its schema".into(),
            level: FactorLevel::Process,
            category: FactorCategory::Tooling,
            description:
                "Config changes skip the checks code changes get.\n\n##### Detail\n\nMore.".into(),
            whys: vec![
                "Why did a zero timeout reach production? Nothing checked it.".into(),
                "Why did nothing check it? Config was not seen as code.".into(),
            ],
        },
        Factor {
            title: "Two teams own the payment config".into(),
            level: FactorLevel::Organization,
            category: FactorCategory::Management,
            description: String::new(),
            whys: vec![],
        },
    ];
    i.lessons = vec![
        Lesson {
            kind: LessonKind::WentWell,
            text: "The alert fired within two minutes.".into(),
        },
        Lesson {
            kind: LessonKind::Lucky,
            text: "It happened at low traffic.".into(),
        },
    ];
    i.actions = vec![
        ActionItem {
            id: Some(ActionId(3)),
            title: "Validate config against its schema before rollout".into(),
            kind: ActionKind::Prevent,
            owner: Some("platform".into()),
            due: Some("2024-04-01".parse().unwrap()),
            status: ActionStatus::InProgress,
            link: Some("https://tracker.example/PLAT-1".into()),
            opened: Some("2024-03-02".parse().unwrap()),
            closed: None,
            worked: None,
        },
        ActionItem {
            id: Some(ActionId(4)),
            title: "Alert on checkout error rate per region".into(),
            kind: ActionKind::Detect,
            owner: None,
            due: None,
            status: ActionStatus::Done,
            link: None,
            opened: Some("2024-03-02".parse().unwrap()),
            closed: Some("2024-03-09".parse().unwrap()),
            worked: Some(false),
        },
    ];
    i.notes = "See also the payments runbook.".into();
    i.acknowledged = vec![Acknowledgement {
        finding: "human-error-1a2b3c4d".into(),
        reason: "quoted from the customer's ticket".into(),
        at: ts("2024-03-05T10:00:00Z"),
    }];
    i
}

#[test]
fn a_full_review_round_trips() {
    let i = full();
    i.validate().unwrap();
    let doc = render(&i);
    let back = parse(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
    assert_eq!(back, i);
    assert_eq!(render(&back), doc);
}

#[test]
fn the_document_reads_as_a_person_would_write_it() {
    let doc = render(&full());
    for expected in [
        "---\nid: INC-12\ntype: operational\n",
        "severity: SEV2\n",
        "\n# Checkout fails after a config push\n\n## Summary\n",
        "- 2024-03-01T14:02:00Z — Error-rate alert fires for checkout.\n  - known: Only checkout looked affected.\n",
        "### F1. The pipeline does not validate config against its schema\n\n- level: process\n- category: tooling\n",
        "#### Why-chain\n\n1. Why did a zero timeout reach production? Nothing checked it.\n2. ",
        "### What went well\n\n- The alert fired within two minutes.\n",
        "- [ ] A-3: Validate config against its schema before rollout\n  - kind: prevent\n  - owner: platform\n  - due: 2024-04-01\n  - status: in-progress\n",
        "- [x] A-4: Alert on checkout error rate per region\n",
    ] {
        assert!(doc.contains(expected), "missing {expected:?} in\n{doc}");
    }
    assert!(doc.ends_with("payments runbook.\n"));
}

#[test]
fn hand_written_variants_are_accepted() {
    let doc = "\u{feff}---\r\nseverity: sev3\r\nservices: [api]\r\nimpact:\r\n  minutes: 29\r\n---\r\n\r\n# Slow API\r\n\r\n## Timeline\r\n\r\n\
        * 2024-03-01 14:02 - First alert\r\n  that wraps onto a second line\r\n  - Known: nothing yet\r\n\r\n\
        ## Follow-up actions\r\n\r\n- [X] Add an index\r\n  - kind: Prevent\r\n  - owner: db-team\r\n";
    let i = parse(doc).unwrap();
    assert_eq!(i.title, "Slow API");
    assert_eq!(i.severity, Severity::Sev3);
    assert_eq!(
        i.timeline[0].text,
        "First alert that wraps onto a second line"
    );
    assert_eq!(i.timeline[0].known, "nothing yet");
    assert_eq!(i.timeline[0].at, ts("2024-03-01T14:02:00Z"));
    assert_eq!(i.actions[0].status, ActionStatus::Done);
    assert_eq!(i.actions[0].id, None);
    assert_eq!(i.impact_metrics["minutes"], 29.0);
    // And once written out, it is canonical, whole numbers written whole.
    let doc2 = render(&i);
    assert!(doc2.contains("impact:\n  minutes: 29\n"), "{doc2}");
    assert!(doc2.contains("\n## Action items\n"), "{doc2}");
    assert_eq!(render(&parse(&doc2).unwrap()), doc2);
}

#[test]
fn the_template_is_a_valid_review() {
    let t = template();
    let i = parse(&t).unwrap_or_else(|e| panic!("{e}\n{t}"));
    assert_eq!(i.title, "What failed, in a few words");
    assert!(i.timeline.is_empty() && i.factors.is_empty() && i.actions.is_empty());
}

/// Each case: a document, the line the error must name, and words the message must hold.
#[test]
fn bad_documents_name_the_line_and_the_reason() {
    let ok_front = "---\nseverity: SEV2\n---\n\n# T\n\n";
    let cases: Vec<(String, usize, &str)> = vec![
        ("# no front matter\n".into(), 1, "must start with front matter"),
        ("---\nseverity: SEV2\n\n# T\n".into(), 1, "never closed"),
        ("---\nseverity: SEV2\nservices: [a, b\n---\n# T\n".into(), 4, "front matter"),
        ("---\nseverity: SEV2\nsevrity: SEV1\n---\n# T\n".into(), 3, "unknown field `sevrity`"),
        ("---\nseverity: SEV9\n---\n# T\n".into(), 2, "unknown severity \"SEV9\""),
        ("---\nstatus: open\n---\n# T\n".into(), 2, "missing field `severity`"),
        ("---\nseverity: SEV2\nstarted: 2024-02-30T10:00:00Z\n---\n# T\n".into(), 3, "invalid time"),
        (
            "---\nseverity: SEV2\nstarted: 2024-03-01T10:00:00Z\nresolved: 2024-03-01T09:00:00Z\n---\n# T\n".into(),
            4,
            "resolved (2024-03-01T09:00:00Z) is before started",
        ),
        ("---\nseverity: SEV2\n---\n\nNo title\n".into(), 5, "expected the title"),
        (format!("{ok_front}## Postmortem\n"), 7, "unknown section \"Postmortem\""),
        (format!("{ok_front}## Summary\n\n## Summary\n"), 9, "appears twice"),
        (format!("{ok_front}## Timeline\n\n- yesterday — it broke\n"), 9, "invalid time"),
        (format!("{ok_front}## Timeline\n\nit broke\n"), 9, "expected timeline entry as a list item"),
        (
            format!("{ok_front}## Contributing factors\n\n### F1. Thing\n\n- level: process\n"),
            9,
            "has no '- category: …' line",
        ),
        (
            format!("{ok_front}## Contributing factors\n\n### F1. Thing\n\n- level: cosmic\n- category: tooling\n"),
            11,
            "unknown factor level \"cosmic\"",
        ),
        (format!("{ok_front}## Lessons\n\n### Things\n\n- x\n"), 9, "unknown lessons heading"),
        (
            format!("{ok_front}## Action items\n\n- [ ] Fix it\n  - kind: prevent\n  - due: next week\n"),
            11,
            "\"next week\" is not a date",
        ),
        (format!("{ok_front}## Action items\n\n- [ ] Fix it\n  - owner: a\n"), 9, "has no '  - kind: …' field"),
        (
            format!("{ok_front}## Action items\n\n- [x] A-2: Fix it\n  - kind: prevent\n  - status: open\n"),
            9,
            "the box is ticked but its status is open",
        ),
        (
            format!("{ok_front}## Action items\n\n- [ ] Fix it\n  - kind: prevent\n  - priority: high\n"),
            11,
            "unknown field \"priority\"",
        ),
        (
            format!("{ok_front}## Action items\n\n- [x] Fix it\n  - kind: prevent\n  - worked: maybe\n"),
            11,
            "worked is \"maybe\"; write yes or no",
        ),
        (format!("{ok_front}## Summary\n\ntext\n# Another title\n"), 10, "a second '# ' title"),
        (format!("{ok_front}## Summary\n\nbell \u{7} here\n"), 9, "control character at column 6"),
    ];
    for (doc, line, want) in cases {
        let err = parse(&doc).expect_err(&doc);
        assert!(
            err.message.contains(want) && err.line == Some(line),
            "doc:\n{doc}\n got: {err}\nwant: line {line}: …{want}…"
        );
    }
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let err = decode(b"---\nseverity: SEV2\n---\n# Caf\xe9\n").unwrap_err();
    assert_eq!(err.line, Some(4));
    assert!(
        err.message
            .contains("invalid UTF-8 at column 6 (byte 0xe9)"),
        "{err}"
    );
}

#[test]
fn oversized_files_are_refused_before_parsing() {
    let dir = std::env::temp_dir().join(format!("debrief-review-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.md");
    let mut doc = String::from("---\nseverity: SEV2\n---\n# Big\n\n## Notes\n\n");
    while (doc.len() as u64) <= MAX_DOCUMENT_BYTES {
        doc.push_str(&"lorem ipsum ".repeat(100));
        doc.push('\n');
    }
    std::fs::write(&path, &doc).unwrap();
    let err = read_document(&path).unwrap_err();
    assert!(
        err.to_string()
            .contains("big.md: file is larger than 4 MiB"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- property: every valid incident survives render → parse unchanged ----

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._/'()?!,;-]{0,11}"
}

fn line_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            word(),
            Just("—".to_string()),
            Just("é".to_string()),
            Just("[ ]".into()),
            Just("#".into())
        ],
        1..8,
    )
    .prop_map(|w| w.join(" "))
}

fn block_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            line_text(),
            Just(String::new()),
            Just("- a list item".to_string()),
            Just("```\n## inside a fence\n```".to_string()),
            Just("##### deep heading".to_string()),
            Just("    indented code".to_string()),
        ],
        0..6,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn stamp() -> impl Strategy<Value = jiff::Timestamp> {
    (0i64..4_000_000_000).prop_map(|s| jiff::Timestamp::from_second(s).unwrap())
}

fn date() -> impl Strategy<Value = jiff::civil::Date> {
    (2000i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| jiff::civil::date(y, m, d))
}

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(all)
}

prop_compose! {
    fn factor()(title in line_text(), level in pick(FactorLevel::ALL), category in pick(FactorCategory::ALL),
                description in block_text(), whys in prop::collection::vec(line_text(), 0..4)) -> Factor {
        Factor { title, level, category, description, whys }
    }
}

prop_compose! {
    fn action()(id in prop::option::of(1i64..10_000), title in line_text(), kind in pick(ActionKind::ALL),
                owner in prop::option::of(word()), due in prop::option::of(date()),
                status in pick(ActionStatus::ALL), link in prop::option::of(word()),
                opened in prop::option::of(date()), worked in prop::option::of(any::<bool>())) -> ActionItem {
        // Only a closed item may say whether it worked.
        let worked = worked.filter(|_| status.is_closed());
        ActionItem { id: id.map(ActionId), title, kind, owner, due, status, link, opened, closed: None, worked }
    }
}

prop_compose! {
    fn incident()(
        id in prop::option::of(1i64..100_000), title in line_text(), severity in pick(Severity::ALL),
        status in pick(Status::ALL), kind in pick(IncidentType::ALL), near_miss in any::<bool>(),
        services in prop::collection::btree_set("[a-z][a-z0-9-]{0,8}", 0..4),
        times in prop::collection::vec(stamp(), 0..=4), published in prop::option::of(stamp()),
        detection in prop::option::of(pick(Detection::ALL)),
        summary in block_text(), impact in block_text(), notes in block_text(),
        metrics in prop::collection::btree_map("[a-z_]{1,10}", -1e9f64..1e9, 0..3),
        timeline in prop::collection::vec((stamp(), line_text(), prop::option::of(line_text())), 0..4),
        factors in prop::collection::vec(factor(), 0..3),
        lessons in prop::collection::vec((pick(LessonKind::ALL), line_text()), 0..4),
        actions in prop::collection::vec(action(), 0..3),
        acks in prop::collection::btree_map("[a-z-]{1,12}-[0-9a-f]{8}", (line_text(), stamp()), 0..3),
    ) -> Incident {
        let mut i = Incident::new(title, severity);
        i.id = id.map(IncidentId);
        i.status = status;
        i.kind = kind;
        i.near_miss = near_miss;
        i.services = services.into_iter().collect();
        let mut times = times;
        times.sort();
        let mut it = times.into_iter();
        i.started = it.next();
        i.detected = it.next();
        i.mitigated = it.next();
        i.resolved = it.next();
        i.published = published;
        i.detection = detection;
        i.summary = summary;
        i.impact = impact;
        i.notes = notes;
        i.impact_metrics = metrics;
        i.timeline = timeline.into_iter().map(|(at, text, known)| TimelineEntry { at, text, known: known.unwrap_or_default() }).collect();
        i.factors = factors;
        // The document groups lessons by kind; a stored review keeps them in that order too.
        let mut lessons: Vec<Lesson> = lessons.into_iter().map(|(kind, text)| Lesson { kind, text }).collect();
        lessons.sort_by_key(|l| l.kind);
        i.lessons = lessons;
        let mut actions = actions;
        actions.dedup_by_key(|a| a.id);
        i.actions = actions;
        i.acknowledged = acks
            .into_iter()
            .map(|(finding, (reason, at))| Acknowledgement { finding, reason, at })
            .collect();
        i.normalize();
        i
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_valid_incident_round_trips(i in incident()) {
        prop_assume!(i.validate().is_ok());
        let doc = render(&i);
        let back = parse(&doc).map_err(|e| TestCaseError::fail(format!("{e}\n{doc}")))?;
        prop_assert_eq!(&back, &i, "document:\n{}", doc);
        prop_assert_eq!(render(&back), doc);
    }

    #[test]
    fn parse_never_panics(s in "(---\n|# |## |### |- |  - |\\[ \\] |[a-z: ]{0,12}|\n|```|<!--|-->){0,40}") {
        let _ = parse(&s);
    }
}
