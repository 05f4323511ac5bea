use super::*;
use crate::db::{Backend, testing};

fn event(n: usize) -> Event {
    Event {
        actor: format!("user:{n}"),
        organisation_id: Some("org:1".into()),
        action: "case.view".into(),
        target: Some("case:01AB1234521".into()),
        details: serde_json::json!({ "n": n }),
        client_ip: Some("127.0.0.1".into()),
    }
}

fn test_keys() -> AuditKeys {
    install_test_keys();
    (*keys().unwrap()).clone()
}

fn stored(n: i64) -> Stored {
    Stored {
        seq: n,
        at_ms: 10,
        actor: "user:1".into(),
        organisation_id: Some("org:1".into()),
        action: "case.view".into(),
        target: Some("case:01AB1234521".into()),
        details: "{\"n\":1}".into(),
        client_ip: Some("127.0.0.1".into()),
        prev_hash: GENESIS.into(),
        hash: String::new(),
        key_id: None,
    }
}

#[test]
fn the_mac_covers_every_stored_field_and_the_key() {
    let keys = test_keys();
    let k = &keys.current;
    let s = stored(1);
    let base = event_mac(k, &s);
    assert_eq!(base.len(), 64);
    let changes: [fn(&mut Stored); 9] = [
        |s| s.seq = 2,
        |s| s.at_ms = 11,
        |s| s.actor = "user:2".into(),
        |s| s.organisation_id = None,
        |s| s.action = "case.download".into(),
        |s| s.target = None,
        // The same JSON written differently is a different event: the stored bytes count.
        |s| s.details = "{\"n\": 1}".into(),
        |s| s.client_ip = None,
        |s| s.prev_hash = "1".repeat(64),
    ];
    for change in changes {
        let mut c = s.clone();
        change(&mut c);
        assert_ne!(base, event_mac(k, &c));
    }
    // Length prefixes: moving text between fields changes the MAC.
    let mut a = s.clone();
    a.actor = "user:1case.view".into();
    a.action = String::new();
    assert_ne!(base, event_mac(k, &a));
    // Another key makes another MAC; the unkeyed hash is not the MAC.
    assert_ne!(base, event_mac(&AuditKey::new([1; 32]), &s));
    assert_ne!(base, legacy_hash(&s));
}

#[test]
fn links_are_checked() {
    let keys = test_keys();
    let mut good = stored(1);
    good.key_id = Some(keys.current.id().to_owned());
    good.hash = event_mac(&keys.current, &good);
    assert_eq!(check_link(&keys, 0, GENESIS, false, &good), Ok(()));
    assert_eq!(
        check_link(&keys, 1, GENESIS, false, &good),
        Err(ChainError::Gap {
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        check_link(&keys, 0, &"f".repeat(64), false, &good),
        Err(ChainError::BrokenLink { seq: 1 })
    );
    let mut altered = good.clone();
    altered.actor = "user:2".into();
    assert_eq!(
        check_link(&keys, 0, GENESIS, false, &altered),
        Err(ChainError::Altered { seq: 1 })
    );
    // Someone with the database but not the key rewrites an event and its unkeyed hash.
    let mut forged = altered.clone();
    forged.key_id = None;
    forged.hash = legacy_hash(&forged);
    assert_eq!(
        check_link(&keys, 0, GENESIS, true, &forged),
        Err(ChainError::Unkeyed { seq: 1 }),
        "an unkeyed event after keyed ones"
    );
    let mut unknown = good.clone();
    unknown.key_id = Some("deadbeef".into());
    assert!(matches!(
        check_link(&keys, 0, GENESIS, false, &unknown),
        Err(ChainError::UnknownKey { seq: 1, .. })
    ));
}

#[tokio::test]
async fn appended_events_verify_and_cannot_be_changed() {
    for (db, _guard) in testing::all().await {
        assert_eq!(
            verify_chain(&db).await.unwrap(),
            0,
            "an empty trail verifies"
        );
        for n in 1..=3 {
            assert_eq!(
                record(&db, &event(n), 1000 + n as i64).await.unwrap(),
                n as i64
            );
        }
        assert_eq!(verify_chain(&db).await.unwrap(), 3, "{:?}", db.backend);

        let update = sqlx::query("UPDATE audit_events SET actor = 'user:9' WHERE seq = 2")
            .execute(&db.pool)
            .await;
        assert!(
            update.unwrap_err().to_string().contains("append-only"),
            "{:?}",
            db.backend
        );
        let delete = sqlx::query("DELETE FROM audit_events WHERE seq = 3")
            .execute(&db.pool)
            .await;
        assert!(
            delete.unwrap_err().to_string().contains("append-only"),
            "{:?}",
            db.backend
        );
        assert_eq!(verify_chain(&db).await.unwrap(), 3);
    }
}

async fn disable_triggers(db: &crate::db::Db) {
    let statements: &[&str] = match db.backend {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
        ],
        Backend::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
    };
    for s in statements {
        sqlx::query(s).execute(&db.pool).await.unwrap();
    }
}

/// The defect review found: the chain was an unkeyed SHA-256, so whoever could write the
/// database could rewrite an event and recompute every hash after it. Now they cannot make the
/// MAC; and re-writing the stored JSON in an equivalent form is found too.
#[tokio::test]
async fn tampering_behind_the_triggers_is_found_even_with_the_hashes_recomputed() {
    for (db, _guard) in testing::all().await {
        for n in 1..=4 {
            record(&db, &event(n), 1000).await.unwrap();
        }
        disable_triggers(&db).await;
        // Event 2 rewritten, and the chain after it re-hashed the only way open without the
        // key: unkeyed, as the old chain was.
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, prev_hash FROM audit_events WHERE seq >= 2 ORDER BY seq")
                .fetch_all(&db.pool)
                .await
                .unwrap();
        let mut prev = rows[0].1.clone();
        for (seq, _) in rows {
            let row = sqlx::query(
                "SELECT seq, at_ms, actor, organisation_id, action, target, details, client_ip, \
                 prev_hash, hash, key_id FROM audit_events WHERE seq = $1",
            )
            .bind(seq)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            let mut s = super::stored(&row).unwrap();
            if seq == 2 {
                s.target = Some("case:99XX9999999".into());
            }
            s.prev_hash = prev.clone();
            s.key_id = None;
            s.hash = legacy_hash(&s);
            sqlx::query(
                "UPDATE audit_events SET target = $1, prev_hash = $2, hash = $3, key_id = NULL WHERE seq = $4",
            )
            .bind(&s.target)
            .bind(&s.prev_hash)
            .bind(&s.hash)
            .bind(seq)
            .execute(&db.pool)
            .await
            .unwrap();
            prev = s.hash;
        }
        match verify_chain(&db).await {
            Err(VerifyError::Chain(ChainError::Unkeyed { seq: 2 })) => {}
            other => panic!("{:?}: expected event 2 found, got {other:?}", db.backend),
        }
    }
    for (db, _guard) in testing::all().await {
        for n in 1..=2 {
            record(&db, &event(n), 1000).await.unwrap();
        }
        disable_triggers(&db).await;
        sqlx::query("UPDATE audit_events SET details = '{\"n\": 1}' WHERE seq = 1")
            .execute(&db.pool)
            .await
            .unwrap();
        match verify_chain(&db).await {
            Err(VerifyError::Chain(ChainError::Altered { seq: 1 })) => {}
            other => panic!("{:?}: expected event 1 altered, got {other:?}", db.backend),
        }
    }
}

/// Removing the newest events leaves a chain that checks out on its own: the checkpoint
/// written outside the database shows it.
#[tokio::test]
async fn removing_the_last_events_is_found_by_the_checkpoints() {
    for (db, _guard) in testing::all().await {
        let keys = test_keys();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anchors.log");
        let mut last = 0;
        for n in 1..=3 {
            record(&db, &event(n), 1000).await.unwrap();
        }
        let c = anchor::checkpoint(&db, &file, &mut last, 5000)
            .await
            .unwrap();
        assert_eq!(c.map(|c| c.seq), Some(3));
        assert_eq!(
            anchor::checkpoint(&db, &file, &mut last, 6000)
                .await
                .unwrap(),
            None,
            "nothing new, no line"
        );
        record(&db, &event(4), 1000).await.unwrap();
        let checkpoints = anchor::read(&keys, &[&file]).unwrap();
        assert_eq!(checkpoints.len(), 1);
        assert_eq!(verify(&db, &keys, Some(&checkpoints)).await.unwrap(), 4);

        disable_triggers(&db).await;
        sqlx::query("DELETE FROM audit_events WHERE seq >= 3")
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(
            verify_chain(&db).await.unwrap(),
            2,
            "the chain alone looks whole"
        );
        match verify(&db, &keys, Some(&checkpoints)).await {
            Err(VerifyError::Chain(ChainError::Truncated {
                last: 2,
                anchored: 3,
            })) => {}
            other => panic!("{:?}: expected truncation, got {other:?}", db.backend),
        }
        // No checkpoints at all is not taken as a pass.
        match verify(&db, &keys, Some(&[])).await {
            Err(VerifyError::Chain(ChainError::NoAnchors)) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn checkpoint_lines_cannot_be_forged() {
    let keys = test_keys();
    let c = anchor::Checkpoint {
        at_ms: 1,
        seq: 7,
        hash: "ab".repeat(32),
    };
    let line = anchor::line(&keys, &c);
    assert_eq!(anchor::parse(&keys, &format!("{line}\n\n")), Ok(vec![c]));
    let forged = line.replace(" 7 ", " 9 ");
    assert!(matches!(
        anchor::parse(&keys, &forged),
        Err(ChainError::BadAnchor { line: 1, .. })
    ));
    assert!(anchor::parse(&keys, "junk").is_err());
}

#[tokio::test]
async fn concurrent_appends_form_one_chain() {
    for (db, _guard) in testing::all().await {
        let tasks: Vec<_> = (0..24)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move { record(&db, &event(n), 1000).await })
            })
            .collect();
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap().unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=24).collect::<Vec<_>>(), "{:?}", db.backend);
        assert_eq!(verify_chain(&db).await.unwrap(), 24, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn an_event_rolls_back_with_its_change() {
    for (db, _guard) in testing::all().await {
        let mut tx = db.begin().await.unwrap();
        append(&mut tx, &event(1), 1000).await.unwrap();
        drop(tx);
        assert_eq!(verify_chain(&db).await.unwrap(), 0, "{:?}", db.backend);
        record(&db, &event(2), 1000).await.unwrap();
        assert_eq!(verify_chain(&db).await.unwrap(), 1);
    }
}

/// On PostgreSQL the service runs as a role that may only INSERT and SELECT the audit table:
/// it cannot change or remove events, nor switch off or drop the triggers; it can do its work.
#[tokio::test]
async fn the_service_role_cannot_rewrite_the_audit_trail() {
    let Some(owner) = testing::postgres().await else {
        return;
    };
    let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
        return;
    };
    let role = format!("svc_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE ROLE {role} LOGIN"))
        .execute(&owner.pool)
        .await
        .unwrap();
    owner.grant_service(&role).await.unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    let database: (String,) = sqlx::query_as("SELECT CAST(current_database() AS TEXT)")
        .fetch_one(&owner.pool)
        .await
        .unwrap();
    let server = server.replace("caseaccess@", &format!("{role}@"));
    let service = crate::db::Db::connect(
        &format!("{server}/{}", database.0),
        &crate::db::DbOptions::default(),
    )
    .await
    .unwrap();
    // Its work: events are appended and read; other tables are written.
    record(&service, &event(1), 1000).await.unwrap();
    record(&service, &event(2), 1000).await.unwrap();
    assert_eq!(verify_chain(&service).await.unwrap(), 2);
    sqlx::query(
        "INSERT INTO throttle (key, failures, last_failure, blocked_until) VALUES ('k', 1, 1, 0)",
    )
    .execute(&service.pool)
    .await
    .unwrap();
    for forbidden in [
        "UPDATE audit_events SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "DROP TRIGGER audit_events_no_update ON audit_events",
        "ALTER TABLE audit_events ADD COLUMN sneaky TEXT",
        "DELETE FROM _sqlx_migrations",
    ] {
        let err = sqlx::query(forbidden)
            .execute(&service.pool)
            .await
            .expect_err(forbidden)
            .to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{forbidden}: {err}"
        );
    }
    assert_eq!(verify_chain(&service).await.unwrap(), 2);
    service.pool.close().await;
}
