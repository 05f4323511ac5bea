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

#[test]
fn hash_covers_every_field() {
    let e = event(1);
    let base = chain_hash(1, 10, &e, GENESIS);
    assert_eq!(base.len(), 64);
    assert_ne!(base, chain_hash(2, 10, &e, GENESIS));
    assert_ne!(base, chain_hash(1, 11, &e, GENESIS));
    assert_ne!(base, chain_hash(1, 10, &e, &"1".repeat(64)));
    let mut changed = e.clone();
    changed.target = None;
    assert_ne!(base, chain_hash(1, 10, &changed, GENESIS));
    let mut changed = e.clone();
    changed.details = serde_json::json!({ "n": 2 });
    assert_ne!(base, chain_hash(1, 10, &changed, GENESIS));
    // Length prefixes: moving text between fields changes the hash.
    let mut a = e.clone();
    a.actor = "user:1case.view".into();
    a.action = String::new();
    let mut b = e.clone();
    b.actor = "user:1".into();
    b.action = "case.viewcase.view".into();
    assert_ne!(
        chain_hash(1, 10, &a, GENESIS),
        chain_hash(1, 10, &b, GENESIS)
    );
}

#[test]
fn links_are_checked() {
    let e = event(1);
    let good = Stored {
        seq: 1,
        at_ms: 5,
        hash: chain_hash(1, 5, &e, GENESIS),
        prev_hash: GENESIS.into(),
        event: e,
    };
    assert_eq!(check_link(0, GENESIS, &good), Ok(()));
    assert_eq!(
        check_link(1, GENESIS, &good),
        Err(ChainError::Gap {
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        check_link(0, &"f".repeat(64), &good),
        Err(ChainError::BrokenLink { seq: 1 })
    );
    let mut altered = good.clone();
    altered.event.actor = "user:2".into();
    assert_eq!(
        check_link(0, GENESIS, &altered),
        Err(ChainError::Altered { seq: 1 })
    );
}

#[tokio::test]
async fn appended_events_verify_and_cannot_be_changed() {
    for (db, _guard) in testing::all().await {
        assert_eq!(verify(&db).await.unwrap(), 0, "an empty trail verifies");
        for n in 1..=3 {
            assert_eq!(
                record(&db, &event(n), 1000 + n as i64).await.unwrap(),
                n as i64
            );
        }
        assert_eq!(verify(&db).await.unwrap(), 3, "{:?}", db.backend);

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
        assert_eq!(verify(&db).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn tampering_behind_the_triggers_is_found() {
    for (db, _guard) in testing::all().await {
        for n in 1..=4 {
            record(&db, &event(n), 1000).await.unwrap();
        }
        // Someone with full database access turns the guard off and edits event 2.
        let disable = match db.backend {
            Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
            Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
        };
        sqlx::query(disable).execute(&db.pool).await.unwrap();
        sqlx::query("UPDATE audit_events SET target = 'case:99XX9999999' WHERE seq = 2")
            .execute(&db.pool)
            .await
            .unwrap();
        match verify(&db).await {
            Err(VerifyError::Chain(ChainError::Altered { seq: 2 })) => {}
            other => panic!("{:?}: expected event 2 altered, got {other:?}", db.backend),
        }
    }
}

#[tokio::test]
async fn removing_the_last_events_is_found() {
    for (db, _guard) in testing::all().await {
        for n in 1..=3 {
            record(&db, &event(n), 1000).await.unwrap();
        }
        let disable = match db.backend {
            Backend::Sqlite => "DROP TRIGGER audit_events_no_delete",
            Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
        };
        sqlx::query(disable).execute(&db.pool).await.unwrap();
        sqlx::query("DELETE FROM audit_events WHERE seq = 3")
            .execute(&db.pool)
            .await
            .unwrap();
        match verify(&db).await {
            Err(VerifyError::Chain(ChainError::Truncated { last: 2, head: 3 })) => {}
            other => panic!("{:?}: expected truncation, got {other:?}", db.backend),
        }
    }
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
        assert_eq!(verify(&db).await.unwrap(), 24, "{:?}", db.backend);
    }
}

#[tokio::test]
async fn an_event_rolls_back_with_its_change() {
    for (db, _guard) in testing::all().await {
        let mut tx = db.begin().await.unwrap();
        append(&mut tx, &event(1), 1000).await.unwrap();
        drop(tx);
        assert_eq!(verify(&db).await.unwrap(), 0, "{:?}", db.backend);
        record(&db, &event(2), 1000).await.unwrap();
        assert_eq!(verify(&db).await.unwrap(), 1);
    }
}
