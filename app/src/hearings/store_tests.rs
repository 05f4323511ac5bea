//! Check-ins against real databases (SQLite, and PostgreSQL when the test command provides
//! one): the rule applied to what is stored, conditional writes under concurrency, the audit
//! and the live events.

use super::*;
use crate::{
    accounts::store::{self as users, NewUser},
    db::testing,
};

/// 2026-12-03 09:00 UTC (GMT: 9am in the UK).
const NOW: i64 = 1_796_288_400;
const COURT: &str = "Cardiff Magistrates' Court";
const OTHER_COURT: &str = "Swansea Magistrates' Court";

struct World {
    db: Db,
    _dir: Option<tempfile::TempDir>,
    case_id: String,
    /// Today 10am, in Courtroom 1.
    today: String,
    /// Tomorrow 10am.
    tomorrow: String,
    /// Defendant 1 (on record: firm A) and 2 (on record: firm B).
    d1: String,
    d2: String,
    firm_a: String,
    chambers: String,
    /// An advocate of firm A, of firm B, and a barrister at chambers.
    ann: User,
    bob: User,
    bar: User,
    /// Court staff at COURT and at OTHER_COURT.
    usher: User,
    far_usher: User,
}

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

async fn person(
    db: &Db,
    org: Option<&str>,
    staff: Option<(&str, &str)>,
    email: &str,
    first: &str,
) -> User {
    let mut conn = db.pool.acquire().await.expect("conn");
    let id = users::insert_user(
        &mut conn,
        &NewUser {
            organisation_id: org,
            staff_role: staff.map(|s| s.0),
            email,
            first_name: first,
            last_name: "Jones",
            roles: if org.is_some() { "advocate" } else { "" },
            status: "active",
            password_hash: None,
        },
        NOW,
    )
    .await
    .expect("user");
    if let Some((_, court)) = staff {
        sqlx::query("UPDATE users SET staff_court = $1 WHERE id = $2")
            .bind(court)
            .bind(&id)
            .execute(&mut *conn)
            .await
            .expect("court");
    }
    users::user_in(&mut conn, &id).await.expect("read user")
}

async fn exec(db: &Db, sql: &str, binds: &[&str]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&db.pool).await.expect(sql);
}

async fn world(db: Db, dir: Option<tempfile::TempDir>) -> World {
    let courts: Vec<crate::courts::Court> = [COURT, OTHER_COURT]
        .into_iter()
        .map(|name| crate::courts::Court {
            name: name.into(),
            region: crate::courts::Region::Wales,
            go_live: "2026-10-05".parse().expect("date"),
        })
        .collect();
    crate::courts::store::upsert_all(&db, &courts, 0, "cli", "test")
        .await
        .expect("courts");
    crate::cases::store::upsert_prosecutor(&db, "CPS", "Crown Prosecution Service", "c@x", 1)
        .await
        .expect("prosecutor");
    exec(
        &db,
        "INSERT INTO cases (id, urn, prosecutor, court, created_at, updated_at) \
         VALUES ('case1', '01AB1234526', 'CPS', $1, 0, 0)",
        &[COURT],
    )
    .await;
    for (id, pos, first) in [("d1", "1", "Sian"), ("d2", "2", "Huw")] {
        exec(
            &db,
            &format!(
                "INSERT INTO defendants (id, case_id, ref, position, kind, first_name, last_name, \
                 date_of_birth, name_key) VALUES ($1, 'case1', $1, {pos}, 'person', $2, 'Evans', \
                 '1990-02-03', $2)"
            ),
            &[id, first],
        )
        .await;
    }
    for (id, at, room) in [
        ("h-today", NOW + 3600, "1"),
        ("h-tomorrow", NOW + 86_400 + 3600, "2"),
    ] {
        sqlx::query(
            "INSERT INTO hearings (id, case_id, ref, court, courtroom, starts_at, hearing_type) \
             VALUES ($1, 'case1', $1, $2, $3, $4, 'First hearing')",
        )
        .bind(id)
        .bind(COURT)
        .bind(room)
        .bind(at)
        .execute(&db.pool)
        .await
        .expect("hearing");
    }
    let firm_a = org(&db, "Firm A").await;
    let firm_b = org(&db, "Firm B").await;
    let chambers = org(&db, "Chambers").await;
    for (d, o) in [("d1", &firm_a), ("d2", &firm_b)] {
        exec(
            &db,
            "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, \
             associated_at) VALUES ($1, 'case1', $2, 'private', 0)",
            &[d, o],
        )
        .await;
    }
    World {
        ann: person(&db, Some(&firm_a), None, "ann@a.example", "Ann").await,
        bob: person(&db, Some(&firm_b), None, "bob@b.example", "Bob").await,
        bar: person(&db, Some(&chambers), None, "bar@c.example", "Bar").await,
        usher: person(
            &db,
            None,
            Some(("court", COURT)),
            "u@court.example",
            "Usher",
        )
        .await,
        far_usher: person(
            &db,
            None,
            Some(("court", OTHER_COURT)),
            "f@court.example",
            "Far",
        )
        .await,
        db,
        _dir: dir,
        case_id: "case1".into(),
        today: "h-today".into(),
        tomorrow: "h-tomorrow".into(),
        d1: "d1".into(),
        d2: "d2".into(),
        firm_a,
        chambers,
    }
}

async fn worlds() -> Vec<World> {
    let mut out = vec![];
    for (db, dir) in testing::all().await {
        out.push(world(db, dir).await);
    }
    out
}

fn req<'a>(hearing: &'a str, advocate: &'a User, defendants: &'a [String]) -> Request<'a> {
    Request {
        hearing_id: hearing,
        advocate,
        status: Status::Solicitor,
        attendance: Attendance::InPerson,
        defendants,
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&db.pool)
        .await
        .expect(sql)
}

fn refused(r: Result<Result<Done, Problem>, sqlx::Error>) -> Problem {
    match r.expect("no database error") {
        Ok(d) => panic!("expected a refusal, got {d:?}"),
        Err(p) => p,
    }
}

#[tokio::test]
async fn check_in_amend_withdraw_and_again_each_audited_and_sent_to_the_board() {
    for w in worlds().await {
        let (db, ip) = (&w.db, "192.0.2.1");
        let d1 = [w.d1.clone()];
        let first = check_in(db, By::Advocate, &req(&w.today, &w.ann, &d1), ip, NOW)
            .await
            .expect("db")
            .expect("checked in");
        assert_eq!(first.topic, "court:Cardiff Magistrates' Court");
        // A second is refused: change the first instead.
        let again = check_in(db, By::Advocate, &req(&w.today, &w.ann, &d1), ip, NOW).await;
        assert_eq!(refused(again), Problem::Refused(Refused::AlreadyCheckedIn));
        let mut r = req(&w.today, &w.ann, &d1);
        r.status = Status::SolicitorAdvocate;
        r.attendance = Attendance::Video;
        amend(db, By::Advocate, &r, ip, NOW + 60)
            .await
            .expect("db")
            .expect("amended");
        let mut conn = db.pool.acquire().await.expect("conn");
        let b = board(&mut conn, COURT, uk_date(NOW), None, crate::i18n::Lang::En)
            .await
            .expect("board");
        assert_eq!(b.len(), 1, "tomorrow's hearing is not on today's board");
        assert_eq!(b[0].checkins.len(), 1);
        let c = &b[0].checkins[0];
        assert_eq!(
            (
                c.advocate.as_str(),
                c.organisation.as_str(),
                c.status.as_str()
            ),
            ("Ann Jones", "Firm A", "solicitor_advocate")
        );
        assert_eq!(c.attendance, "video");
        assert_eq!(c.defendants, vec!["Sian Evans".to_owned()]);
        assert_eq!((c.version, c.by_staff.clone()), (2, None));
        withdraw(db, By::Advocate, &w.today, &w.ann, ip, NOW + 120)
            .await
            .expect("db")
            .expect("withdrawn");
        assert_eq!(
            refused(withdraw(db, By::Advocate, &w.today, &w.ann, ip, NOW + 121).await),
            Problem::Refused(Refused::NotCheckedIn)
        );
        check_in(db, By::Advocate, &req(&w.today, &w.ann, &d1), ip, NOW + 180)
            .await
            .expect("db")
            .expect("checked in again");
        // The withdrawn one is kept: the record of the day.
        assert_eq!(count(db, "SELECT COUNT(*) FROM checkins").await, 2);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM checkins WHERE withdrawn_at IS NULL"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'checkin.%'"
            )
            .await,
            4
        );
        // Each change sent its state to the court's boards, numbered in order.
        let events = crate::live::since(db, &first.topic, 0)
            .await
            .expect("events");
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        let withdrawn: BoardCheckin = serde_json::from_str(&events[2].payload).expect("json");
        assert!(withdrawn.withdrawn);
        assert_eq!(withdrawn.id, first.checkin_id);
        let mut conn = db.pool.acquire().await.expect("conn");
        let mine = ours(&mut conn, &w.ann, uk_date(NOW), 2)
            .await
            .expect("ours");
        assert_eq!(mine.len(), 2, "today's and tomorrow's");
        assert!(mine[0].ours && mine[0].mine.is_some());
        assert_eq!(mine[1].id, w.tomorrow);
        assert!(mine[1].mine.is_none());
    }
}

#[tokio::test]
async fn refused_for_another_day_another_firms_defendant_no_standing_or_an_ended_hearing() {
    for w in worlds().await {
        let (db, ip) = (&w.db, "192.0.2.1");
        let d1 = [w.d1.clone()];
        let d2 = [w.d2.clone()];
        let cases = [
            (req(&w.tomorrow, &w.ann, &d1), Refused::NotToday),
            (req(&w.today, &w.ann, &d2), Refused::NotTheirDefendant),
            (req(&w.today, &w.ann, &[]), Refused::NoDefendant),
            (req(&w.today, &w.bar, &d1), Refused::NoStanding),
        ];
        for (r, why) in &cases {
            assert_eq!(
                refused(check_in(db, By::Advocate, r, ip, NOW).await),
                Problem::Refused(*why)
            );
        }
        assert_eq!(
            refused(check_in(db, By::Advocate, &req("nope", &w.ann, &d1), ip, NOW).await),
            Problem::NotFound
        );
        // Bob checks in; then the court ends the hearing: no more changes.
        check_in(db, By::Advocate, &req(&w.today, &w.bob, &d2), ip, NOW)
            .await
            .expect("db")
            .expect("bob");
        assert_eq!(
            end_hearing(db, &w.far_usher, &w.today, ip, NOW)
                .await
                .expect("db"),
            Err(Problem::Refused(Refused::OtherCourt))
        );
        end_hearing(db, &w.usher, &w.today, ip, NOW + 600)
            .await
            .expect("db")
            .expect("ended");
        assert_eq!(
            end_hearing(db, &w.usher, &w.today, ip, NOW + 601)
                .await
                .expect("db"),
            Err(Problem::Refused(Refused::Ended))
        );
        assert_eq!(
            refused(check_in(db, By::Advocate, &req(&w.today, &w.ann, &d1), ip, NOW + 700).await),
            Problem::Refused(Refused::Ended)
        );
        assert_eq!(
            refused(withdraw(db, By::Advocate, &w.today, &w.bob, ip, NOW + 700).await),
            Problem::Refused(Refused::Ended)
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM checkins").await, 1);
        let topic = board::topic(COURT);
        let kinds: Vec<String> = crate::live::since(db, &topic, 0)
            .await
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec!["checkin", "ended"]);
    }
}

#[tokio::test]
async fn court_staff_check_in_on_behalf_at_their_court_only_and_mark_attendance() {
    for w in worlds().await {
        let (db, ip) = (&w.db, "192.0.2.1");
        let d1 = [w.d1.clone()];
        assert_eq!(
            refused(
                check_in(
                    db,
                    By::Staff(&w.far_usher),
                    &req(&w.today, &w.ann, &d1),
                    ip,
                    NOW
                )
                .await
            ),
            Problem::Refused(Refused::OtherCourt)
        );
        // Staff cannot put on record someone who has no standing.
        assert_eq!(
            refused(
                check_in(
                    db,
                    By::Staff(&w.usher),
                    &req(&w.today, &w.bar, &d1),
                    ip,
                    NOW
                )
                .await
            ),
            Problem::Refused(Refused::NoStanding)
        );
        let done = check_in(
            db,
            By::Staff(&w.usher),
            &req(&w.today, &w.ann, &d1),
            ip,
            NOW,
        )
        .await
        .expect("db")
        .expect("on behalf");
        let mut conn = db.pool.acquire().await.expect("conn");
        let c = checkin(&mut conn, &done.checkin_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(c.by_staff.as_deref(), Some("Usher Jones"));
        drop(conn);
        let actor: String =
            sqlx::query_scalar("SELECT actor FROM audit_events WHERE action = 'checkin.created'")
                .fetch_one(&db.pool)
                .await
                .expect("audit");
        assert_eq!(actor, format!("staff:{}", w.usher.id));
        assert_eq!(
            mark_attended(db, &w.far_usher, &done.checkin_id, true, ip, NOW)
                .await
                .expect("db"),
            Err(Problem::Refused(Refused::OtherCourt))
        );
        mark_attended(db, &w.usher, &done.checkin_id, true, ip, NOW + 60)
            .await
            .expect("db")
            .expect("marked");
        let mut conn = db.pool.acquire().await.expect("conn");
        let c = checkin(&mut conn, &done.checkin_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(c.attended, Some(true));
    }
}

#[tokio::test]
async fn counsel_instructed_by_the_firm_on_record_may_check_in_until_the_firm_stops_acting() {
    for w in worlds().await {
        let (db, ip) = (&w.db, "192.0.2.1");
        let d1 = [w.d1.clone()];
        exec(
            db,
            "INSERT INTO instructions (defendant_id, case_id, organisation_id, user_id, \
             instructing_org, instructed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0)",
            &[
                &w.d1,
                &w.case_id,
                &w.chambers,
                &w.bar.id,
                &w.firm_a,
                &w.ann.id,
            ],
        )
        .await;
        let mut conn = db.pool.acquire().await.expect("conn");
        let (on_record, instructed) = standing(&mut conn, &w.case_id, &w.chambers)
            .await
            .expect("standing");
        assert_eq!((on_record, instructed), (vec![], vec![w.d1.clone()]));
        drop(conn);
        let mut r = req(&w.today, &w.bar, &d1);
        r.status = Status::JuniorCounsel;
        check_in(db, By::Advocate, &r, ip, NOW)
            .await
            .expect("db")
            .expect("counsel");
        withdraw(db, By::Advocate, &w.today, &w.bar, ip, NOW + 1)
            .await
            .expect("db")
            .expect("withdrawn");
        // Firm A stops acting for d1: the instruction lapses with it.
        exec(
            db,
            "DELETE FROM associations WHERE defendant_id = $1",
            &[&w.d1],
        )
        .await;
        assert_eq!(
            refused(check_in(db, By::Advocate, &r, ip, NOW + 2).await),
            Problem::Refused(Refused::NoStanding)
        );
    }
}

#[tokio::test]
async fn at_once_one_check_in_per_advocate_and_one_withdrawal_counts() {
    for w in worlds().await {
        let d1 = vec![w.d1.clone()];
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (db, ann, h, d1) = (w.db.clone(), w.ann.clone(), w.today.clone(), d1.clone());
                tokio::spawn(async move {
                    check_in(&db, By::Advocate, &req(&h, &ann, &d1), "192.0.2.1", NOW)
                        .await
                        .expect("db")
                        .is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.expect("task"));
        }
        assert_eq!(ok, 1, "{:?}", w.db.backend);
        assert_eq!(count(&w.db, "SELECT COUNT(*) FROM checkins").await, 1);
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (db, ann, h) = (w.db.clone(), w.ann.clone(), w.today.clone());
                tokio::spawn(async move {
                    withdraw(&db, By::Advocate, &h, &ann, "192.0.2.1", NOW + 5)
                        .await
                        .expect("db")
                        .is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.expect("task"));
        }
        assert_eq!(ok, 1, "{:?}", w.db.backend);
        assert_eq!(
            count(
                &w.db,
                "SELECT COUNT(*) FROM audit_events WHERE action = 'checkin.withdrawn'"
            )
            .await,
            1
        );
    }
}

#[test]
fn uk_days_are_23_24_or_25_hours() {
    let d = |m, day| Date::new(2026, m, day).expect("date");
    let len = |x: Date| {
        let (a, b) = day_bounds(x);
        b - a
    };
    assert_eq!(len(d(12, 3)), 86_400);
    assert_eq!(len(d(3, 29)), 82_800);
    assert_eq!(len(d(10, 25)), 90_000);
    // Midnight in BST is 11pm UTC the day before.
    assert_eq!(day_bounds(d(7, 1)).0 % 86_400, 82_800);
    assert_eq!(uk_date(day_bounds(d(7, 1)).0), d(7, 1));
    assert_eq!(uk_date(day_bounds(d(7, 1)).1 - 1), d(7, 1));
}
