//! Accounts unused for 90 days are deregistered, after warning emails 14 and 3 days before.
//!
//! [`run`] is idempotent: the server calls it every hour with the injected clock, and each
//! warning is recorded once per period of inactivity (`inactivity_warnings`, keyed by the user,
//! the `last_active_at` it counts from and the days before), with the outbox row that carries it
//! (and so its delivery status). Deregistration is a conditional update on the same
//! `last_active_at`, so a sign-in racing the job wins.

use super::{session, store::Who};
use crate::{
    db::Db,
    email::{self, MailSettings, templates},
};

/// Days unused before an account is deregistered.
pub const DEREGISTER_AFTER_DAYS: i64 = 90;
/// Warnings go this many days before, largest first.
pub const WARN_DAYS_BEFORE: [i64; 2] = [14, 3];
const DAY: i64 = 86_400;

/// What is due for an account last used at `last_active_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Nothing yet.
    Nothing,
    /// The warning sent this many days before deregistration.
    Warning(i64),
    /// Deregistration.
    Deregister,
}

/// The schedule, as a pure function of the last use and now: on day 90 deregister; from day
/// 87 the 3-day warning; from day 76 the 14-day warning. (Only the latest warning due is sent,
/// so a job that did not run for a while does not send two at once.)
pub fn due(last_active_at: i64, now: i64) -> Due {
    let days = (now - last_active_at).div_euclid(DAY);
    if days >= DEREGISTER_AFTER_DAYS {
        return Due::Deregister;
    }
    WARN_DAYS_BEFORE
        .iter()
        .rev()
        .find(|&&before| days >= DEREGISTER_AFTER_DAYS - before)
        .map_or(Due::Nothing, |&before| Due::Warning(before))
}

/// When an account last used at `last_active_at` is deregistered.
pub fn deregisters_at(last_active_at: i64) -> i64 {
    last_active_at + DEREGISTER_AFTER_DAYS * DAY
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Warning emails queued.
    pub warned: usize,
    /// Accounts deregistered.
    pub deregistered: usize,
    /// Accounts whose turn failed (logged; tried again at the next run).
    pub failed: usize,
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    email: String,
    first_name: String,
    organisation_id: Option<String>,
    last_active_at: i64,
}

/// Sends the warnings and deregisters the accounts that are due at `now`. One account's
/// failure is logged and counted, and the run carries on with the others. Several instances
/// may run it at once: each warning and each deregistration happens once.
pub async fn run(db: &Db, mail: &MailSettings, now: i64) -> Result<Report, sqlx::Error> {
    let earliest_warning = now - (DEREGISTER_AFTER_DAYS - WARN_DAYS_BEFORE[0]) * DAY;
    let candidates = sqlx::query_as::<_, Candidate>(
        "SELECT id, email, first_name, organisation_id, last_active_at FROM users \
         WHERE status = 'active' AND last_active_at <= $1 ORDER BY last_active_at",
    )
    .bind(earliest_warning)
    .fetch_all(&db.pool)
    .await?;
    let mut report = Report::default();
    for c in candidates {
        match one(db, mail, &c, now).await {
            Ok(Done::Warned) => report.warned += 1,
            Ok(Done::Deregistered) => report.deregistered += 1,
            Ok(Done::Nothing) => {}
            Err(e) => {
                report.failed += 1;
                tracing::error!(user = %c.id, error = %e, "inactivity job: this account failed; carrying on");
            }
        }
    }
    Ok(report)
}

enum Done {
    Nothing,
    Warned,
    Deregistered,
}

/// One account's turn, in its own transaction.
async fn one(db: &Db, mail: &MailSettings, c: &Candidate, now: i64) -> Result<Done, sqlx::Error> {
    let target = Some(format!("user:{}", c.id));
    let who = Who {
        organisation_id: c.organisation_id.clone(),
        ..Who::system()
    };
    let due = due(c.last_active_at, now);
    if due == Due::Nothing {
        return Ok(Done::Nothing);
    }
    let mut tx = db.begin().await?;
    match due {
        Due::Nothing => Ok(Done::Nothing),
        Due::Warning(before) => {
            let on = deregisters_at(c.last_active_at);
            let message = templates::inactivity_warning(mail, &c.id, &c.email, &c.first_name, on);
            let outbox = email::enqueue(&mut tx, mail, &message, now).await?;
            // Insert-if-absent decides: a warning another run (or another instance) already
            // recorded is not sent again, and this transaction, email and all, is dropped.
            let claimed = sqlx::query(
                "INSERT INTO inactivity_warnings \
                 (user_id, last_active_at, days_before, outbox_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, last_active_at, days_before) DO NOTHING",
            )
            .bind(&c.id)
            .bind(c.last_active_at)
            .bind(before)
            .bind(&outbox)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                return Ok(Done::Nothing);
            }
            who.audit(
                &mut tx,
                "account.inactivity.warned",
                target,
                serde_json::json!({ "days_before": before, "email": outbox }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(Done::Warned)
        }
        Due::Deregister => {
            // Under the organisation's lock, like every administrator's change to its users.
            super::store::lock_organisation_of(&mut tx, &c.id, now).await?;
            let changed = sqlx::query(
                "UPDATE users SET status = 'deregistered', deregistered_at = $1 \
                 WHERE id = $2 AND status = 'active' AND last_active_at = $3",
            )
            .bind(now)
            .bind(&c.id)
            .bind(c.last_active_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(Done::Nothing);
            }
            session::end_all(&mut tx, &c.id, None, "deregistered", now).await?;
            let message = templates::deregistered(mail, &c.id, &c.email, &c.first_name);
            let outbox = email::enqueue(&mut tx, mail, &message, now).await?;
            who.audit(
                &mut tx,
                "account.deregistered",
                target,
                serde_json::json!({
                    "reason": "inactive",
                    "last_active_at": c.last_active_at,
                    "email": outbox,
                }),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(Done::Deregistered)
        }
    }
}

/// Runs [`run`] now and then every hour, for as long as the server runs.
pub async fn every_hour(
    db: Db,
    mail: std::sync::Arc<MailSettings>,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result = run(&db, &mail, clock.now_unix()).await;
        crate::metrics::metrics().job("inactivity", result.as_ref().is_ok_and(|r| r.failed == 0));
        match result {
            Ok(r) if r.warned + r.deregistered + r.failed > 0 => {
                tracing::info!(
                    warned = r.warned,
                    deregistered = r.deregistered,
                    failed = r.failed,
                    "inactivity job"
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "inactivity job failed; it runs again in an hour")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{accounts::store, db::testing};

    const T0: i64 = 1_795_251_600; // 21 November 2026, 09:00 UTC

    fn day(n: i64) -> i64 {
        T0 + n * DAY
    }

    #[test]
    fn the_schedule_by_day() {
        assert_eq!(due(T0, day(0)), Due::Nothing);
        assert_eq!(due(T0, day(75)), Due::Nothing, "day 75: nothing yet");
        assert_eq!(due(T0, day(76) - 1), Due::Nothing);
        assert_eq!(due(T0, day(76)), Due::Warning(14), "14 days before");
        assert_eq!(due(T0, day(86)), Due::Warning(14));
        assert_eq!(due(T0, day(87)), Due::Warning(3), "day 87: 3 days before");
        assert_eq!(due(T0, day(90) - 1), Due::Warning(3));
        assert_eq!(due(T0, day(90)), Due::Deregister, "day 90");
        assert_eq!(due(T0, day(400)), Due::Deregister);
        assert_eq!(deregisters_at(T0), day(90));
    }

    fn mail() -> MailSettings {
        MailSettings {
            from_address: "no-reply@test.example".into(),
            from_name: "Test".into(),
            public_url: "https://caseaccess.test".into(),
        }
    }

    async fn user(db: &Db, email: &str, last_active: i64) -> String {
        let mut tx = db.begin().await.unwrap();
        let id = store::insert_user(
            &mut tx,
            &store::NewUser {
                organisation_id: None,
                staff_role: None,
                email,
                first_name: "Ann",
                last_name: "Example",
                roles: "user",
                status: "active",
                password_hash: None,
            },
            last_active,
        )
        .await
        .unwrap();
        sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
            .bind(last_active)
            .bind(&id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn status(db: &Db, id: &str) -> String {
        store::user_by_id(db, id).await.unwrap().unwrap().status
    }

    async fn emails(db: &Db, id: &str) -> Vec<String> {
        sqlx::query_as::<_, (String,)>(
            "SELECT kind FROM outbox WHERE user_id = $1 ORDER BY created_at, kind",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(k,)| k)
        .collect()
    }

    #[tokio::test]
    async fn warns_twice_then_deregisters_once_on_both_engines() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let m = mail();
            let id = user(&db, "idle@example.com", T0).await;
            let busy = user(&db, "busy@example.com", T0).await;
            let mut tx = db.begin().await.unwrap();
            session::create(
                &mut tx,
                &id,
                session::Stage::Full,
                "sign_in",
                "192.0.2.1",
                "t",
                T0,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();

            let r = run(&db, &m, day(75)).await.unwrap();
            assert_eq!(r, Report::default(), "day 75 ({name})");
            let r = run(&db, &m, day(76)).await.unwrap();
            assert_eq!(r.warned, 2, "day 76 ({name})");
            let r = run(&db, &m, day(76) + 3600).await.unwrap();
            assert_eq!(
                r,
                Report::default(),
                "the same warning is not sent twice ({name})"
            );

            // The busy user signs in on day 80: their clock starts again.
            sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
                .bind(day(80))
                .bind(&busy)
                .execute(&db.pool)
                .await
                .unwrap();

            let r = run(&db, &m, day(87)).await.unwrap();
            assert_eq!(r.warned, 1, "day 87 ({name})");
            assert_eq!(status(&db, &id).await, "active");
            let r = run(&db, &m, day(90)).await.unwrap();
            assert_eq!(
                r,
                Report {
                    deregistered: 1,
                    ..Report::default()
                },
                "day 90 ({name})"
            );
            assert_eq!(status(&db, &id).await, "deregistered");
            assert_eq!(status(&db, &busy).await, "active");
            assert!(
                session::list(&db, &id, day(90)).await.unwrap().is_empty(),
                "sessions ended ({name})"
            );
            let r = run(&db, &m, day(91)).await.unwrap();
            assert_eq!(r, Report::default(), "idempotent ({name})");
            assert_eq!(
                emails(&db, &id).await,
                vec!["inactivity_warning", "inactivity_warning", "deregistered"],
                "{name}"
            );
            assert_eq!(
                emails(&db, &busy).await,
                vec!["inactivity_warning"],
                "{name}"
            );
            let warnings: Vec<(i64, String)> = sqlx::query_as(
                "SELECT days_before, outbox_id FROM inactivity_warnings WHERE user_id = $1 \
                 ORDER BY days_before DESC",
            )
            .bind(&id)
            .fetch_all(&db.pool)
            .await
            .unwrap();
            assert_eq!(
                warnings.iter().map(|w| w.0).collect::<Vec<_>>(),
                vec![14, 3],
                "each warning recorded with its email ({name})"
            );
            crate::audit::verify_chain(&db).await.unwrap();
        }
    }

    /// Two instances running the job at the same moment (on both engines; on PostgreSQL they
    /// really interleave): every user is warned exactly once, and neither run fails.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_runners_at_once_warn_each_user_once() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let m = mail();
            let mut ids = vec![];
            for i in 0..12 {
                ids.push(user(&db, &format!("idle{i}@example.com"), T0).await);
            }
            for round in 0..3 {
                let now = day(76) + round;
                let (a, b) = tokio::join!(run(&db, &m, now), run(&db, &m, now));
                let (a, b) = (a.unwrap(), b.unwrap());
                assert_eq!((a.failed, b.failed), (0, 0), "{name}");
                let expected = if round == 0 { ids.len() } else { 0 };
                assert_eq!(a.warned + b.warned, expected, "round {round} ({name})");
            }
            for id in &ids {
                assert_eq!(emails(&db, id).await, vec!["inactivity_warning"], "{name}");
            }
            crate::audit::verify_chain(&db).await.unwrap();
        }
    }

    /// The defect review found on SQLite: with other writers busy, the job died on "database is
    /// locked" and the last users were not warned. With writers hammering the database, every
    /// user is warned in the one run.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_job_warns_everyone_while_others_write() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let m = mail();
            let mut ids = vec![];
            for i in 0..8 {
                ids.push(user(&db, &format!("quiet{i}@example.com"), T0).await);
            }
            let busy = user(&db, "writer@example.com", day(80)).await;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let mut writers = tokio::task::JoinSet::new();
            for w in 0..3 {
                let (db, busy, stop) = (db.clone(), busy.clone(), stop.clone());
                writers.spawn(async move {
                    let mut n = 0_i64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let mut tx = db.begin().await.unwrap();
                        let (_,): (i64,) =
                            sqlx::query_as("SELECT last_active_at FROM users WHERE id = $1")
                                .bind(&busy)
                                .fetch_one(&mut *tx)
                                .await
                                .unwrap();
                        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
                            .bind(w * 1_000_000 + n)
                            .bind(&busy)
                            .execute(&mut *tx)
                            .await
                            .unwrap();
                        tx.commit().await.unwrap();
                        n += 1;
                    }
                    n
                });
            }
            let r = run(&db, &m, day(76)).await.unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let writes: i64 = writers.join_all().await.into_iter().sum();
            assert!(writes > 0, "the writers ran ({name})");
            assert_eq!((r.warned, r.failed), (ids.len(), 0), "{name}");
        }
    }
}
