//! The defence operations against real databases (SQLite, and PostgreSQL when the test command
//! provides one): finding a case is counted before it is judged, association is exclusive
//! under concurrency, and disassociation ends access at once.

use super::{
    defence::{self, Found, Member, Nature, Refused, Typed},
    import, read, store,
    urn::Urn,
};
use crate::{
    accounts::store::{self as users, NewUser, Who},
    db::{Db, testing},
    state::{AppState, for_tests},
};

const NOW: i64 = 1_795_251_600;

mod instructions;
mod resumable;
mod sharing;

async fn org(db: &Db, name: &str) -> String {
    let id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO organisations (id, name, address, postcode, sra_number, accountable_name, \
         accountable_email, accountable_phone, terms_version, terms_signed_name, terms_signed_at, \
         created_at) VALUES ($1, $2, '1 Street', 'CF10 1AA', '612345', 'Ann', 'ann@x.example', \
         '029 2000 0000', 'v', 'Ann', $3, $3)",
    )
    .bind(&id)
    .bind(name)
    .bind(NOW)
    .execute(&db.pool)
    .await
    .expect("organisation");
    id
}

async fn member(db: &Db, org_id: &str, email: &str, roles: &str) -> Member {
    let mut conn = db.pool.acquire().await.expect("conn");
    let id = users::insert_user(
        &mut conn,
        &NewUser {
            organisation_id: Some(org_id),
            staff_role: None,
            email,
            first_name: "Test",
            last_name: "Person",
            roles,
            status: "active",
            password_hash: None,
        },
        NOW,
    )
    .await
    .expect("user");
    Member {
        user: users::user_in(&mut conn, &id).await.expect("read user"),
        organisation_id: org_id.to_owned(),
        ip: "192.0.2.1".into(),
    }
}

/// A state with the example case imported; its id.
async fn with_case(db: Db) -> (AppState, String, tempfile::TempDir) {
    crate::audit::install_test_keys();
    let files = tempfile::tempdir().expect("dir");
    let c = crate::courts::Court {
        name: "Cardiff Magistrates' Court".into(),
        region: crate::courts::Region::Wales,
        go_live: "2026-10-05".parse().expect("date"),
    };
    crate::courts::store::upsert_all(&db, &[c], 0, "cli", "test")
        .await
        .expect("court");
    store::upsert_prosecutor(
        &db,
        "CPS",
        "Crown Prosecution Service",
        "cps@cps.example",
        1,
    )
    .await
    .expect("prosecutor");
    let cases = import::parse(
        &import::tests::example().to_string(),
        &import::tests::sections(),
    )
    .expect("valid");
    store::import(
        &db,
        files.path(),
        &cases,
        &Who::system(),
        &crate::state::test_mail(),
        NOW,
    )
    .await
    .expect("imported");
    let (id,): (String,) = sqlx::query_as("SELECT id FROM cases")
        .fetch_one(&db.pool)
        .await
        .expect("case");
    let mut state = for_tests(db, NOW);
    state.files = files.path().to_owned();
    (state, id, files)
}

fn both() -> Vec<Typed> {
    vec![
        Typed::Company {
            name: "cwmni cyf".into(),
        },
        Typed::Person {
            first_name: "sian".into(),
            last_name: "O'Brien - Jones".into(),
            date_of_birth: "1990-02-03".into(),
        },
    ]
}

fn urn() -> Urn {
    Urn::parse("01ab1234526").expect("urn")
}

async fn defendant(db: &Db, r: &str) -> String {
    let (id,): (String,) = sqlx::query_as("SELECT id FROM defendants WHERE ref = $1")
        .bind(r)
        .fetch_one(&db.pool)
        .await
        .expect("defendant");
    id
}

async fn count(db: &Db, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&db.pool)
        .await
        .expect("count");
    n
}

#[tokio::test]
async fn finding_needs_every_defendant_and_guessing_is_counted_first() {
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let firm = org(db, "Smith & Co").await;
        let ann = member(db, &firm, "ann@smith.example", "user").await;
        let wrong = vec![both()[0].clone()];
        assert_eq!(
            defence::find(db, &ann, &urn(), &wrong, NOW)
                .await
                .expect("find"),
            Found::NoMatch,
            "{name}: one of two defendants is not enough"
        );
        assert_eq!(
            defence::find(db, &ann, &urn(), &both(), NOW)
                .await
                .expect("find"),
            Found::Case(case_id.clone()),
            "{name}"
        );
        let mut conn = db.pool.acquire().await.expect("conn");
        let st = defence::standing(&mut conn, &ann.user.id, &firm, &case_id)
            .await
            .expect("standing");
        assert!(st.declared && !st.associated, "{name}");
        drop(conn);
        // A burst of wrong guesses in parallel: at most the allowance is judged.
        let u = urn();
        let guesses = (0..12).map(|_| defence::find(db, &ann, &u, &wrong, NOW));
        let results: Vec<Found> = futures_join_all(guesses)
            .await
            .into_iter()
            .map(|r| r.expect("no database error"))
            .collect();
        let judged = results.iter().filter(|r| **r == Found::NoMatch).count();
        let waits = results
            .iter()
            .filter(|r| matches!(r, Found::Wait(_)))
            .count();
        assert!(judged <= 5, "{name}: {judged} judged");
        assert_eq!(judged + waits, 12, "{name}");
        // Even the right details wait now: the block is on the user, not on being wrong.
        assert!(matches!(
            defence::find(db, &ann, &urn(), &both(), NOW)
                .await
                .expect("find"),
            Found::Wait(_)
        ));
        let failed = count(
            db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.find.failed'",
        )
        .await;
        assert_eq!(failed, 1 + i64::try_from(judged).expect("n"), "{name}");
        assert!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'case.find.throttled'"
            )
            .await
                >= 1
        );
        crate::audit::verify_chain(db).await.expect("chain");
    }
}

async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = vec![];
    for f in fs {
        set.push(f);
    }
    let mut out = vec![];
    // Polled together: each starts before any finishes.
    let mut pinned: Vec<_> = set.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}

#[tokio::test]
async fn two_firms_at_once_leave_exactly_one_on_record() {
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let d1 = defendant(db, "D1").await;
        let mut members = vec![];
        for i in 0..6 {
            let firm = org(db, &format!("Firm {i}")).await;
            let m = member(db, &firm, &format!("u{i}@firm{i}.example"), "user").await;
            assert!(matches!(
                defence::find(db, &m, &urn(), &both(), NOW)
                    .await
                    .expect("find"),
                Found::Case(_)
            ));
            members.push(m);
        }
        let attempts = members
            .iter()
            .map(|m| defence::associate(&state, m, &case_id, &d1, Nature::Private, None, NOW));
        let results: Vec<_> = futures_join_all(attempts)
            .await
            .into_iter()
            .map(|r| r.expect("no database error"))
            .collect();
        let won: Vec<usize> = (0..results.len()).filter(|i| results[*i].is_ok()).collect();
        assert_eq!(won.len(), 1, "{name}: {results:?}");
        let winner = crate::organisation::store::name(
            &mut db.pool.acquire().await.expect("conn"),
            &members[won[0]].organisation_id,
        )
        .await
        .expect("name");
        for (i, r) in results.iter().enumerate() {
            if i != won[0] {
                assert_eq!(r, &Err(Refused::OtherFirm(winner.clone())), "{name}");
            }
        }
        assert_eq!(count(db, "SELECT COUNT(*) FROM associations").await, 1);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'laa_associated'"
            )
            .await,
            1,
            "{name}: the LAA is told once"
        );
        // The database itself refuses a second firm, whatever the code does.
        let other = &members[(won[0] + 1) % members.len()];
        let direct = sqlx::query(
            "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, \
             associated_at) VALUES ($1, $2, $3, 'private', 1)",
        )
        .bind(&d1)
        .bind(&case_id)
        .bind(&other.organisation_id)
        .execute(&db.pool)
        .await;
        assert!(direct.is_err(), "{name}");
        crate::audit::verify_chain(db).await.expect("chain");
    }
}

#[tokio::test]
async fn release_then_disassociate_then_the_other_firm_associates_and_access_follows() {
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let d1 = defendant(db, "D1").await;
        let (fa, fb) = (org(db, "Firm A").await, org(db, "Firm B").await);
        let a = member(db, &fa, "a@a.example", "administrator,user").await;
        let b = member(db, &fb, "b@b.example", "user").await;
        let a2 = member(db, &fa, "a2@a.example", "user").await;
        for m in [&a, &b] {
            defence::find(db, m, &urn(), &both(), NOW)
                .await
                .expect("find");
        }
        let (idpc,): (String,) = sqlx::query_as("SELECT id FROM material WHERE idpc = 1")
            .fetch_one(&db.pool)
            .await
            .expect("idpc");
        // The IDPC after one's own declaration; a colleague who has not declared gets nothing.
        assert!(
            defence::download(db, &b, &case_id, &idpc, NOW)
                .await
                .expect("dl")
                .is_some()
        );
        assert!(
            defence::download(db, &a2, &case_id, &idpc, NOW)
                .await
                .expect("dl")
                .is_none()
        );
        defence::associate(
            &state,
            &a,
            &case_id,
            &d1,
            Nature::OrderGranted,
            Some("1A234B"),
            NOW,
        )
        .await
        .expect("db")
        .expect("associated");
        // Now Firm A's colleague reads it (full access by association).
        assert!(
            defence::download(db, &a2, &case_id, &idpc, NOW)
                .await
                .expect("dl")
                .is_some()
        );
        assert_eq!(
            defence::associate(&state, &b, &case_id, &d1, Nature::Private, None, NOW)
                .await
                .expect("db"),
            Err(Refused::OtherFirm("Firm A".into()))
        );
        defence::request_release(&state, &b, &case_id, &d1, "Client instructed us", NOW)
            .await
            .expect("db")
            .expect("asked");
        assert_eq!(
            defence::request_release(&state, &b, &case_id, &d1, "again", NOW)
                .await
                .expect("db"),
            Err(Refused::AlreadyAsked),
            "{name}"
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'release_request'"
            )
            .await,
            1,
            "{name}: Firm A's one administrator"
        );
        let mut conn = db.pool.acquire().await.expect("conn");
        let seen = read::case(&mut conn, &a, &case_id)
            .await
            .expect("read")
            .expect("case");
        let d = seen.defendants.iter().find(|d| d.id == d1).expect("d1");
        assert_eq!(d.asked_of_us.len(), 1, "{name}");
        drop(conn);
        assert_eq!(
            defence::disassociate(&state, &b, &case_id, &d1, NOW)
                .await
                .expect("db"),
            Err(Refused::NotYours)
        );
        defence::disassociate(&state, &a, &case_id, &d1, NOW + 60)
            .await
            .expect("db")
            .expect("disassociated");
        // Access ends at once for the firm's colleague (no declaration of their own).
        assert!(
            defence::download(db, &a2, &case_id, &idpc, NOW)
                .await
                .expect("dl")
                .is_none()
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM release_requests WHERE status = 'released'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'release_done'"
            )
            .await,
            1
        );
        defence::associate(&state, &b, &case_id, &d1, Nature::Private, None, NOW + 120)
            .await
            .expect("db")
            .expect("the second firm associates");
        let mut conn = db.pool.acquire().await.expect("conn");
        let lines = read::firm_cases(&mut conn, &fb, "", NOW)
            .await
            .expect("list");
        assert_eq!(lines.len(), 1, "{name}");
        assert!(lines[0].defendants.contains("Siân"), "{lines:?}");
        assert_eq!(
            read::firm_cases(&mut conn, &fb, "o'brien", NOW)
                .await
                .expect("list")
                .len(),
            1,
            "{name}: by name"
        );
        assert_eq!(
            read::firm_cases(&mut conn, &fb, "01 ab 12", NOW)
                .await
                .expect("list")
                .len(),
            1,
            "{name}: by URN prefix"
        );
        assert!(
            read::firm_cases(&mut conn, &fb, "nobody", NOW)
                .await
                .expect("list")
                .is_empty()
        );
        assert!(
            read::firm_cases(&mut conn, &fa, "", NOW)
                .await
                .expect("list")
                .is_empty()
        );
        let history = read::history(&mut conn, &fa, &case_id)
            .await
            .expect("history");
        let mut what: Vec<&str> = history.iter().map(|h| h.what.as_str()).collect();
        assert_eq!(what[0], "disassociated", "{name}: newest first");
        what.sort_unstable();
        assert_eq!(
            what,
            ["associated", "declared", "disassociated", "downloaded"],
            "{name}: Firm B's own declaration is not in Firm A's history"
        );
        drop(conn);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM outbox WHERE kind LIKE 'laa_%'").await,
            3,
            "{name}"
        );
        crate::audit::verify_chain(db).await.expect("chain");
    }
}

#[tokio::test]
async fn the_idpc_can_be_asked_for_once_when_missing() {
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let f = org(db, "Firm A").await;
        let a = member(db, &f, "a@a.example", "user").await;
        assert_eq!(
            defence::request_idpc(&state, &a, &case_id, NOW)
                .await
                .expect("db"),
            Err(Refused::NotFound),
            "{name}: not without finding the case"
        );
        defence::find(db, &a, &urn(), &both(), NOW)
            .await
            .expect("find");
        assert_eq!(
            defence::request_idpc(&state, &a, &case_id, NOW)
                .await
                .expect("db"),
            Err(Refused::NotNeeded),
            "{name}: the case has its IDPC"
        );
        sqlx::query("UPDATE material SET idpc = 0")
            .execute(&db.pool)
            .await
            .expect("no idpc");
        // Two at once: one request, one email.
        let (one, two) = tokio::join!(
            defence::request_idpc(&state, &a, &case_id, NOW),
            defence::request_idpc(&state, &a, &case_id, NOW),
        );
        let asked = [one.expect("db"), two.expect("db")];
        assert_eq!(
            asked.iter().filter(|r| r.is_ok()).count(),
            1,
            "{name}: {asked:?}"
        );
        assert!(asked.contains(&Err(Refused::NotNeeded)), "{name}");
        assert_eq!(
            defence::request_idpc(&state, &a, &case_id, NOW)
                .await
                .expect("db"),
            Err(Refused::NotNeeded)
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'idpc_request'"
            )
            .await,
            1,
            "{name}"
        );
        let (to,): (String,) =
            sqlx::query_as("SELECT to_address FROM outbox WHERE kind = 'idpc_request'")
                .fetch_one(&db.pool)
                .await
                .expect("email");
        assert_eq!(to, "cps@cps.example", "{name}");
    }
}

#[tokio::test]
async fn staff_find_a_case_for_a_caller_and_read_the_representation_records() {
    use super::staff;
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let f = org(db, "Firm A").await;
        let a = member(db, &f, "a@a.example", "user").await;
        defence::find(db, &a, &urn(), &both(), NOW)
            .await
            .expect("find");
        let d1 = defendant(db, "D1").await;
        defence::associate(
            &state,
            &a,
            &case_id,
            &d1,
            Nature::OrderApplied,
            Some("1A234B"),
            NOW,
        )
        .await
        .expect("db")
        .expect("associated");
        let mut conn = db.pool.acquire().await.expect("conn");
        let by_urn = staff::find_for_caller(&mut conn, "01 ab 12345 26", None)
            .await
            .expect("search");
        assert_eq!(by_urn.len(), 2, "{name}: both defendants");
        assert_eq!(
            by_urn[0].5.as_deref(),
            Some("Firm A"),
            "{name}: who is on record"
        );
        assert_eq!(by_urn[1].5, None, "{name}: the company has nobody");
        let by_name = staff::find_for_caller(&mut conn, "SIAN o'brien-jones", Some("1990-02-03"))
            .await
            .expect("search");
        assert_eq!(by_name.len(), 1, "{name}");
        assert!(
            staff::find_for_caller(&mut conn, "Sian O'Brien-Jones", Some("1990-02-04"))
                .await
                .expect("search")
                .is_empty(),
            "{name}: another date of birth"
        );
        assert!(
            staff::find_for_caller(&mut conn, "O'Brien", None)
                .await
                .expect("search")
                .is_empty(),
            "{name}: not fuzzy"
        );
        for q in ["", "01AB1234526", "1a234b", "firm a", "Sian O'Brien-Jones"] {
            let rows = staff::records(&mut conn, q).await.expect("records");
            assert_eq!(rows.len(), 1, "{name}: {q:?}");
            assert_eq!(rows[0].4, "associated");
        }
        assert!(
            staff::records(&mut conn, "Firm B")
                .await
                .expect("records")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_request_for_a_urn_is_answered_once_and_the_asker_told() {
    use super::urn_requests::{self as requests, Answer, Ask};
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, _case_id, _files) = with_case(db).await;
        let db = &state.db;
        let f = org(db, "Firm A").await;
        let a = member(db, &f, "a@a.example", "user").await;
        let ask = Ask {
            first_name: "Siân".into(),
            last_name: "O'Brien-Jones".into(),
            date_of_birth: "1990-02-03".into(),
            address: "1 Heol y Frenhines\nCaerdydd".into(),
            court: Some("Cardiff Magistrates' Court".into()),
            hearing_date: None,
        };
        let id = requests::submit(&state, &a, &ask, NOW).await.expect("sent");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'urn_request'").await,
            1,
            "{name}: to the service's mailbox when nobody has the role"
        );
        let mut conn = db.pool.acquire().await.expect("conn");
        assert_eq!(requests::open(&mut conn).await.expect("open").len(), 1);
        drop(conn);
        let staff = Who::system();
        let urn = Answer::Urn(urn());
        let not = Answer::NotFound("no such case".into());
        let (one, two) = tokio::join!(
            requests::answer(&state, &staff, &a.user.id, &id, &urn, NOW + 5),
            requests::answer(&state, &staff, &a.user.id, &id, &not, NOW + 5),
        );
        let answered = [one.expect("db"), two.expect("db")];
        assert_eq!(
            answered.iter().filter(|x| **x).count(),
            1,
            "{name}: answered once"
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM outbox WHERE kind = 'urn_answer'").await,
            1,
            "{name}: the asker told once"
        );
        let mut conn = db.pool.acquire().await.expect("conn");
        assert!(requests::open(&mut conn).await.expect("open").is_empty());
        let mine = requests::firm(&mut conn, &f, NOW + 10).await.expect("firm");
        assert_eq!(mine.len(), 1);
        assert_ne!(mine[0].status, "open", "{name}");
    }
}

#[test]
fn the_urn_request_form_lists_every_problem() {
    use super::urn_requests::parse;
    let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let courts = vec!["Cardiff Magistrates' Court".to_owned()];
    let errors = parse(
        &form(&[
            ("court", "Atlantis"),
            ("hearing-day", "40"),
            ("hearing-month", "1"),
            ("hearing-year", "2026"),
        ]),
        &courts,
        crate::i18n::Lang::En,
    )
    .expect_err("problems");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "first",
            "last",
            "dob-day",
            "address",
            "court",
            "hearing-day"
        ]
    );
    let ok = parse(
        &form(&[
            ("first", "Siân"),
            ("last", "Jones"),
            ("dob-day", "3"),
            ("dob-month", "2"),
            ("dob-year", "1990"),
            ("address", " 1 Street \n\n Cardiff "),
        ]),
        &courts,
        crate::i18n::Lang::En,
    )
    .expect("valid");
    assert_eq!(ok.address, "1 Street\nCardiff");
    assert_eq!(ok.court, None);
}

#[tokio::test]
async fn a_representation_order_moves_the_defendant_to_the_firm_it_names() {
    use super::orders::{self, Order, Refused as OrderRefused};
    for (db, _guard) in testing::all().await {
        let name = format!("{:?}", db.backend);
        let (state, case_id, _files) = with_case(db).await;
        let db = &state.db;
        let (fa, fb) = (org(db, "Firm A").await, org(db, "Firm B").await);
        sqlx::query("UPDATE organisations SET laa_account = '2B345C' WHERE id = $1")
            .bind(&fb)
            .execute(&db.pool)
            .await
            .expect("account");
        let a = member(db, &fa, "a@a.example", "administrator,user").await;
        let _b = member(db, &fb, "b@b.example", "administrator,user").await;
        defence::find(db, &a, &urn(), &both(), NOW)
            .await
            .expect("find");
        let d1 = defendant(db, "D1").await;
        defence::associate(&state, &a, &case_id, &d1, Nature::Private, None, NOW)
            .await
            .expect("db")
            .expect("associated");
        let order = |who: &str, account: &str| Order {
            urn: urn(),
            defendant: who.into(),
            laa_account: account.into(),
            reference: "RO-1".into(),
        };
        let laa = Who::system();
        assert_eq!(
            orders::record(&state, &laa, &order("Nobody", "2B345C"), NOW)
                .await
                .expect("db"),
            Err(OrderRefused::NoDefendant)
        );
        assert_eq!(
            orders::record(&state, &laa, &order("Sian O'Brien-Jones", "9Z999Z"), NOW)
                .await
                .expect("db"),
            Err(OrderRefused::NoFirm)
        );
        orders::record(
            &state,
            &laa,
            &order("siân o’brien-jones", "2B345C"),
            NOW + 60,
        )
        .await
        .expect("db")
        .expect("recorded");
        let mut conn = db.pool.acquire().await.expect("conn");
        assert_eq!(
            defence::on_record(&mut conn, &d1)
                .await
                .expect("read")
                .map(|r| r.1),
            Some("Firm B".to_owned()),
            "{name}"
        );
        drop(conn);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM association_events WHERE event IN ('moved_in', 'moved_out')"
            )
            .await,
            2,
            "{name}"
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM outbox WHERE kind = 'representation_order'"
            )
            .await,
            2,
            "{name}: both firms' administrators"
        );
        // Firm A's access has ended.
        assert_eq!(
            defence::disassociate(&state, &a, &case_id, &d1, NOW + 90)
                .await
                .expect("db"),
            Err(Refused::NotYours)
        );
        crate::audit::verify_chain(db).await.expect("chain");
    }
}

mod uploads {
    use super::*;
    use crate::{
        cases::upload::{self, Offer, Refused as No, UploadError},
        objects::{Objects, testing::s3},
    };
    use bytes::Bytes;

    pub(super) type Chunks =
        futures_util::stream::Iter<std::vec::IntoIter<Result<Bytes, std::io::Error>>>;

    pub(super) fn body(bytes: &[u8]) -> Chunks {
        let parts: Vec<Result<Bytes, std::io::Error>> = bytes
            .chunks(4096)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        futures_util::stream::iter(parts)
    }

    async fn objects_kept(objects: &Objects) -> usize {
        objects.list("documents").await.expect("list").len()
    }

    /// The firm on record for D1, a co-defendant's firm, and an offer for D1.
    pub(super) async fn setup(state: &AppState, case_id: &str) -> (Member, Member, Offer) {
        let db = &state.db;
        let (d1, d2) = (defendant(db, "D1").await, defendant(db, "D2").await);
        let (fa, fb) = (org(db, "Firm A").await, org(db, "Firm B").await);
        let a = member(db, &fa, "a@a.example", "user").await;
        let b = member(db, &fb, "b@b.example", "user").await;
        for (m, d) in [(&a, &d1), (&b, &d2)] {
            defence::find(db, m, &urn(), &both(), NOW)
                .await
                .expect("find");
            defence::associate(state, m, case_id, d, Nature::Private, None, NOW)
                .await
                .expect("db")
                .expect("associated");
        }
        let offer = Offer {
            case_id: case_id.to_owned(),
            defendant_id: d1,
            section: "plea".into(),
            title: "Plea of not guilty".into(),
            file_name: "C:\\Users\\ann\\plea.pdf".into(),
            send_to_cps: true,
        };
        (a, b, offer)
    }

    async fn the_rules(state: &AppState, case_id: &str, objects: &Objects) {
        let name = format!("{:?} on {:?}", state.db.backend, objects.backend);
        let db = &state.db;
        let (a, b, offer) = setup(state, case_id).await;
        let pdf = b"%PDF-1.7\nthe plea\n%%EOF\n";
        let up = |m: &Member, o: &Offer, bytes: &[u8], limit: u64| {
            let (m, o, bytes) = (m.clone(), o.clone(), bytes.to_vec());
            async move {
                upload::accept(
                    db,
                    objects,
                    &state.notices,
                    &m,
                    &o,
                    body(&bytes),
                    limit,
                    true,
                    NOW,
                )
                .await
            }
        };
        let refused = |r: Result<upload::Accepted, UploadError<std::io::Error>>| match r {
            Err(UploadError::Refused(r)) => Some(r),
            _ => None,
        };

        // Taken: the bytes and their hash kept, the name made safe, waiting for the scan.
        let ok = up(&a, &offer, pdf, 1 << 20).await.expect("accepted");
        assert_eq!(ok.size, pdf.len() as u64, "{name}");
        assert_eq!(ok.sha256, crate::files::sha256_hex(pdf), "{name}");
        assert_eq!(ok.file_name, "plea.pdf", "{name}");
        assert_eq!(ok.status, "scanning");
        assert_eq!(ok.receipt.len(), 14);
        let (status, key, by, cps): (String, String, String, i64) = sqlx::query_as(
            "SELECT status, storage_key, served_by, send_to_cps FROM material WHERE id = $1",
        )
        .bind(&ok.material_id)
        .fetch_one(&db.pool)
        .await
        .expect("recorded");
        assert_eq!(
            (status.as_str(), by.as_str(), cps),
            ("scanning", a.organisation_id.as_str(), 1)
        );
        assert_eq!(
            objects.size(&key).await.expect("head"),
            Some(pdf.len() as u64)
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'case.material.uploaded'"
            )
            .await,
            1,
            "{name}"
        );

        // Refused before or while reading, and nothing kept.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00";
        assert_eq!(
            refused(up(&a, &offer, exe, 1 << 20).await),
            Some(No::Content),
            "{name}"
        );
        assert_eq!(
            refused(up(&a, &offer, b"", 1 << 20).await),
            Some(No::Empty),
            "{name}"
        );
        let big = [pdf.as_slice(), &[b' '; 20_000]].concat();
        assert_eq!(
            refused(up(&a, &offer, &big, 10_000).await),
            Some(No::TooLarge(10_000)),
            "{name}"
        );
        let cases = [
            (
                Offer {
                    file_name: "plea.exe".into(),
                    ..offer.clone()
                },
                No::Extension,
            ),
            (
                Offer {
                    file_name: "plea\u{202e}fdp.exe".into(),
                    ..offer.clone()
                },
                No::Extension,
            ),
            (
                Offer {
                    section: "idpc".into(),
                    ..offer.clone()
                },
                No::Section,
            ),
            (
                Offer {
                    section: "nonsense".into(),
                    ..offer.clone()
                },
                No::Section,
            ),
            (
                Offer {
                    title: "  ".into(),
                    ..offer.clone()
                },
                No::TitleMissing,
            ),
            (
                Offer {
                    title: "x".repeat(201),
                    ..offer.clone()
                },
                No::TitleTooLong,
            ),
            (
                Offer {
                    section: "general-correspondence".into(),
                    ..offer.clone()
                },
                No::SendToCpsNotOffered,
            ),
        ];
        for (o, why) in &cases {
            assert_eq!(
                refused(up(&a, o, pdf, 1 << 20).await),
                Some(*why),
                "{why:?} ({name})"
            );
        }
        // The co-defendant's firm cannot serve for D1.
        assert_eq!(
            refused(up(&b, &offer, pdf, 1 << 20).await),
            Some(No::NotOnRecord),
            "{name}"
        );

        // A connection that breaks part-way leaves nothing.
        let cut: Chunks = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"%PDF-1.7\npart")),
            Err(std::io::Error::other("connection reset")),
        ]);
        let r = upload::accept(
            db,
            objects,
            &state.notices,
            &a,
            &offer,
            cut,
            1 << 20,
            true,
            NOW,
        )
        .await;
        assert!(matches!(r, Err(UploadError::Interrupted(_))), "{name}");

        assert_eq!(
            objects_kept(objects).await,
            1,
            "only the document taken ({name})"
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM material WHERE storage_key IS NOT NULL"
            )
            .await,
            1,
            "{name}"
        );

        // The firm sees its upload waiting for the scan; the co-defendant's firm does not see it.
        let listed = |m: &Member| {
            let m = m.clone();
            async move {
                let mut conn = db.pool.acquire().await.expect("conn");
                read::case(&mut conn, &m, case_id)
                    .await
                    .expect("read")
                    .expect("their case")
                    .material
                    .into_iter()
                    .filter(|x| x.section == "plea")
                    .map(|x| (x.status, x.readable))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(listed(&a).await, [("scanning".to_owned(), false)], "{name}");
        assert_eq!(listed(&b).await, [], "{name}");
        sqlx::query("UPDATE material SET status = 'clean' WHERE id = $1")
            .bind(&ok.material_id)
            .execute(&db.pool)
            .await
            .expect("clean");
        assert_eq!(listed(&a).await, [("clean".to_owned(), true)], "{name}");
        assert_eq!(listed(&b).await, [], "not shared with other firms ({name})");
        assert!(
            defence::download(db, &b, case_id, &ok.material_id, NOW)
                .await
                .expect("dl")
                .is_none(),
            "{name}"
        );

        // With scanning configured off, a document is marked as not scanned.
        let off = upload::accept(
            db,
            objects,
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
        assert_eq!(off.status, "not_scanned");
    }

    #[tokio::test]
    async fn a_firm_on_record_serves_a_checked_document_and_nothing_else_is_kept() {
        for (db, _guard) in testing::all().await {
            let (state, case_id, files) = with_case(db).await;
            let objects = Objects::file_system(&files.path().join("objects")).expect("store");
            the_rules(&state, &case_id, &objects).await;
        }
    }

    #[tokio::test]
    async fn the_same_on_s3() {
        let (db, _guard) = testing::sqlite().await;
        let (state, case_id, _files) = with_case(db).await;
        let server = s3().await;
        the_rules(&state, &case_id, &server.objects).await;
    }

    #[tokio::test]
    async fn a_document_is_served_only_once_clamd_finds_it_clean() {
        let Some(clamd) = crate::scan::testing::clamd("10M").await else {
            return;
        };
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let (state, case_id, files) = with_case(db).await;
            let db = &state.db;
            let objects = Objects::file_system(&files.path().join("objects")).expect("store");
            let (a, _b, offer) = setup(&state, &case_id).await;
            let take = |bytes: Vec<u8>| {
                let (a, offer, objects) = (a.clone(), offer.clone(), objects.clone());
                let notices = state.notices.clone();
                async move {
                    upload::accept(
                        db,
                        &objects,
                        &notices,
                        &a,
                        &offer,
                        body(&bytes),
                        1 << 20,
                        true,
                        NOW,
                    )
                    .await
                    .expect("accepted")
                }
            };
            let clean = take(b"%PDF-1.7\nnot guilty\n".to_vec()).await;
            let eicar =
                take([b"%PDF-1.7\n".as_slice(), crate::scan::testing::EICAR].concat()).await;
            let served = |id: String| {
                let a = a.clone();
                let case_id = case_id.clone();
                async move {
                    defence::download(db, &a, &case_id, &id, NOW)
                        .await
                        .expect("dl")
                        .is_some()
                }
            };
            assert!(
                !served(clean.material_id.clone()).await,
                "not before the scan ({name})"
            );
            let r = upload::scan_waiting(db, &objects, &state.notices, &clamd.scanner, 10, NOW)
                .await
                .expect("scan");
            assert_eq!(
                (r.clean, r.infected, r.failed, r.waiting),
                (1, 1, 0, 0),
                "{name}"
            );
            assert!(served(clean.material_id.clone()).await, "{name}");
            assert!(
                !served(eicar.material_id.clone()).await,
                "EICAR never ({name})"
            );
            // Only the clean one reached the service centre and the CPS.
            for table in ["service_centre_inbox", "cps_sends"] {
                let ids: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT material_id FROM {table}"))
                        .fetch_all(&db.pool)
                        .await
                        .expect(table);
                assert_eq!(
                    ids,
                    std::slice::from_ref(&clean.material_id),
                    "{table} ({name})"
                );
            }
            assert_eq!(
                count(
                    db,
                    "SELECT COUNT(*) FROM audit_events WHERE action = 'case.material.scanned'"
                )
                .await,
                2,
                "{name}"
            );
            // Nothing is left to scan, and a second pass changes nothing.
            let again = upload::scan_waiting(db, &objects, &state.notices, &clamd.scanner, 10, NOW)
                .await
                .expect("scan");
            assert_eq!(again, upload::ScanReport::default());

            // The scanner down: the document waits, unserved, then is given up on.
            let down = crate::scan::Scanner::new(crate::scan::Address::Tcp("127.0.0.1:1".into()));
            let late = take(b"%PDF-1.7\nlate\n".to_vec()).await;
            let r = upload::scan_waiting(db, &objects, &state.notices, &down, 10, NOW + 60)
                .await
                .expect("scan");
            assert_eq!(r.waiting, 1, "{name}");
            assert!(!served(late.material_id.clone()).await, "{name}");
            let r = upload::scan_waiting(
                db,
                &objects,
                &state.notices,
                &down,
                10,
                NOW + upload::GIVE_UP_SECS,
            )
            .await
            .expect("scan");
            assert_eq!(r.failed, 1, "{name}");
            let (status,): (String,) = sqlx::query_as("SELECT status FROM material WHERE id = $1")
                .bind(&late.material_id)
                .fetch_one(&db.pool)
                .await
                .expect("status");
            assert_eq!(status, "scan_failed", "{name}");
            assert!(!served(late.material_id).await, "{name}");
        }
    }

    /// The attachment of a delivered `.eml` (the file outbox), decoded.
    fn attachment_of(eml: &str) -> Option<(String, Vec<u8>)> {
        use base64::Engine as _;
        let at = eml.find("Content-Disposition: attachment")?;
        let head_end = at + eml[at..].find("\r\n\r\n")?;
        let name = eml[at..head_end]
            .split("filename=\"")
            .nth(1)?
            .split('"')
            .next()?
            .to_owned();
        let body = &eml[head_end + 4..];
        let body = &body[..body.find("\r\n--")?];
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        Some((
            name,
            base64::engine::general_purpose::STANDARD.decode(b64).ok()?,
        ))
    }

    async fn send_to_cps_on(
        state: &AppState,
        case_id: &str,
        objects: &Objects,
        out: &std::path::Path,
    ) {
        use crate::email::sender::{Sender, Transport};
        let name = format!("{:?} on {:?}", state.db.backend, objects.backend);
        let db = &state.db;
        let (a, _b, offer) = setup(state, case_id).await;
        let offer = Offer {
            section: "statements".into(),
            title: "Defence witness statement".into(),
            file_name: "witness statement.pdf".into(),
            ..offer
        };
        // Bytes that are not text: any re-encoding on the way would show.
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend((0..=255u8).cycle().take(70_000));
        pdf.extend_from_slice(b"\n%%EOF\n");
        let small = upload::accept(
            db,
            objects,
            &state.notices,
            &a,
            &offer,
            body(&pdf),
            1 << 20,
            false,
            NOW,
        )
        .await
        .expect("accepted");
        // Over the attachment limit: a link instead.
        let tight = crate::cases::notices::Notices {
            attach_max: 1000,
            ..(*state.notices).clone()
        };
        let big = upload::accept(
            db,
            objects,
            &tight,
            &a,
            &offer,
            body(&pdf),
            1 << 20,
            false,
            NOW,
        )
        .await
        .expect("accepted");
        // Not ticked: not sent.
        let kept = upload::accept(
            db,
            objects,
            &state.notices,
            &a,
            &Offer {
                send_to_cps: false,
                ..offer.clone()
            },
            body(&pdf),
            1 << 20,
            false,
            NOW,
        )
        .await
        .expect("accepted");
        let modes: Vec<(String, String)> =
            sqlx::query_as("SELECT material_id, mode FROM cps_sends ORDER BY mode")
                .fetch_all(&db.pool)
                .await
                .expect("sends");
        assert_eq!(
            modes,
            [
                (small.material_id.clone(), "attachment".to_owned()),
                (big.material_id.clone(), "link".to_owned())
            ],
            "{name}"
        );
        assert!(!modes.iter().any(|(m, _)| *m == kept.material_id));
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM service_centre_inbox").await,
            0,
            "statements do not notify the service centre ({name})"
        );

        let sender = Sender {
            db: db.clone(),
            clock: std::sync::Arc::new(crate::clock::FixedClock(NOW + 5)),
            settings: state.notices.mail.clone(),
            transport: Transport::new(None, out.to_path_buf()).expect("files"),
            objects: Some(objects.clone()),
        };
        sender.deliver_due().await.expect("sent");
        let rows = crate::email::recent(db, 10).await.expect("outbox");
        let cps: Vec<_> = rows.iter().filter(|r| r.kind == "cps_document").collect();
        assert_eq!(cps.len(), 2, "{name}");
        let attached = cps
            .iter()
            .find(|r| r.attachment_key.is_some())
            .expect("the attached one");
        assert_eq!(attached.to_address, "defence-documents@cps.example");
        assert!(
            attached.subject.ends_with(&urn().spaced()),
            "{}",
            attached.subject
        );
        let eml =
            std::fs::read_to_string(out.join(crate::email::sender::file_name(attached, "eml")))
                .expect("delivered");
        let (file, bytes) = attachment_of(&eml).expect("an attachment");
        assert_eq!(file, "witness statement.pdf", "{name}");
        assert_eq!(
            crate::files::sha256_hex(&bytes),
            small.sha256,
            "the exact bytes ({name})"
        );
        assert_eq!(bytes, pdf, "{name}");
        // The link: it opens the document until it expires, and the outbox forgets it.
        let linked = cps
            .iter()
            .find(|r| r.attachment_key.is_none())
            .expect("the linked one");
        assert!(!eml.is_empty());
        let text =
            std::fs::read_to_string(out.join(crate::email::sender::file_name(linked, "txt")))
                .expect("delivered");
        let token = text
            .split("/cps/document?token=")
            .nth(1)
            .expect("a link")
            .split_whitespace()
            .next()
            .expect("token")
            .to_owned();
        assert!(!linked.text_body.contains(&token), "redacted once sent");
        let opened = crate::cases::notices::by_link(db, &token, "192.0.2.1", NOW + 60)
            .await
            .expect("db")
            .expect("opens");
        assert_eq!(opened.sha256, big.sha256);
        assert!(
            crate::cases::notices::by_link(
                db,
                &token,
                "192.0.2.1",
                NOW + crate::cases::notices::LINK_SECS
            )
            .await
            .expect("db")
            .is_none(),
            "expired ({name})"
        );
        assert!(
            crate::cases::notices::by_link(db, "not-a-token", "192.0.2.1", NOW)
                .await
                .expect("db")
                .is_none()
        );
        for action in [
            "case.material.sent_to_cps",
            "email.document_delivered",
            "case.material.cps_link_used",
        ] {
            assert!(
                count(
                    db,
                    &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'")
                )
                .await
                    >= 1,
                "{action} ({name})"
            );
        }
        crate::audit::verify_chain(db).await.expect("chain");
    }

    #[tokio::test]
    async fn send_to_cps_carries_the_exact_bytes() {
        for (db, _guard) in testing::all().await {
            let (state, case_id, files) = with_case(db).await;
            let objects = Objects::file_system(&files.path().join("objects")).expect("store");
            send_to_cps_on(&state, &case_id, &objects, &files.path().join("outbox")).await;
        }
        let (db, _guard) = testing::sqlite().await;
        let (state, case_id, files) = with_case(db).await;
        let server = s3().await;
        send_to_cps_on(
            &state,
            &case_id,
            &server.objects,
            &files.path().join("outbox"),
        )
        .await;
    }

    #[tokio::test]
    async fn a_tampered_document_is_never_sent() {
        let (db, _guard) = testing::sqlite().await;
        let (state, case_id, files) = with_case(db).await;
        let db = &state.db;
        let objects = Objects::file_system(&files.path().join("objects")).expect("store");
        let (a, _b, offer) = setup(&state, &case_id).await;
        let offer = Offer {
            section: "statements".into(),
            ..offer
        };
        let ok = upload::accept(
            db,
            &objects,
            &state.notices,
            &a,
            &offer,
            body(b"%PDF-1.7\nmine\n"),
            1 << 20,
            false,
            NOW,
        )
        .await
        .expect("accepted");
        let key: String = sqlx::query_scalar("SELECT storage_key FROM material WHERE id = $1")
            .bind(&ok.material_id)
            .fetch_one(&db.pool)
            .await
            .expect("key");
        objects.delete(&key).await.expect("delete");
        objects
            .put_stream(&key, body(b"%PDF-1.7\nnot mine\n"), 1 << 20, |_| true)
            .await
            .expect("replaced");
        let out = files.path().join("outbox");
        let sender = crate::email::sender::Sender {
            db: db.clone(),
            clock: std::sync::Arc::new(crate::clock::FixedClock(NOW + 5)),
            settings: state.notices.mail.clone(),
            transport: crate::email::sender::Transport::new(None, out.clone()).expect("files"),
            objects: Some(objects.clone()),
        };
        sender.deliver_due().await.expect("pass");
        let row = crate::email::recent(db, 50)
            .await
            .expect("outbox")
            .into_iter()
            .find(|r| r.kind == "cps_document")
            .expect("the email to the CPS");
        assert_eq!(row.sent_at, None);
        assert!(
            row.last_error
                .clone()
                .unwrap_or_default()
                .contains("SHA-256")
        );
        assert!(
            !out.join(crate::email::sender::file_name(&row, "eml"))
                .exists(),
            "not delivered"
        );
    }

    #[tokio::test]
    async fn the_service_centre_inbox_gets_plea_documents_once_servable_and_closes_once() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let (state, case_id, files) = with_case(db).await;
            let db = &state.db;
            let objects = Objects::file_system(&files.path().join("objects")).expect("store");
            let (a, _b, offer) = setup(&state, &case_id).await;
            let offer = Offer {
                send_to_cps: false,
                ..offer
            };
            let waiting = upload::accept(
                db,
                &objects,
                &state.notices,
                &a,
                &offer,
                body(b"%PDF-1.7\nplea\n"),
                1 << 20,
                true,
                NOW,
            )
            .await
            .expect("accepted");
            let mut conn = db.pool.acquire().await.expect("conn");
            assert!(
                crate::cases::inbox::open(&mut conn)
                    .await
                    .expect("inbox")
                    .is_empty(),
                "not before the scan ({name})"
            );
            let unscanned = upload::accept(
                db,
                &objects,
                &state.notices,
                &a,
                &offer,
                body(b"%PDF-1.7\nplea 2\n"),
                1 << 20,
                false,
                NOW,
            )
            .await
            .expect("accepted");
            let open = crate::cases::inbox::open(&mut conn).await.expect("inbox");
            assert_eq!(open.len(), 1, "{name}");
            assert_eq!(open[0].material_id, unscanned.material_id);
            assert_eq!(open[0].title, "Plea of not guilty");
            assert_eq!(open[0].organisation, "Firm A");
            let to: Vec<String> = sqlx::query_scalar(
                "SELECT to_address FROM outbox WHERE kind = 'service_centre_document'",
            )
            .fetch_all(&mut *conn)
            .await
            .expect("emails");
            assert_eq!(to, ["service-centre@hmcts.example"], "{name}");
            drop(conn);
            let staff = Who::system();
            let staff_id = a.user.id.clone();
            let (one, two) = tokio::join!(
                crate::cases::inbox::mark_done(
                    db,
                    &staff,
                    &staff_id,
                    &unscanned.material_id,
                    NOW + 1
                ),
                crate::cases::inbox::mark_done(
                    db,
                    &staff,
                    &staff_id,
                    &unscanned.material_id,
                    NOW + 2
                ),
            );
            assert_eq!(
                [one.expect("db"), two.expect("db")]
                    .iter()
                    .filter(|d| **d)
                    .count(),
                1,
                "closed once ({name})"
            );
            assert!(
                !crate::cases::inbox::mark_done(db, &staff, &staff_id, &waiting.material_id, NOW)
                    .await
                    .expect("db"),
                "not in the inbox ({name})"
            );
            let mut conn = db.pool.acquire().await.expect("conn");
            assert_eq!(
                crate::cases::inbox::open_count(&mut conn).await.expect("n"),
                0
            );
        }
    }
}
