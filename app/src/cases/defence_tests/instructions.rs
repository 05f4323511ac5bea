//! Counsel instructed by the firm on record, against real databases: counsel's organisation
//! sees the case and reads what the instructing firm reads for that defendant (and nothing of
//! a co-defendant's firm's), one instruction per organisation however many arrive at once, and
//! access ends at once when the firm withdraws it or stops acting (and does not come back when
//! the firm returns to record).

use super::*;
use crate::cases::instructions::{self, Refused as No};

/// Adds a document to the case directly: `served_by` a prosecutor's code or a firm's id, with
/// `uploaded_by` for a firm's upload.
async fn document(
    db: &Db,
    case_id: &str,
    defendant_id: Option<&str>,
    title: &str,
    served_by: &str,
    uploaded_by: Option<&str>,
) -> String {
    let id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO material (id, case_id, defendant_id, ref, section, title, idpc, file_name, \
         content_type, size, sha256, served_by, served_at, status, uploaded_by) \
         VALUES ($1, $2, $3, $4, 'other', $5, 0, 'x.pdf', 'application/pdf', 9, 'ab', $6, $7, \
         'clean', $8)",
    )
    .bind(&id)
    .bind(case_id)
    .bind(defendant_id)
    .bind(&id)
    .bind(title)
    .bind(served_by)
    .bind(NOW)
    .bind(uploaded_by)
    .execute(&db.pool)
    .await
    .expect("material");
    id
}

async fn reads(db: &Db, m: &Member, case_id: &str, material: &str) -> bool {
    defence::download(db, m, case_id, material, NOW)
        .await
        .expect("download")
        .is_some()
}

/// What the member's case page lists: (title, readable), or none when the case is not theirs.
async fn listed(db: &Db, m: &Member, case_id: &str) -> Option<Vec<(String, bool)>> {
    let mut conn = db.pool.acquire().await.expect("conn");
    read::case(&mut conn, m, case_id)
        .await
        .expect("read")
        .map(|c| {
            c.material
                .into_iter()
                .map(|x| (x.title, x.readable))
                .collect()
        })
}

async fn firm_cases(db: &Db, m: &Member) -> usize {
    let mut conn = db.pool.acquire().await.expect("conn");
    read::firm_cases(&mut conn, &m.organisation_id, "", NOW)
        .await
        .expect("cases")
        .len()
}

#[tokio::test]
async fn counsel_read_what_the_instructing_firm_reads_until_the_instruction_ends() {
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let (d1, d2) = (defendant(db, "D1").await, defendant(db, "D2").await);
        let (fa, fb, fc) = (
            org(db, "Firm A").await,
            org(db, "Firm B").await,
            org(db, "Chambers C").await,
        );
        let a = member(db, &fa, "a@a.example", "administrator,advocate").await;
        let a2 = member(db, &fa, "a2@a.example", "user").await;
        let b = member(db, &fb, "b@b.example", "administrator").await;
        let c = member(db, &fc, "counsel@c.example", "advocate").await;
        let c2 = member(db, &fc, "clerk@c.example", "administrator").await;
        for m in [&a, &b] {
            defence::find(db, m, &urn(), &both(), NOW)
                .await
                .expect("find");
        }
        defence::associate(&state, &a, &case_id, &d1, Nature::Private, None, NOW)
            .await
            .expect("db")
            .expect("A on record for D1");
        defence::associate(&state, &b, &case_id, &d2, Nature::Private, None, NOW)
            .await
            .expect("db")
            .expect("B on record for D2");
        let idpc: String = sqlx::query_scalar("SELECT id FROM material WHERE idpc = 1")
            .fetch_one(&db.pool)
            .await
            .expect("idpc");
        let for_d2 = document(db, &case_id, Some(&d2), "For D2", "CPS", None).await;
        let a_upload = document(db, &case_id, Some(&d1), "A's", &fa, Some(&a.user.id)).await;
        let b_upload = document(db, &case_id, Some(&d2), "B's", &fb, Some(&b.user.id)).await;
        let b_shared = document(db, &case_id, Some(&d2), "B's shared", &fb, Some(&b.user.id)).await;
        sqlx::query(
            "INSERT INTO material_shares (material_id, defendant_id, shared_by, shared_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&b_shared)
        .bind(&d1)
        .bind(&b.user.id)
        .bind(NOW)
        .execute(&db.pool)
        .await
        .expect("share");

        // Before: counsel have nothing.
        assert!(listed(db, &c, &case_id).await.is_none(), "{name}");
        assert!(!reads(db, &c, &case_id, &idpc).await, "{name}");
        assert_eq!(firm_cases(db, &c).await, 0);

        // Refusals, each with its reason; nothing given.
        let instruct = |m: &Member, d: &str, email: &str| {
            let (state, m, d, email, case_id) = (
                state.clone(),
                m.clone(),
                d.to_owned(),
                email.to_owned(),
                case_id.clone(),
            );
            async move {
                instructions::instruct(&state, &m, &case_id, &d, &email, NOW)
                    .await
                    .expect("db")
            }
        };
        assert_eq!(
            instruct(&a, &d1, "nobody@c.example").await,
            Err(No::NoAdvocate)
        );
        assert_eq!(
            instruct(&a, &d1, "a2@a.example").await,
            Err(No::OwnOrganisation)
        );
        assert_eq!(
            instruct(&a, &d2, "counsel@c.example").await,
            Err(No::NotYours),
            "{name}: A is not on record for D2"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM instructions").await,
            0,
            "{name}"
        );

        // Two at once (two colleagues, the same chambers): exactly one instruction.
        let (r1, r2) = tokio::join!(
            instruct(&a, &d1, "Counsel@C.example"),
            instruct(&a2, &d1, "clerk@c.example")
        );
        let mut rs = [r1, r2];
        rs.sort_by_key(Result::is_err);
        assert!(rs[0].is_ok(), "{name}: {rs:?}");
        assert_eq!(rs[1], Err(No::Already("Chambers C".into())), "{name}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM instructions").await, 1);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'counsel_instructed'"
            )
            .await,
            1,
            "{name}: told once"
        );

        // Counsel's organisation (both its members) reads what Firm A reads for D1.
        for m in [&c, &c2] {
            let seen = listed(db, m, &case_id).await.expect("counsel see the case");
            let readable = |t: &str| seen.iter().find(|x| x.0 == t).map(|x| x.1);
            assert_eq!(readable("IDPC"), Some(true), "{name}");
            assert_eq!(readable("A's"), Some(true), "{name}: the firm's upload");
            assert_eq!(readable("B's shared"), Some(true), "{name}: shared with D1");
            assert_eq!(readable("B's"), None, "{name}: a co-defendant's firm's");
            assert_eq!(
                readable("For D2"),
                Some(false),
                "{name}: listed, not readable"
            );
            assert!(reads(db, m, &case_id, &idpc).await);
            assert!(reads(db, m, &case_id, &a_upload).await, "{name}");
            assert!(reads(db, m, &case_id, &b_shared).await, "{name}");
            assert!(!reads(db, m, &case_id, &b_upload).await, "{name}");
            assert!(!reads(db, m, &case_id, &for_d2).await, "{name}");
            assert_eq!(firm_cases(db, m).await, 1, "{name}");
        }
        let mut conn = db.pool.acquire().await.expect("conn");
        let page = read::case(&mut conn, &a, &case_id)
            .await
            .expect("read")
            .expect("case");
        let counsel = &page.defendants[0].counsel;
        assert_eq!(counsel.len(), 1, "{name}");
        assert_eq!(counsel[0].organisation, "Chambers C");
        drop(conn);
        // Counsel act through the firm: they cannot take the defendant on themselves.
        assert_eq!(
            defence::associate(&state, &c, &case_id, &d2, Nature::Private, None, NOW)
                .await
                .expect("db"),
            Err(Refused::NotFound),
            "{name}"
        );

        // Withdrawn only by the firm that gave it; then access ends at once.
        assert_eq!(
            instructions::withdraw(&state, &b, &case_id, &d1, &fc, NOW)
                .await
                .expect("db"),
            Err(No::NotInstructed)
        );
        instructions::withdraw(&state, &a, &case_id, &d1, &fc, NOW + 60)
            .await
            .expect("db")
            .expect("withdrawn");
        assert_eq!(
            instructions::withdraw(&state, &a, &case_id, &d1, &fc, NOW + 61)
                .await
                .expect("db"),
            Err(No::NotInstructed),
            "{name}: once"
        );
        assert!(listed(db, &c, &case_id).await.is_none(), "{name}");
        assert!(!reads(db, &c, &case_id, &a_upload).await);
        assert_eq!(firm_cases(db, &c).await, 0);

        // Instructed again, then the firm stops acting: the instruction ends with it, and
        // does not come back when the firm returns to record.
        instruct(&a, &d1, "counsel@c.example")
            .await
            .expect("instructed again");
        assert!(reads(db, &c, &case_id, &idpc).await);
        defence::disassociate(&state, &a, &case_id, &d1, NOW + 120)
            .await
            .expect("db")
            .expect("off record");
        assert!(!reads(db, &c, &case_id, &idpc).await, "{name}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM instructions").await, 0);
        defence::associate(&state, &a, &case_id, &d1, Nature::Private, None, NOW + 180)
            .await
            .expect("db")
            .expect("back on record");
        assert!(listed(db, &c, &case_id).await.is_none(), "{name}");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'counsel_ended'"
            )
            .await,
            2,
            "{name}: told when withdrawn and when it lapsed"
        );
        // Both sides' Access history keep what happened, though the instructions are gone.
        let history = |org: String| {
            let db = db.clone();
            let case_id = case_id.clone();
            async move {
                let mut conn = db.pool.acquire().await.expect("conn");
                read::history(&mut conn, &org, &case_id)
                    .await
                    .expect("history")
                    .into_iter()
                    .filter(|h| h.what.contains("instructed_") || h.what.starts_with("counsel_"))
                    .map(|h| (h.what, h.who, h.other))
                    .collect::<Vec<_>>()
            }
        };
        let firm = history(fa.clone()).await;
        let kinds: Vec<(&str, &str)> = firm
            .iter()
            .map(|(w, _, o)| (w.as_str(), o.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("counsel_lapsed", "Chambers C"),
                ("counsel_withdrawn", "Chambers C"),
                ("counsel_instructed", "Chambers C"),
                ("counsel_instructed", "Chambers C"),
            ],
            "{name}: newest first"
        );
        assert_eq!(
            firm[0].1, "Test Person",
            "{name}: who took the firm off record"
        );
        let theirs = history(fc.clone()).await;
        let kinds: Vec<(&str, &str, &str)> = theirs
            .iter()
            .map(|(w, who, o)| (w.as_str(), who.as_str(), o.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("instructed_lapsed", "", "Firm A"),
                ("instructed_withdrawn", "", "Firm A"),
                ("instructed_instructed", "", "Firm A"),
                ("instructed_instructed", "", "Firm A"),
            ],
            "{name}: counsel's side, without the firm's people's names"
        );
        assert!(
            history(fb.clone()).await.is_empty(),
            "{name}: not another firm's"
        );
        for action in ["case.counsel.instructed", "case.counsel.withdrawn"] {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1")
                .bind(action)
                .fetch_one(&db.pool)
                .await
                .expect("audit");
            assert!(n >= 1, "{name}: {action}");
        }
        crate::audit::verify_chain(db).await.expect("chain");
    }
}

#[tokio::test]
async fn counsel_give_an_instruction_back_once_and_the_firm_is_told() {
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let d1 = defendant(db, "D1").await;
        let (fa, fb, fc) = (
            org(db, "Firm A").await,
            org(db, "Firm B").await,
            org(db, "Chambers C").await,
        );
        let a = member(db, &fa, "a@a.example", "administrator,advocate").await;
        let b = member(db, &fb, "b@b.example", "administrator").await;
        let c = member(db, &fc, "counsel@c.example", "advocate").await;
        let c2 = member(db, &fc, "clerk@c.example", "administrator").await;
        defence::find(db, &a, &urn(), &both(), NOW)
            .await
            .expect("find");
        defence::associate(&state, &a, &case_id, &d1, Nature::Private, None, NOW)
            .await
            .expect("db")
            .expect("A on record for D1");
        instructions::instruct(&state, &a, &case_id, &d1, "counsel@c.example", NOW)
            .await
            .expect("db")
            .expect("instructed");
        let idpc: String = sqlx::query_scalar("SELECT id FROM material WHERE idpc = 1")
            .fetch_one(&db.pool)
            .await
            .expect("idpc");
        assert!(reads(db, &c, &case_id, &idpc).await, "{name}");

        let give_back = |m: &Member, at: i64| {
            let (state, m, case_id, d1) = (state.clone(), m.clone(), case_id.clone(), d1.clone());
            async move {
                instructions::give_back(&state, &m, &case_id, &d1, at)
                    .await
                    .expect("db")
            }
        };
        // Only counsel's organisation gives it back: not the firm, not another firm.
        assert_eq!(give_back(&a, NOW).await, Err(No::NotInstructed), "{name}");
        assert_eq!(give_back(&b, NOW).await, Err(No::NotInstructed), "{name}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM instructions").await, 1);

        // Two of counsel's people at once: given back once.
        let (r1, r2) = tokio::join!(give_back(&c, NOW + 60), give_back(&c2, NOW + 60));
        let mut rs = [r1, r2];
        rs.sort_by_key(Result::is_err);
        assert_eq!(rs[0], Ok("Firm A".to_owned()), "{name}: {rs:?}");
        assert_eq!(rs[1], Err(No::NotInstructed), "{name}");
        assert_eq!(count(db, "SELECT COUNT(*) FROM instructions").await, 0);
        assert!(
            listed(db, &c, &case_id).await.is_none(),
            "{name}: access ends"
        );
        assert!(!reads(db, &c, &case_id, &idpc).await, "{name}");
        assert_eq!(firm_cases(db, &c).await, 0, "{name}");
        assert!(
            reads(db, &a, &case_id, &idpc).await,
            "{name}: the firm acts on"
        );

        // Whoever gave the instruction is told, once.
        let told: Vec<(String,)> =
            sqlx::query_as("SELECT to_address FROM outbox WHERE kind = 'instruction_returned'")
                .fetch_all(&db.pool)
                .await
                .expect("outbox");
        assert_eq!(told, [("a@a.example".to_owned(),)], "{name}");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'case.counsel.returned'"
            )
            .await,
            1,
            "{name}"
        );

        // Both sides' history; counsel's own people are named to counsel only.
        let history = |org: String| {
            let db = db.clone();
            let case_id = case_id.clone();
            async move {
                let mut conn = db.pool.acquire().await.expect("conn");
                read::history(&mut conn, &org, &case_id)
                    .await
                    .expect("history")
                    .into_iter()
                    .filter(|h| h.what.contains("instructed_") || h.what.starts_with("counsel_"))
                    .map(|h| (h.what, h.who, h.other))
                    .collect::<Vec<_>>()
            }
        };
        let firm = history(fa.clone()).await;
        assert_eq!(firm[0].0, "counsel_returned", "{name}: {firm:?}");
        assert_eq!((firm[0].1.as_str(), firm[0].2.as_str()), ("", "Chambers C"));
        let theirs = history(fc.clone()).await;
        assert_eq!(theirs[0].0, "instructed_returned", "{name}: {theirs:?}");
        assert_eq!(
            (theirs[0].1.as_str(), theirs[0].2.as_str()),
            ("Test Person", "Firm A")
        );

        // Given back is not barred: the firm may instruct them again.
        instructions::instruct(&state, &a, &case_id, &d1, "counsel@c.example", NOW + 120)
            .await
            .expect("db")
            .expect("instructed again");
        assert!(reads(db, &c, &case_id, &idpc).await, "{name}");
        crate::audit::verify_chain(db).await.expect("chain");
    }
}
