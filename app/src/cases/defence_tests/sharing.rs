//! Sharing defence material with a co-defendant's firm, and new material told to the firm on
//! record, against real databases: a co-defendant's firm neither sees nor downloads what is not
//! shared with its client; a share is conditional, reversible and audited; a firm gaining
//! material gets a "new" tag and an email, once.

use super::{
    uploads::{body, setup},
    *,
};
use crate::{
    cases::{
        new_material,
        sharing::{self, Refused as No},
        upload,
    },
    objects::Objects,
};

async fn listed(
    conn_db: &Db,
    m: &Member,
    case_id: &str,
    title: &str,
) -> Option<read::MaterialView> {
    let mut conn = conn_db.pool.acquire().await.expect("conn");
    read::case(&mut conn, m, case_id)
        .await
        .expect("read")
        .expect("a case they may see")
        .material
        .into_iter()
        .find(|x| x.title == title)
}

async fn emails_to(db: &Db, to: &str, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE to_address = $1 AND kind = $2")
        .bind(to)
        .bind(kind)
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

async fn new_for(db: &Db, m: &Member) -> i64 {
    let mut conn = db.pool.acquire().await.expect("conn");
    read::firm_cases(&mut conn, &m.organisation_id, "", NOW)
        .await
        .expect("cases")
        .first()
        .map_or(0, |l| l.new_material)
}

#[tokio::test]
async fn a_co_defendants_firm_reads_defence_material_only_while_it_is_shared_with_its_client() {
    for (db, _guard) in testing::all().await {
        let (state, case_id, files) = with_case(db).await;
        let db = &state.db;
        let name = format!("{:?}", db.backend);
        let objects = Objects::file_system(&files.path().join("objects")).expect("store");
        let (a, b, offer) = setup(&state, &case_id).await;
        let d2 = defendant(db, "D2").await;
        let pdf = b"%PDF-1.7\nthe defence statement\n%%EOF\n";
        let ok = upload::accept(
            db,
            &objects,
            &state.notices,
            &a,
            &offer,
            body(pdf),
            1 << 20,
            false,
            NOW,
        )
        .await
        .expect("accepted");
        let title = offer.title.as_str();

        // Not shared: the co-defendant's firm neither sees nor downloads it; the uploader does.
        assert!(listed(db, &b, &case_id, title).await.is_none(), "{name}");
        assert!(
            defence::download(db, &b, &case_id, &ok.material_id, NOW)
                .await
                .expect("db")
                .is_none(),
            "{name}"
        );
        let own = listed(db, &a, &case_id, title).await.expect("listed");
        assert!(own.readable && own.shared_with.is_empty() && !own.new);
        assert_eq!(own.receipt.as_deref(), Some(ok.receipt.as_str()));

        // Only the uploading firm changes it, only to other defendants of the case.
        let set = |m: &Member, with: Vec<String>| {
            let (m, state, case_id, receipt) = (
                m.clone(),
                state.clone(),
                case_id.clone(),
                ok.receipt.clone(),
            );
            async move {
                sharing::set(&state, &m, &case_id, &receipt, &with, NOW + 60)
                    .await
                    .expect("db")
            }
        };
        assert_eq!(set(&b, vec![d2.clone()]).await, Err(No::NotFound), "{name}");
        assert_eq!(
            set(&a, vec![offer.defendant_id.clone()]).await,
            Err(No::UnknownDefendant)
        );
        assert_eq!(
            set(&a, vec!["nobody".into()]).await,
            Err(No::UnknownDefendant)
        );

        // Shared with D2: B's firm (on record for D2) sees it as new, reads it, is emailed.
        let done = set(&a, vec![d2.clone()]).await.expect("shared");
        assert_eq!(done.added, vec![d2.clone()]);
        let theirs = listed(db, &b, &case_id, title).await.expect("now listed");
        assert!(
            theirs.readable && theirs.shared_to_us && theirs.new,
            "{name}"
        );
        assert_eq!(theirs.receipt, None, "the receipt is the uploader's");
        let d = defence::download(db, &b, &case_id, &ok.material_id, NOW + 61)
            .await
            .expect("db")
            .expect("readable now");
        assert_eq!(d.sha256, crate::files::sha256_hex(pdf));
        assert_eq!(emails_to(db, "b@b.example", "material_new").await, 1);
        assert_eq!(new_for(db, &b).await, 1);
        let own = listed(db, &a, &case_id, title).await.expect("listed");
        assert_eq!(own.shared_with, vec!["Cwmni Cyf".to_owned()]);

        // Saving the same again changes nothing and tells no one again.
        assert_eq!(
            set(&a, vec![d2.clone()]).await,
            Ok(sharing::Changed::default())
        );
        assert_eq!(emails_to(db, "b@b.example", "material_new").await, 1);

        // Opening the material takes the tag off for the whole firm.
        let mut conn = db.pool.acquire().await.expect("conn");
        assert_eq!(
            new_material::seen(&mut conn, &b.organisation_id, &case_id)
                .await
                .expect("seen"),
            1
        );
        drop(conn);
        assert!(!listed(db, &b, &case_id, title).await.expect("listed").new);
        assert_eq!(new_for(db, &b).await, 0);

        // Two unshares at once: exactly one removes it, and one audit event says so.
        let (x, y) = tokio::join!(set(&a, vec![]), set(&a, vec![]));
        let removed = [x, y]
            .into_iter()
            .map(|r| r.expect("allowed").removed.len())
            .sum::<usize>();
        assert_eq!(removed, 1, "{name}");
        assert!(listed(db, &b, &case_id, title).await.is_none(), "{name}");
        assert!(
            defence::download(db, &b, &case_id, &ok.material_id, NOW + 62)
                .await
                .expect("db")
                .is_none(),
            "{name}: unshared, unreadable at once"
        );
        let events: Vec<String> = sqlx::query_scalar(
            "SELECT details FROM audit_events WHERE action = 'material.shared' ORDER BY seq",
        )
        .fetch_all(&db.pool)
        .await
        .expect("audit");
        assert_eq!(
            events.len(),
            2,
            "{name}: one share, one unshare: {events:?}"
        );
        assert!(events[0].contains(&d2) && events[0].contains("added"));

        // Shared again while B has not opened it, then unshared: the tag goes with it.
        set(&a, vec![d2.clone()]).await.expect("shared");
        assert_eq!(new_for(db, &b).await, 1);
        set(&a, vec![]).await.expect("unshared");
        assert_eq!(new_for(db, &b).await, 0, "{name}");

        // A firm no longer on record for the document's defendant cannot change who sees it.
        defence::disassociate(&state, &a, &case_id, &offer.defendant_id, NOW + 90)
            .await
            .expect("db")
            .expect("off record");
        assert_eq!(
            set(&a, vec![d2.clone()]).await,
            Err(No::NotActing),
            "{name}"
        );
        crate::audit::verify_chain(db).await.expect("chain");
    }
}

#[tokio::test]
async fn new_prosecution_material_is_told_to_the_firm_on_record_once() {
    for (db, _guard) in testing::all().await {
        let (mut state, case_id, files) = with_case(db).await;
        state.files = files.path().to_owned();
        let db = &state.db;
        let name = format!("{:?}", db.backend);
        let (a, b, _) = setup(&state, &case_id).await;
        let import = |doc: serde_json::Value, at: i64| {
            let (state, files) = (state.clone(), files.path().to_owned());
            async move {
                let cases =
                    import::parse(&doc.to_string(), &import::tests::sections()).expect("valid");
                store::import(&state.db, &files, &cases, &Who::system(), &state.mail, at)
                    .await
                    .expect("imported");
            }
        };
        let mut doc = import::tests::example();
        let statement = serde_json::json!({ "ref": "M2", "section": "statements", "title": "Witness statement",
            "defendant": "D2", "file": { "name": "ws.pdf", "content_type": "application/pdf",
            "base64": "JVBERi0xLjcK" } });
        doc["material"]
            .as_array_mut()
            .expect("list")
            .push(statement.clone());
        import(doc.clone(), NOW + 10).await;
        // For D2 only: B's firm is told, A's is not.
        assert_eq!(
            emails_to(db, "b@b.example", "material_new").await,
            1,
            "{name}"
        );
        assert_eq!(
            emails_to(db, "a@a.example", "material_new").await,
            0,
            "{name}"
        );
        assert_eq!(new_for(db, &b).await, 1);
        assert!(
            listed(db, &b, &case_id, "Witness statement")
                .await
                .expect("listed")
                .new
        );
        // The same again: nothing new. Other bytes under the same reference: new again.
        import(doc.clone(), NOW + 20).await;
        assert_eq!(
            emails_to(db, "b@b.example", "material_new").await,
            1,
            "{name}"
        );
        let mut seen = db.pool.acquire().await.expect("conn");
        new_material::seen(&mut seen, &b.organisation_id, &case_id)
            .await
            .expect("seen");
        drop(seen);
        doc["material"][1]["file"]["base64"] = "JVBERi0xLjcKJSVFT0YK".into();
        doc["material"][1]["title"] = "Witness statement (amended)".into();
        import(doc.clone(), NOW + 30).await;
        assert_eq!(
            emails_to(db, "b@b.example", "material_new").await,
            2,
            "{name}"
        );
        let m = listed(db, &b, &case_id, "Witness statement (amended)")
            .await
            .expect("listed");
        assert!(
            m.new && m.served_at == NOW + 30,
            "{name}: served again, now"
        );
        // Material for the whole case reaches both firms.
        doc["material"].as_array_mut().expect("list").push(serde_json::json!({
            "ref": "M3", "section": "case-summary", "title": "Case summary",
            "file": { "name": "s.pdf", "content_type": "application/pdf", "base64": "JVBERi0xLjUK" } }));
        import(doc, NOW + 40).await;
        assert_eq!(
            emails_to(db, "a@a.example", "material_new").await,
            1,
            "{name}"
        );
        assert_eq!(
            emails_to(db, "b@b.example", "material_new").await,
            3,
            "{name}"
        );
        let told: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.material_new'",
        )
        .fetch_one(&db.pool)
        .await
        .expect("audit");
        assert_eq!(told, 4, "{name}");
        let _ = a;
        crate::audit::verify_chain(db).await.expect("chain");
    }
}
