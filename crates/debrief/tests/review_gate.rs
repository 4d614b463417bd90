//! The publish gate as a user meets it: draft → in review → published, each reason for a
//! refusal on its own, acknowledgements, and the ways around the gate that are closed.

mod common;

use common::Env;

/// A review that may be published: blameless prose, a technical and a process factor, an
/// owned action item. Returns nothing; the incident is INC-1, submitted for review.
fn ready(env: &Env) {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Checkout fails after config push",
        "--severity",
        "SEV2",
        "--service",
        "checkout",
    ]);
    env.ok(&[
        "incident",
        "edit",
        "INC-1",
        "--summary",
        "A config push disabled the payment provider for 40 minutes. The deploy tool accepted an unknown key without a warning.",
    ]);
    env.ok(&[
        "factor",
        "add",
        "INC-1",
        "Config loader accepts unknown keys",
        "--level",
        "technical",
        "--category",
        "tooling",
    ]);
    env.ok(&[
        "factor",
        "add",
        "INC-1",
        "Config changes skip review on Fridays",
        "--level",
        "process",
        "--category",
        "process",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Validate config against its schema in CI",
        "--kind",
        "prevent",
        "--owner",
        "platform",
    ]);
    let out = env.ok(&["review", "submit", "INC-1"]);
    assert!(out.contains("draft → in review"), "{out}");
    assert!(out.contains("Nothing blocks publishing"), "{out}");
}

fn review_state(env: &Env) -> String {
    let list: serde_json::Value =
        serde_json::from_str(&env.ok(&["incident", "list", "--json"])).unwrap();
    list[0]["review"].as_str().unwrap().to_string()
}

/// Publishing is refused with exactly one numbered point, which says `what` and how to fix
/// it (`fix`); the review stays in review.
fn refused_for(env: &Env, what: &str, fix: &str) {
    let out = env.run(&["review", "publish", "INC-1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("cannot be published yet; 1 point to fix"),
        "{err}"
    );
    assert!(err.contains(what), "{what:?} not in:\n{err}");
    assert!(err.contains(fix), "{fix:?} not in:\n{err}");
    assert_eq!(review_state(env), "in-review");
}

both!(a_ready_review_publishes, |env: &Env| {
    ready(env);
    let out = env.ok(&["review", "publish", "INC-1"]);
    assert_eq!(out, "INC-1: review published\n");
    assert_eq!(review_state(env), "published");
    // The first publication is recorded in the review, to the second.
    let before = jiff::Timestamp::now().as_second();
    let doc = env.ok(&["review", "export", "INC-1"]);
    let published: jiff::Timestamp = doc
        .lines()
        .find_map(|l| l.strip_prefix("published: "))
        .unwrap_or_else(|| panic!("no published time in:\n{doc}"))
        .trim_matches(|c| c == '\'' || c == '"')
        .parse()
        .unwrap();
    assert!((before - published.as_second()).abs() < 60, "{published}");
    // Published is published: a second publish says so and changes nothing.
    let again = env.run(&["review", "publish", "INC-1"]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already published"));
    // Reopening makes it a draft, which must be submitted again before publishing.
    env.ok(&["review", "reopen", "INC-1"]);
    assert_eq!(review_state(env), "draft");
    // It keeps when it was first published.
    let doc = env.ok(&["review", "export", "INC-1"]);
    assert!(doc.contains("published: "), "{doc}");
    let err = env.fails(&["review", "publish", "INC-1"]);
    assert!(err.contains("debrief review submit INC-1"), "{err}");
});

both!(
    blame_in_the_prose_blocks_until_reworded_or_acknowledged,
    |env: &Env| {
        ready(env);
        env.ok(&[
            "incident",
            "edit",
            "INC-1",
            "--impact",
            "Checkout was down for 40 minutes. The on-call engineer failed to check the dashboard.",
        ]);
        refused_for(
            env,
            "error failed-to [failed-to-",
            "debrief review ack INC-1 failed-to-",
        );

        // The finding, with its id, is what `lint --incident` prints, and it fails the run.
        let out = env.run(&["lint", "--incident", "INC-1", "--format", "json"]);
        assert_eq!(out.status.code(), Some(1));
        let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = findings.as_array().unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0]["file"], "INC-1.md");
        assert_eq!(findings[0]["rule"], "failed-to");
        let id = findings[0]["id"].as_str().unwrap().to_string();
        assert!(findings[0].get("acknowledged").is_none());

        // An acknowledgement needs a finding that exists and a reason.
        let err = env.fails(&[
            "review",
            "ack",
            "INC-1",
            "failed-to-00000000",
            "--reason",
            "x y z",
        ]);
        assert!(
            err.contains("not a finding of INC-1") && err.contains(&id),
            "{err}"
        );
        let err = env.fails(&["review", "ack", "INC-1", &id, "--reason", "  "]);
        assert!(err.contains("reason is empty"), "{err}");
        let err = env.fails(&["review", "ack", "INC-1", &id]);
        assert!(err.contains("--reason"), "{err}");

        let reason = "quoted from the customer's incident report";
        env.ok(&["review", "ack", "INC-1", &id, "--reason", reason]);
        // Still visible, no longer failing or blocking.
        let out = env.run(&["lint", "--incident", "INC-1"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("error (acknowledged: {reason}) failed-to")),
            "{text}"
        );
        let sarif = env.run(&["lint", "--incident", "INC-1", "--format", "sarif"]);
        let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
        let result = &sarif["runs"][0]["results"][0];
        assert_eq!(result["suppressions"][0]["justification"], reason);
        assert_eq!(
            result["partialFingerprints"]["debriefFinding/v1"],
            id.as_str()
        );

        // Withdrawn, it blocks again; rewording the sentence clears it for good.
        env.ok(&["review", "ack", "INC-1", &id, "--withdraw"]);
        refused_for(env, &id, "reword it");
        env.ok(&[
        "incident",
        "edit",
        "INC-1",
        "--impact",
        "Checkout was down for 40 minutes. The dashboard showed green because its panel averaged over an hour.",
    ]);
        env.ok(&["review", "publish", "INC-1"]);
        assert_eq!(review_state(env), "published");
    }
);

both!(technical_factors_alone_block, |env: &Env| {
    ready(env);
    // Leave only the technical factor, by editing the document.
    let doc = env.ok(&["review", "export", "INC-1"]);
    let start = doc.find("### F2.").unwrap();
    let end = doc[start..].find("## Lessons").unwrap() + start;
    let doc = format!("{}{}", &doc[..start], &doc[end..]);
    std::fs::write(env.path("INC-1.md"), doc).unwrap();
    env.ok(&["review", "import", "INC-1.md"]);
    refused_for(
        env,
        "its one contributing factor is technical",
        "--level process|organization",
    );
    env.ok(&[
        "factor",
        "add",
        "INC-1",
        "Nobody owns the config schema",
        "--level",
        "organization",
        "--category",
        "management",
    ]);
    env.ok(&["review", "publish", "INC-1"]);
});

both!(a_review_without_factors_is_blocked, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Queue backlog",
        "--severity",
        "SEV3",
    ]);
    env.ok(&["review", "submit", "INC-1"]);
    refused_for(
        env,
        "names no contributing factor",
        "debrief factor add INC-1",
    );
});

both!(an_action_without_an_owner_blocks, |env: &Env| {
    ready(env);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Page on checkout error rate",
        "--kind",
        "detect",
    ]);
    refused_for(
        env,
        "action item A-2 (\"Page on checkout error rate\") has no owner team",
        "debrief action edit A-2 --owner TEAM",
    );
    env.ok(&["action", "edit", "A-2", "--owner", "sre"]);
    env.ok(&["review", "publish", "INC-1"]);
});

both!(every_blocker_is_listed_at_once, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk full",
        "--severity",
        "SEV3",
    ]);
    env.ok(&[
        "incident",
        "edit",
        "INC-1",
        "--summary",
        "It was human error. Dana was careless with the cleanup job.",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Alert on disk",
        "--kind",
        "detect",
    ]);
    env.ok(&["review", "submit", "INC-1"]);
    let err = env.fails(&["review", "publish", "INC-1"]);
    assert!(err.contains("4 points to fix"), "{err}");
    for what in ["human-error", "careless", "no contributing factor", "A-1"] {
        assert!(err.contains(what), "{what} not in {err}");
    }
    assert_eq!(err.matches("     fix: ").count(), 4, "{err}");
});

both!(a_document_cannot_publish_a_stored_review, |env: &Env| {
    ready(env);
    let doc = env.ok(&["review", "export", "INC-1"]);
    assert!(doc.contains("review: in-review"));
    std::fs::write(
        env.path("INC-1.md"),
        doc.replace("review: in-review", "review: published"),
    )
    .unwrap();
    let before = env.snapshot();
    let err = env.fails(&["review", "import", "INC-1.md"]);
    assert!(err.contains("debrief review publish INC-1"), "{err}");
    assert_eq!(env.snapshot(), before);
});

both!(
    a_published_review_edited_to_blame_is_held_in_review,
    |env: &Env| {
        ready(env);
        env.ok(&["review", "publish", "INC-1"]);
        let doc = env.ok(&["review", "export", "INC-1"]);
        assert!(doc.contains("review: published"));
        // Unchanged, it imports as it is.
        std::fs::write(env.path("INC-1.md"), &doc).unwrap();
        let out = env.ok(&["review", "import", "INC-1.md"]);
        assert!(out.contains("unchanged INC-1"), "{out}");
        assert_eq!(review_state(env), "published");
        // Edited so that the gate would refuse it, it is kept, but in review, with what to fix.
        std::fs::write(
            env.path("INC-1.md"),
            doc.replace(
                "## Summary\n",
                "## Summary\n\nIt was human error: Dana was careless with the push.\n",
            ),
        )
        .unwrap();
        let out = env.run(&["review", "import", "INC-1.md"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains("INC-1: imported in review, not published"),
            "{err}"
        );
        assert!(
            err.contains("human-error") && err.contains("careless"),
            "{err}"
        );
        assert_eq!(review_state(env), "in-review");
        let stored = env.ok(&["review", "export", "INC-1"]);
        assert!(stored.contains("Dana was careless"), "the edit is kept");
        // A new document that claims to be published goes through the gate too.
        let new_doc = stored
            .replace("id: INC-1\n", "")
            .replace("review: in-review", "review: published")
            .replace("Checkout fails after config push", "Another outage")
            .replace("A-1: ", "");
        std::fs::write(env.path("new.md"), new_doc).unwrap();
        let out = env.run(&["review", "import", "new.md"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("imported in review, not published"), "{err}");
        let list: serde_json::Value =
            serde_json::from_str(&env.ok(&["incident", "list", "--json"])).unwrap();
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|i| i["review"] != "published"),
            "{list}"
        );
    }
);

/// INC-1 published with one acknowledged error; returns the finding's id.
fn published_with_an_ack(env: &Env) -> String {
    ready(env);
    env.ok(&[
        "incident",
        "edit",
        "INC-1",
        "--impact",
        "Checkout was down for 40 minutes. The on-call engineer failed to check the dashboard.",
    ]);
    let out = env.run(&["lint", "--incident", "INC-1", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = findings[0]["id"].as_str().unwrap().to_string();
    env.ok(&[
        "review",
        "ack",
        "INC-1",
        &id,
        "--reason",
        "quoted from the customer's report",
    ]);
    env.ok(&["review", "publish", "INC-1"]);
    id
}

both!(acknowledgements_travel_with_the_document, |env: &Env| {
    let id = published_with_an_ack(env);
    let doc = env.ok(&["review", "export", "INC-1"]);
    assert!(
        doc.contains(&format!("acknowledged:\n- finding: {id}\n")),
        "{doc}"
    );
    assert!(
        doc.contains("reason: quoted from the customer's report"),
        "{doc}"
    );
    // Taken back in the store, the document brings it back: the review stays published.
    env.ok(&["review", "ack", "INC-1", &id, "--withdraw"]);
    std::fs::write(env.path("INC-1.md"), &doc).unwrap();
    let out = env.run(&["review", "import", "INC-1.md"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("not published"), "{err}");
    assert_eq!(review_state(env), "published");
    assert_eq!(env.ok(&["review", "export", "INC-1"]), doc);
    // Without it, the document would not pass the gate: imported in review.
    let without: String = doc
        .lines()
        .filter(|l| {
            !l.starts_with("acknowledged:")
                && !l.starts_with("- finding:")
                && !l.starts_with("  reason:")
                && !l.starts_with("  at:")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(env.path("INC-1.md"), without).unwrap();
    let out = env.run(&["review", "import", "INC-1.md"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("imported in review, not published"), "{err}");
    assert!(err.contains(&id), "{err}");
    assert_eq!(review_state(env), "in-review");
});

#[test]
fn an_export_restored_into_a_new_store_keeps_its_acknowledgements() {
    let env = Env::sqlite();
    let id = published_with_an_ack(&env);
    let dir = env.path("backup");
    env.ok(&["export", dir.to_str().unwrap()]);
    let fresh = Env::sqlite();
    let out = fresh.ok(&["import", dir.to_str().unwrap()]);
    assert!(out.contains("created INC-1"), "{out}");
    assert_eq!(review_state(&fresh), "published");
    let out = fresh.run(&["lint", "--incident", "INC-1"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("acknowledged: quoted from the customer's report"),
        "{text}"
    );
    assert!(text.contains(&id), "{text}");
}

#[test]
fn submitting_shows_what_still_blocks_and_states_move_in_order() {
    let env = Env::sqlite();
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Cert expiry",
        "--severity",
        "SEV2",
    ]);
    let err = env.fails(&["review", "publish", "INC-1"]);
    assert!(err.contains("is a draft"), "{err}");
    let out = env.ok(&["review", "submit", "INC-1"]);
    assert!(out.contains("1 point to fix"), "{out}");
    assert!(out.contains("names no contributing factor"), "{out}");
    assert_eq!(review_state(&env), "in-review");
    let again = env.run(&["review", "submit", "INC-1"]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already in review"));
    let err = env.fails(&["review", "submit", "INC-9"]);
    assert!(err.contains("INC-9 not found"), "{err}");
}
