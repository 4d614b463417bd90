//! The store's test story. Every story runs on a fresh SQLite file, and on a fresh PostgreSQL
//! database when `DEBRIEF_TEST_POSTGRES_URL` points at a server (CI sets it).

use std::future::Future;

use debrief_core::*;
use debrief_store::*;

/// A store of one backend, dropped with its database.
struct Fixture {
    store: Option<Store>,
    location: String,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("debrief.db").display().to_string();
        let store = Store::open(&location).await.unwrap();
        Fixture {
            store: Some(store),
            location,
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    async fn postgres() -> Option<Fixture> {
        let Some(admin) = std::env::var("DEBRIEF_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            eprintln!("DEBRIEF_TEST_POSTGRES_URL is not set: skipping the PostgreSQL half");
            return None;
        };
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "debrief_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin)
            .await
            .expect("PostgreSQL admin URL");
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let location = format!("{base}/{name}");
        let store = Store::open(&location).await.unwrap();
        Some(Fixture {
            store: Some(store),
            location,
            _dir: None,
            pg_drop: Some((admin, name)),
        })
    }

    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }

    async fn finish(mut self) {
        if let Some(s) = self.store.take() {
            s.close().await;
        }
        if let Some((admin, name)) = self.pg_drop.take() {
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

/// Declares a story that runs on both backends: `story!(name, |fixture| async move { … })`.
macro_rules! story {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = Fixture::sqlite().await;
                run(&f, $body).await;
                f.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(f) = Fixture::postgres().await {
                    run(&f, $body).await;
                    f.finish().await;
                }
            }
        }
    };
}

async fn run<'a, F, Fut>(f: &'a Fixture, body: F)
where
    F: FnOnce(&'a Fixture) -> Fut,
    Fut: Future<Output = ()> + 'a,
{
    body(f).await
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().unwrap()
}

fn sample(title: &str, severity: Severity, service: &str, started: &str) -> Incident {
    let mut i = Incident::new(title, severity);
    i.services = vec![service.into()];
    i.started = Some(ts(started));
    i.summary = "Something **broke**.".into();
    i.impact_metrics.insert("users_affected".into(), 1200.0);
    i.impact_metrics.insert("ratio".into(), 0.1 + 0.2);
    i.timeline.push(TimelineEntry {
        at: ts(started),
        text: "Alert fires".into(),
        known: "nothing yet".into(),
    });
    i.factors.push(Factor {
        title: "No schema check".into(),
        level: FactorLevel::Process,
        category: FactorCategory::Tooling,
        description: String::new(),
        whys: vec!["Why? Config is not code.".into()],
    });
    i.lessons.push(Lesson {
        kind: LessonKind::Lucky,
        text: "Low traffic".into(),
    });
    i.actions.push(ActionItem {
        id: None,
        title: "Add a schema check".into(),
        kind: ActionKind::Prevent,
        owner: Some("platform".into()),
        due: Some(date("2024-04-01")),
        status: ActionStatus::Open,
        link: None,
        opened: Some(date("2024-03-02")),
        closed: None,
        worked: None,
    });
    i
}

story!(create_then_read_gives_the_same_incident, |f| async move {
    let store = f.store();
    let mut i = sample(
        "Checkout down",
        Severity::Sev2,
        "checkout",
        "2024-03-01T14:00:00Z",
    );
    let id = store.create_incident(&i).await.unwrap();
    assert_eq!(id, IncidentId(1));
    let back = store.get_incident(id).await.unwrap();
    i.id = Some(id);
    i.actions[0].id = Some(ActionId(1));
    assert_eq!(back, i, "every field survives the store, floats exactly");
    let second = store
        .create_incident(&sample(
            "Second",
            Severity::Sev3,
            "api",
            "2024-03-02T00:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(second, IncidentId(2));
    assert_eq!(
        store.get_incident(second).await.unwrap().actions[0].id,
        Some(ActionId(2))
    );
    match store.get_incident(IncidentId(99)).await {
        Err(StoreError::NotFound(what)) => assert_eq!(what, "incident INC-99"),
        other => panic!("expected NotFound, got {other:?}"),
    }
});

story!(a_failed_change_writes_nothing, |f| async move {
    let store = f.store();
    let id = store
        .create_incident(&sample(
            "Checkout down",
            Severity::Sev2,
            "checkout",
            "2024-03-01T14:00:00Z",
        ))
        .await
        .unwrap();
    let before = store.get_incident(id).await.unwrap();
    // The closure changes the title, then the change breaks a rule: nothing is kept.
    let err = store
        .update_incident(id, |i| {
            i.title = "Renamed".into();
            i.resolved = Some(ts("2020-01-01T00:00:00Z"));
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("resolved (2020-01-01T00:00:00Z) is before started"),
        "{err}"
    );
    assert_eq!(store.get_incident(id).await.unwrap(), before);

    let after = store
        .update_incident(id, |i| {
            i.timeline.push(TimelineEntry {
                at: ts("2024-03-01T14:30:00Z"),
                text: "Rolled back".into(),
                known: String::new(),
            });
            i.factors[0].whys.push("Why? Nobody owns config.".into());
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(store.get_incident(id).await.unwrap(), after);
    assert_eq!(after.timeline.len(), 2);
    assert_eq!(after.factors[0].whys.len(), 2);
});

story!(lists_filter_and_sort, |f| async move {
    let store = f.store();
    let a = store
        .create_incident(&sample(
            "Old checkout",
            Severity::Sev2,
            "checkout",
            "2024-01-01T00:00:00Z",
        ))
        .await
        .unwrap();
    let b = store
        .create_incident(&sample(
            "New api",
            Severity::Sev3,
            "api",
            "2024-06-01T00:00:00Z",
        ))
        .await
        .unwrap();
    store
        .update_incident(a, |i| {
            i.status = Status::Resolved;
            Ok(())
        })
        .await
        .unwrap();
    let ids = |v: Vec<IncidentSummary>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(all[0].services, vec!["api".to_string()]);
    assert_eq!((all[0].actions_open, all[0].actions_total), (1, 1));
    assert_eq!(ids(all), vec![b, a], "newest first");
    let cases: Vec<(IncidentFilter, Vec<IncidentId>)> = vec![
        (
            IncidentFilter {
                statuses: vec![Status::Resolved],
                ..Default::default()
            },
            vec![a],
        ),
        (
            IncidentFilter {
                severities: vec![Severity::Sev3],
                ..Default::default()
            },
            vec![b],
        ),
        (
            IncidentFilter {
                service: Some("checkout".into()),
                ..Default::default()
            },
            vec![a],
        ),
        (
            IncidentFilter {
                since: Some(ts("2024-03-01T00:00:00Z")),
                ..Default::default()
            },
            vec![b],
        ),
        (
            IncidentFilter {
                service: Some("nope".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (filter, want) in cases {
        let got = ids(store.list_incidents(&filter).await.unwrap());
        assert_eq!(got, want, "{filter:?}");
    }
});

story!(actions_are_listed_and_closed, |f| async move {
    let store = f.store();
    let a = store
        .create_incident(&sample(
            "One",
            Severity::Sev2,
            "checkout",
            "2024-01-01T00:00:00Z",
        ))
        .await
        .unwrap();
    let _b = store
        .create_incident(&sample(
            "Two",
            Severity::Sev3,
            "api",
            "2024-02-01T00:00:00Z",
        ))
        .await
        .unwrap();
    let overdue = store
        .list_actions(&ActionFilter {
            overdue_on: Some(date("2024-05-01")),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(overdue.len(), 2);
    let changed = store
        .update_action(ActionId(1), |item| {
            item.status = ActionStatus::Done;
            item.closed = Some(date("2024-04-15"));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(changed.source, ActionSource::Incident(a));
    assert_eq!(changed.action.status, ActionStatus::Done);
    let overdue = store
        .list_actions(&ActionFilter {
            overdue_on: Some(date("2024-05-01")),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        overdue.iter().map(|r| r.action.id).collect::<Vec<_>>(),
        vec![Some(ActionId(2))]
    );
    let mine = store
        .list_actions(&ActionFilter {
            incident: Some(a),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine[0].action.status, ActionStatus::Done);
    assert_eq!(mine[0].source_title, "One");
    assert!(matches!(
        store.update_action(ActionId(42), |_| Ok(())).await,
        Err(StoreError::NotFound(_))
    ));
});

story!(import_is_atomic_and_idempotent, |f| async move {
    let store = f.store();
    let mut one = sample("One", Severity::Sev2, "checkout", "2024-01-01T00:00:00Z");
    one.id = Some(IncidentId(7));
    one.actions[0].id = Some(ActionId(30));
    let mut two = sample("Two", Severity::Sev3, "api", "2024-02-01T00:00:00Z");
    two.id = Some(IncidentId(8));
    two.actions[0].id = Some(ActionId(31));
    let report = store
        .import(&[one.clone(), two.clone()], false)
        .await
        .unwrap();
    assert_eq!(report.created, vec![IncidentId(7), IncidentId(8)]);
    let again = store
        .import(&[one.clone(), two.clone()], false)
        .await
        .unwrap();
    assert_eq!(again.unchanged, vec![IncidentId(7), IncidentId(8)]);
    assert!(again.created.is_empty() && again.updated.is_empty());

    // New numbers continue after imported ones.
    let next = store
        .create_incident(&sample("Next", Severity::Sev4, "x", "2024-03-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(next, IncidentId(9));
    assert_eq!(
        store.get_incident(next).await.unwrap().actions[0].id,
        Some(ActionId(32))
    );

    // A batch whose second review steals the first's action item fails whole.
    let mut changed = one.clone();
    changed.title = "One, renamed".into();
    let mut thief = sample("Thief", Severity::Sev3, "api", "2024-02-01T00:00:00Z");
    thief.id = Some(IncidentId(20));
    thief.actions[0].id = Some(ActionId(30));
    let before: Vec<Incident> =
        futures_all(store, &[IncidentId(7), IncidentId(8), IncidentId(9)]).await;
    let err = store
        .import(&[changed.clone(), thief.clone()], true)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(
        err.to_string()
            .contains("action item A-30 belongs to INC-7, not INC-20"),
        "{err}"
    );
    assert_eq!(
        futures_all(store, &[IncidentId(7), IncidentId(8), IncidentId(9)]).await,
        before
    );
    assert!(matches!(
        store.get_incident(IncidentId(20)).await,
        Err(StoreError::NotFound(_))
    ));

    // A review whose number is taken by an incident of another title is refused unless
    // --replace; with it, the stored incident is replaced.
    let err = store.import(&[changed.clone()], false).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("INC-7 in this store is \"One\", not \"One, renamed\""),
        "{err}"
    );
    assert_eq!(futures_all(store, &[IncidentId(7)]).await, before[..1]);
    let report = store.import(&[changed.clone()], true).await.unwrap();
    assert_eq!(report.updated, vec![IncidentId(7)]);
    assert_eq!(
        store.get_incident(IncidentId(7)).await.unwrap().title,
        "One, renamed"
    );
});

async fn futures_all(store: &Store, ids: &[IncidentId]) -> Vec<Incident> {
    let mut out = Vec::new();
    for id in ids {
        out.push(store.get_incident(*id).await.unwrap());
    }
    out
}

story!(two_stores_writing_at_once_both_succeed, |f| async move {
    let other = Store::open(&f.location).await.unwrap();
    let store = f.store();
    let (r1, r2) = tokio::join!(
        async {
            for n in 0..15 {
                store
                    .create_incident(&sample(
                        &format!("a {n}"),
                        Severity::Sev3,
                        "svc",
                        "2024-01-01T00:00:00Z",
                    ))
                    .await?;
            }
            Ok::<_, StoreError>(())
        },
        async {
            for n in 0..15 {
                other
                    .create_incident(&sample(
                        &format!("b {n}"),
                        Severity::Sev3,
                        "svc",
                        "2024-01-01T00:00:00Z",
                    ))
                    .await?;
            }
            Ok::<_, StoreError>(())
        }
    );
    r1.unwrap();
    r2.unwrap();
    let ids = store.incident_ids().await.unwrap();
    assert_eq!(ids, (1..=30).map(IncidentId).collect::<Vec<_>>());
    other.close().await;
});

story!(a_store_from_a_newer_debrief_is_refused, |f| async move {
    sqlx::any::install_default_drivers();
    let url = if f.location.starts_with("postgres") {
        f.location.clone()
    } else {
        format!("sqlite://{}", f.location)
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO debrief_schema (version, name, applied_at) VALUES (99, 'future', 'x')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    match Store::open(&f.location).await {
        Err(StoreError::TooNew { found: 99, .. }) => {}
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(_) => panic!("expected TooNew, got a store"),
    }
});

#[test]
fn both_backends_have_the_same_migration_versions() {
    let v = |m: &[Migration]| m.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
    assert_eq!(v(MIGRATIONS_SQLITE), v(MIGRATIONS_POSTGRES));
    // And the files on disk are exactly those embedded.
    for dir in ["sqlite", "postgres"] {
        let mut files: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        files.sort();
        let want: Vec<String> = MIGRATIONS_SQLITE
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.name))
            .collect();
        assert_eq!(files, want, "migrations/{dir}");
    }
}

story!(
    search_finds_stems_phrases_prefixes_and_filters,
    |f| async move {
        let s = f.store();
        let mut db = sample(
            "Database connection pool exhausted",
            Severity::Sev2,
            "ledger",
            "2026-03-01T10:00:00Z",
        );
        db.summary =
            "Checkout requests timed out while the ledger waited for a free connection.".into();
        db.factors[0].category = FactorCategory::Monitoring;
        let mut cfg = sample(
            "Checkout timeouts after a config push",
            Severity::Sev1,
            "checkout",
            "2026-04-01T10:00:00Z",
        );
        cfg.summary =
            "A pool of workers kept retrying; connections to the database stayed open.".into();
        let mut dns = sample(
            "DNS resolution failed for internal hosts",
            Severity::Sev3,
            "dns",
            "2026-05-01T10:00:00Z",
        );
        dns.lessons.push(Lesson {
            kind: LessonKind::Lucky,
            text: "The resolver cache hid the failure for an hour".into(),
        });
        let a = s.create_incident(&db).await.unwrap();
        let b = s.create_incident(&cfg).await.unwrap();
        let c = s.create_incident(&dns).await.unwrap();
        let find = |text: &str| SearchQuery {
            text: text.into(),
            limit: 10,
            ..SearchQuery::default()
        };
        let ids = |r: SearchResults| r.hits.iter().map(|h| h.id).collect::<Vec<_>>();
        // Stems: "timeout" finds "timeouts"; "timed out" is another word.
        assert_eq!(ids(s.search(&find("timeout")).await.unwrap()), vec![b]);
        // Words rank the title's match first; a phrase needs its words in order.
        assert_eq!(
            ids(s.search(&find("connection pool")).await.unwrap()),
            vec![a, b]
        );
        assert_eq!(
            ids(s.search(&find("\"connection pool\"")).await.unwrap()),
            vec![a]
        );
        assert_eq!(
            ids(s.search(&find("pool -retrying")).await.unwrap()),
            vec![a]
        );
        assert_eq!(ids(s.search(&find("resolv*")).await.unwrap()), vec![c]);
        assert!(s.search(&find("kubernetes")).await.unwrap().hits.is_empty());
        // Lessons are searched, and the snippet marks the word.
        let lucky = s.search(&find("cache")).await.unwrap();
        assert_eq!(ids(lucky.clone()), vec![c]);
        let snippet = &lucky.hits[0].snippets[0];
        assert_eq!(snippet.field, debrief_search::Field::Lessons);
        assert_eq!(
            snippet.marked("[", "]", str::to_string),
            "Low traffic The resolver [cache] hid the failure for an hour"
        );
        // Filters.
        let only = |q: SearchQuery| async move { ids(s.search(&q).await.unwrap()) };
        assert_eq!(
            only(SearchQuery {
                services: vec!["checkout".into()],
                ..find("pool")
            })
            .await,
            vec![b]
        );
        assert_eq!(
            only(SearchQuery {
                severities: vec![Severity::Sev2],
                ..find("pool")
            })
            .await,
            vec![a]
        );
        assert_eq!(
            only(SearchQuery {
                factor: Some("monitoring".into()),
                ..find("pool")
            })
            .await,
            vec![a]
        );
        assert_eq!(
            only(SearchQuery {
                since: Some(ts("2026-03-15T00:00:00Z")),
                ..find("pool")
            })
            .await,
            vec![b]
        );
        let limited = s
            .search(&SearchQuery {
                limit: 1,
                ..find("pool")
            })
            .await
            .unwrap();
        assert_eq!((limited.total, limited.hits.len()), (2, 1));
        // A change is searchable at once, and what it removed is gone.
        s.update_incident(c, |i| {
            i.title = "Name lookups failed for internal hosts".into();
            Ok(())
        })
        .await
        .unwrap();
        assert!(s.search(&find("DNS")).await.unwrap().hits.is_empty());
        assert_eq!(ids(s.search(&find("lookup")).await.unwrap()), vec![c]);
        // Bad queries say why.
        for bad in ["", "the", "ab*"] {
            assert!(matches!(
                s.search(&find(bad)).await,
                Err(StoreError::Invalid(_))
            ));
        }
        // An index built by another analyzer is rebuilt when the store opens, with the same answers.
        let before = ids(s.search(&find("connection pool")).await.unwrap());
        sqlx::any::install_default_drivers();
        let raw = sqlx::AnyPool::connect(&any_url(&f.location)).await.unwrap();
        sqlx::raw_sql("DELETE FROM search_meta; DELETE FROM search_terms;")
            .execute(&raw)
            .await
            .unwrap();
        raw.close().await;
        assert!(s.search(&find("pool")).await.unwrap().hits.is_empty());
        let reopened = Store::open(&f.location).await.unwrap();
        assert_eq!(
            ids(reopened.search(&find("connection pool")).await.unwrap()),
            before
        );
        reopened.close().await;
    }
);

/// The URL sqlx's Any driver takes for a fixture's location.
fn any_url(location: &str) -> String {
    if location.starts_with("postgres") {
        location.to_string()
    } else {
        format!("sqlite://{location}")
    }
}

/// SQLite and PostgreSQL give the same hits, in the same order, with the same scores, for
/// the public post-mortems and the hand-written queries of `bench/search-queries.tsv`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_ranks_alike_on_both_backends() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("../shared/data/postmortems");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} is not there: skipping", dir.display());
        return;
    };
    let Some(pg) = Fixture::postgres().await else {
        return;
    };
    let mut docs = Vec::new();
    let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files {
        docs.extend(
            debrief_review::postmortems::read(&std::fs::read_to_string(f).unwrap()).unwrap(),
        );
    }
    let lite = Fixture::sqlite().await;
    for f in [&lite, &pg] {
        f.store().import(&docs, false).await.unwrap();
    }
    let queries = std::fs::read_to_string(root.join("bench/search-queries.tsv")).unwrap();
    for line in queries.lines().skip(1) {
        let text = line.split('\t').next().unwrap();
        let q = SearchQuery {
            text: text.into(),
            limit: 20,
            ..SearchQuery::default()
        };
        let a = lite.store().search(&q).await.unwrap();
        let b = pg.store().search(&q).await.unwrap();
        assert_eq!(a.total, b.total, "{text}");
        let ranked = |r: &SearchResults| {
            r.hits
                .iter()
                .map(|h| (h.id, (h.score * 1e9).round() as i64, h.snippets.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ranked(&a), ranked(&b), "{text}");
    }
    lite.finish().await;
    pg.finish().await;
}

story!(
    a_repeat_incident_is_flagged_with_what_is_still_open,
    |f| async move {
        let s = f.store();
        let mut first = sample(
            "Ledger connection pool exhausted during month-end batch",
            Severity::Sev2,
            "ledger",
            "2026-01-31T22:00:00Z",
        );
        first.summary = "The month-end batch opened connections faster than the ledger pool could \
                     recycle them; payments queued and timed out."
            .into();
        first.factors[0].category = FactorCategory::Monitoring;
        first.actions.push(ActionItem {
            title: "Alert on pool saturation".into(),
            ..first.actions[0].clone()
        });
        let a = s.create_incident(&first).await.unwrap();
        let mut other = sample(
            "DNS resolver cache poisoned",
            Severity::Sev3,
            "dns",
            "2026-02-10T10:00:00Z",
        );
        other.summary = "A resolver returned stale records for an hour.".into();
        let b = s.create_incident(&other).await.unwrap();
        // Close one of the first incident's two actions.
        let first_stored = s.get_incident(a).await.unwrap();
        let closed = first_stored.actions[0].id.unwrap();
        s.update_action(closed, |x| {
            x.status = ActionStatus::Done;
            Ok(())
        })
        .await
        .unwrap();
        // A month later, the same failure.
        let mut again = sample(
            "Month-end batch exhausts the ledger connection pool again",
            Severity::Sev2,
            "ledger",
            "2026-02-28T22:00:00Z",
        );
        again.summary =
            "Connections from the batch filled the ledger pool; payments timed out.".into();
        again.factors[0].category = FactorCategory::Monitoring;
        let c = s.create_incident(&again).await.unwrap();
        let similar = s.similar_incidents(c).await.unwrap();
        assert_eq!(similar.first().map(|x| x.id), Some(a), "{similar:#?}");
        let top = &similar[0];
        assert!(top.score >= 0.5, "{top:#?}");
        assert!(!similar.iter().any(|x| x.id == b), "{similar:#?}");
        assert_eq!(top.reasons.services, vec!["ledger".to_string()]);
        assert_eq!(top.reasons.factors, vec!["monitoring".to_string()]);
        assert!(top.reasons.words.iter().any(|w| w == "pool"), "{top:#?}");
        assert!(top.why.contains("same service ledger"), "{}", top.why);
        assert_eq!(top.actions_total, 2);
        assert_eq!(
            top.open_actions
                .iter()
                .map(|x| x.title.as_str())
                .collect::<Vec<_>>(),
            vec!["Alert on pool saturation"]
        );
        // The earlier incident shows the repeat too.
        let back = s.similar_incidents(a).await.unwrap();
        assert!(back.iter().any(|x| x.id == c), "{back:#?}");
        // An unrelated incident resembles neither.
        assert!(s.similar_incidents(b).await.unwrap().is_empty());
    }
);

story!(
    problems_group_repeats_keep_their_numbers_and_obey_people,
    |f| async move {
        let s = f.store();
        let now = ts("2026-03-01T00:00:00Z");
        let ledger = |title: &str, started: &str| {
            let mut i = sample(title, Severity::Sev2, "ledger", started);
            i.summary =
                "The month-end batch filled the ledger connection pool; payments timed out.".into();
            i.factors[0].category = FactorCategory::Monitoring;
            i
        };
        let dns = |title: &str, started: &str| {
            let mut i = sample(title, Severity::Sev3, "dns", started);
            i.summary =
                "The resolver cache served stale records after the zone transfer failed.".into();
            i
        };
        let a = s
            .create_incident(&ledger("Ledger pool exhausted", "2026-01-01T00:00:00Z"))
            .await
            .unwrap();
        let b = s
            .create_incident(&ledger(
                "Ledger pool exhausted again",
                "2026-02-01T00:00:00Z",
            ))
            .await
            .unwrap();
        let c = s
            .create_incident(&dns(
                "Resolver served stale records",
                "2026-01-10T00:00:00Z",
            ))
            .await
            .unwrap();
        let d = s
            .create_incident(&dns(
                "Stale resolver records after zone transfer",
                "2026-02-10T00:00:00Z",
            ))
            .await
            .unwrap();
        let first = s.compute_problems(now).await.unwrap();
        assert_eq!((first.problems, first.created), (2, 2), "{first:?}");
        let problems = s.problems().await.unwrap();
        let of = |ps: &[Problem], i: IncidentId| {
            ps.iter()
                .find(|p| p.incidents.iter().any(|x| x.id == i))
                .map(|p| p.id)
        };
        let (pa, pc) = (of(&problems, a).unwrap(), of(&problems, c).unwrap());
        assert_ne!(pa, pc);
        assert_eq!(of(&problems, b), Some(pa));
        assert_eq!(of(&problems, d), Some(pc));
        let ledger_problem = s.problem(pa).await.unwrap();
        assert_eq!(ledger_problem.title, "Recurring: Ledger pool exhausted");
        assert_eq!(ledger_problem.incidents[0].id, a, "oldest first");
        assert!(
            ledger_problem
                .shared_factors
                .iter()
                .any(|(c, n)| c == "monitoring" && *n == 2)
        );
        assert_eq!(ledger_problem.open_actions.len(), 2);
        // A third repeat joins the same problem; numbers stay.
        let e = s
            .create_incident(&ledger(
                "Ledger pool exhausted a third time",
                "2026-03-01T00:00:00Z",
            ))
            .await
            .unwrap();
        let again = s.compute_problems(now).await.unwrap();
        assert_eq!((again.problems, again.created, again.removed), (2, 0, 0));
        assert_eq!(of(&s.problems().await.unwrap(), e), Some(pa));
        // People win: unlink a member, link an outsider; computing again keeps both.
        s.link_problem(pa, b, false).await.unwrap();
        s.link_problem(pa, c, true).await.unwrap();
        s.compute_problems(now).await.unwrap();
        let members: Vec<IncidentId> = s
            .problem(pa)
            .await
            .unwrap()
            .incidents
            .iter()
            .map(|x| x.id)
            .collect();
        assert!(
            !members.contains(&b) && members.contains(&c) && members.contains(&a),
            "{members:?}"
        );
        assert!(matches!(
            s.link_problem(ProblemId(99), a, true).await,
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.link_problem(pa, IncidentId(99), true).await,
            Err(StoreError::NotFound(_))
        ));
        // The Pareto view.
        let p = s.pareto().await.unwrap();
        assert_eq!(p.incidents, 5);
        assert_eq!(p.factor_categories[0].value, "monitoring");
        assert_eq!(p.factor_categories[0].incidents, 3);
        assert_eq!(p.services[0].value, "ledger");
        assert!((p.services.last().unwrap().cumulative - 1.0).abs() < 1e-9);
    }
);

story!(
    follow_through_counts_and_flags_closed_items_whose_problem_came_back,
    |f| async move {
        let s = f.store();
        let ledger = |title: &str, started: &str| {
            let mut i = sample(title, Severity::Sev2, "ledger", started);
            i.summary =
                "The month-end batch filled the ledger connection pool; payments timed out.".into();
            i.actions[0].opened = Some(date("2026-01-02"));
            i.actions[0].due = Some(date("2026-01-20"));
            i
        };
        let a = s
            .create_incident(&ledger("Ledger pool exhausted", "2026-01-01T00:00:00Z"))
            .await
            .unwrap();
        let fix = s.get_incident(a).await.unwrap().actions[0].id.unwrap();
        s.update_action(fix, |x| {
            x.status = ActionStatus::Done;
            x.closed = Some(date("2026-01-12"));
            Ok(())
        })
        .await
        .unwrap();
        let b = s
            .create_incident(&ledger(
                "Ledger pool exhausted again",
                "2026-02-01T00:00:00Z",
            ))
            .await
            .unwrap();
        s.compute_problems(ts("2026-03-01T00:00:00Z"))
            .await
            .unwrap();
        let ft = s.follow_through(date("2026-03-15")).await.unwrap();
        assert_eq!((ft.total, ft.open, ft.closed), (2, 1, 1));
        assert!((ft.closure_rate - 0.5).abs() < 1e-9);
        assert_eq!(ft.overdue, 1, "{ft:?}");
        assert_eq!(ft.stale, 1, "opened 2026-01-02, 72 days before: {ft:?}");
        assert_eq!(ft.time_to_close_median, Some(10));
        assert_eq!(ft.open_age_median, Some(72));
        assert_eq!(ft.recurred.len(), 1, "{ft:?}");
        let r = &ft.recurred[0];
        assert_eq!((r.action, r.incident, r.came_back), (fix, a, b));
        // Before the repeat happened, nothing had recurred.
        s.update_action(fix, |x| {
            x.closed = Some(date("2026-02-05"));
            Ok(())
        })
        .await
        .unwrap();
        assert!(
            s.follow_through(date("2026-03-15"))
                .await
                .unwrap()
                .recurred
                .is_empty()
        );
    }
);

story!(
    a_retro_closes_into_action_items_followed_like_a_reviews,
    |f| async move {
        use debrief_core::retro::Choice;
        use debrief_core::{Retro, RetroItemKind};
        let s = f.store();
        let ledger = |title: &str, started: &str| {
            let mut i = sample(title, Severity::Sev2, "ledger", started);
            i.summary =
                "The month-end batch filled the ledger connection pool; payments timed out.".into();
            i
        };
        let inc = s
            .create_incident(&ledger("Ledger pool exhausted", "2026-11-02T00:00:00Z"))
            .await
            .unwrap();
        let incident_action = s.get_incident(inc).await.unwrap().actions[0].id.unwrap();
        let mut r = Retro::new(
            "Payments, sprint 42",
            Some("payments".into()),
            date("2026-11-20"),
        );
        r.incidents = vec![inc];
        let id = s.create_retro(&r).await.unwrap();
        s.update_retro(id, |r| {
            r.add(RetroItemKind::Stop, "Deploying on Friday afternoons")?;
            r.add(RetroItemKind::Start, "Pairing on runbook changes")?;
            r.add(RetroItemKind::Continue, "Monthly game days")?;
            r.vote(2, 3)?;
            r.vote(1, 1)?;
            Ok(())
        })
        .await
        .unwrap();
        // A bad close writes nothing: no action item, still open.
        assert!(
            s.close_retro(
                id,
                &[Choice {
                    item: 7,
                    owner: "sre".into()
                }],
                None,
                date("2026-11-21")
            )
            .await
            .is_err()
        );
        assert_eq!(s.get_retro(id).await.unwrap().closed, None);
        assert_eq!(
            s.list_actions(&ActionFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );

        let closed = s
            .close_retro(
                id,
                &[
                    Choice {
                        item: 2,
                        owner: "sre".into(),
                    },
                    Choice {
                        item: 1,
                        owner: "payments".into(),
                    },
                ],
                Some(date("2026-12-01")),
                date("2026-11-21"),
            )
            .await
            .unwrap();
        assert_eq!(closed.actions.len(), 2);
        let (pairing, fridays) = (closed.actions[0].id.unwrap(), closed.actions[1].id.unwrap());
        assert_ne!(pairing, incident_action, "action numbers are shared");
        assert_eq!(closed.items[1].action, Some(pairing));
        assert_eq!(closed.items[0].action, Some(fridays));
        assert_eq!(closed.items[2].action, None);
        assert_eq!(s.get_retro(id).await.unwrap(), closed, "read back whole");
        // A closed retro keeps its votes.
        assert!(
            s.update_retro(id, |r| r.vote(3, 1).map(|_| ()))
                .await
                .is_err()
        );

        // On the board with where they came from, overdue like any other item.
        let board = s.list_actions(&ActionFilter::default()).await.unwrap();
        assert_eq!(board.len(), 3);
        let from_retro: Vec<&ActionRow> = board
            .iter()
            .filter(|r| r.source == ActionSource::Retro(id))
            .collect();
        assert_eq!(from_retro.len(), 2);
        assert!(
            from_retro
                .iter()
                .all(|r| r.source_title == "Payments, sprint 42")
        );
        let json = serde_json::to_value(from_retro[0]).unwrap();
        assert_eq!(json["retro"], id.to_string());
        assert!(json.get("incident").is_none(), "{json}");
        let overdue = s
            .list_actions(&ActionFilter {
                overdue_on: Some(date("2026-12-05")),
                statuses: vec![ActionStatus::Open],
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(overdue.iter().any(|r| r.action.id == Some(pairing)));

        // Closing one goes through the retro; follow-through and metrics count it.
        let done = s
            .update_action(pairing, |a| {
                a.status = ActionStatus::Done;
                a.closed = Some(date("2026-11-25"));
                a.worked = Some(true);
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(done.source, ActionSource::Retro(id));
        assert_eq!(done.source_open, 1);
        let after = s.get_retro(id).await.unwrap();
        assert_eq!(after.actions[0].status, ActionStatus::Done);
        assert_eq!(after.open_actions(), 1);
        let ft = s.follow_through(date("2026-11-30")).await.unwrap();
        assert_eq!((ft.total, ft.closed, ft.worked), (3, 1, 1));
        let m = s.metrics(None, MetricsBy::All).await.unwrap();
        assert_eq!((m[0].retros_held, m[0].retro_actions), (1, 2));
        assert!((m[0].retro_action_closure - 0.5).abs() < 1e-9);
        assert_eq!(m[0].incidents, 1);
        assert!(m[0].action_closure.abs() < 1e-9, "incidents' items only");

        // An incident's review cannot take over a retro's item.
        let err = s
            .update_incident(inc, |i| {
                let mut stolen = i.actions[0].clone();
                stolen.id = Some(fridays);
                i.actions.push(stolen);
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("belongs to RETRO-1"), "{err}");

        // Search and the digest find it.
        let found = s
            .search(&SearchQuery {
                text: "runbook pairing".into(),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.retros.len(), 1);
        assert_eq!(found.retros[0].id, id);
        let d = s
            .digest(
                &debrief_signals::kinds::Rules::defaults(),
                ts("2026-11-15T00:00:00Z"),
                ts("2026-11-28T00:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(d.retros.len(), 1);
        assert_eq!(d.retros[0].actions.len(), 2);

        // Export and import elsewhere: the same retro with its items, numbers kept.
        let all = s.retros().await.unwrap();
        assert_eq!(s.import_retros(&all).await.unwrap(), (0, 0, 1));

        // The failure the retro looked back on comes back after the item closed: the item
        // is "closed but recurred", read through the retro's incident.
        let later = s
            .create_incident(&ledger(
                "Ledger pool exhausted again",
                "2026-11-28T00:00:00Z",
            ))
            .await
            .unwrap();
        s.compute_problems(ts("2026-11-29T00:00:00Z"))
            .await
            .unwrap();
        let ft = s.follow_through(date("2026-11-30")).await.unwrap();
        let back: Vec<_> = ft.recurred.iter().filter(|r| r.action == pairing).collect();
        assert_eq!(back.len(), 1, "{ft:?}");
        assert_eq!((back[0].incident, back[0].came_back), (inc, later));
    }
);

/// A store made before retros (schema 14) keeps its action items when it is opened by this
/// debrief, which rebuilds the SQLite table so an item may come from a retro.
#[tokio::test]
async fn action_items_of_an_older_store_survive_the_retros_migration() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut c = sqlx::sqlite::SqliteConnection::connect(&format!(
            "sqlite://{}?mode=rwc",
            path.display()
        ))
        .await
        .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE debrief_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
             applied_at TEXT NOT NULL)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        for m in MIGRATIONS_SQLITE.iter().filter(|m| m.version <= 14) {
            sqlx::raw_sql(m.sql).execute(&mut c).await.unwrap();
            sqlx::query("INSERT INTO debrief_schema VALUES ($1, $2, '2026-01-01T00:00:00Z')")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut c)
                .await
                .unwrap();
        }
        sqlx::raw_sql(
            "INSERT INTO incidents (id, title, type, severity, status, review_state)
                 VALUES (4, 'Old one', 'operational', 'sev2', 'resolved', 'draft');
             INSERT INTO action_items (id, incident_id, position, title, kind, owner_team, due,
                 status, opened, closed, worked)
                 VALUES (9, 4, 0, 'Add a check', 'prevent', 'platform', '2026-02-01', 'done',
                         '2026-01-02', '2026-01-10', 1),
                        (10, 4, 1, 'Write the runbook', 'process', NULL, NULL, 'open',
                         '2026-01-02', NULL, NULL);",
        )
        .execute(&mut c)
        .await
        .unwrap();
    }
    let s = Store::open(&path.display().to_string()).await.unwrap();
    let i = s.get_incident(IncidentId(4)).await.unwrap();
    assert_eq!(i.actions.len(), 2);
    assert_eq!(i.actions[0].id, Some(ActionId(9)));
    assert_eq!(i.actions[0].owner.as_deref(), Some("platform"));
    assert_eq!(i.actions[0].worked, Some(true));
    assert_eq!(i.actions[1].title, "Write the runbook");
    let rows = s.list_actions(&ActionFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.source == ActionSource::Incident(IncidentId(4)))
    );
    // The next item gets the next number.
    let r = s
        .create_retro(&debrief_core::Retro::new("After", None, date("2026-03-01")))
        .await
        .unwrap();
    s.update_retro(r, |x| {
        x.add(debrief_core::RetroItemKind::Start, "Checks")
            .map(|_| ())
    })
    .await
    .unwrap();
    let closed = s
        .close_retro(
            r,
            &[debrief_core::retro::Choice {
                item: 1,
                owner: "platform".into(),
            }],
            None,
            date("2026-03-01"),
        )
        .await
        .unwrap();
    assert_eq!(closed.actions[0].id, Some(ActionId(11)));
    s.close().await;
}

/// The pre-mortems and the number of near-miss reports a search finds.
async fn found_kept(store: &Store, text: &str) -> (Vec<PremortemId>, usize) {
    let q = SearchQuery {
        text: text.into(),
        limit: 10,
        ..Default::default()
    };
    let found = store.search(&q).await.unwrap();
    (
        found.premortems.iter().map(|p| p.id).collect(),
        found.near_misses.len(),
    )
}

story!(
    search_of_the_records_kept_in_memory_sees_every_write_from_any_process,
    |f| async move {
        use debrief_core::{Premortem, Risk, RiskLevel};
        let s = f.store();
        let p = s
            .create_premortem(&Premortem::new("Billing migration", None))
            .await
            .unwrap();
        assert_eq!(found_kept(s, "billing").await, (vec![p], 0));
        // Another process (another store on the same database) writes; this one sees it.
        let other = Store::open(&f.location).await.unwrap();
        other
            .update_premortem(p, |x| {
                x.risks.push(Risk {
                    text: "Invoices are sent twice".into(),
                    likelihood: RiskLevel::Medium,
                    impact: RiskLevel::High,
                    mitigation: String::new(),
                    owner: None,
                    mitigated: false,
                });
                Ok(())
            })
            .await
            .unwrap();
        other
            .report_near_miss(date("2026-11-02"), "Invoices nearly sent twice", "", "")
            .await
            .unwrap();
        assert_eq!(found_kept(s, "invoices").await, (vec![p], 1));
        // And this one's own writes too, in the same process.
        s.update_premortem(p, |x| {
            x.title = "Ledger migration".into();
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(found_kept(s, "billing").await, (vec![], 0));
        assert_eq!(found_kept(&other, "ledger").await, (vec![p], 0));
        other.close().await;
    }
);
