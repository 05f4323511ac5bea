//! The organisation operations against real databases (SQLite, and PostgreSQL when the test
//! command provides one): the rules hold under concurrency, removal shuts every door, and an
//! administrator cannot reach another organisation.

use super::{
    ops::{self, Actor, Joiner, OpError},
    rules::Refusal,
    store,
};
use crate::{
    accounts::{
        Role, session,
        store::{self as users, NewUser, User},
    },
    db::{Db, testing},
    state::{AppState, for_tests},
};

const NOW: i64 = 1_795_251_600;

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

async fn person(db: &Db, org_id: &str, email: &str, roles: &str, status: &str) -> User {
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
            status,
            password_hash: None,
        },
        NOW,
    )
    .await
    .expect("user");
    sqlx::query("UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await
        .expect("totp");
    users::user_in(&mut conn, &id).await.expect("read user")
}

fn actor(u: &User) -> Actor {
    Actor {
        user: u.clone(),
        ip: "192.0.2.1".into(),
    }
}

async fn status(db: &Db, id: &str) -> String {
    users::user_by_id(db, id)
        .await
        .expect("read")
        .map(|u| u.status)
        .unwrap_or_default()
}

async fn each_engine() -> Vec<(AppState, Option<tempfile::TempDir>)> {
    testing::all()
        .await
        .into_iter()
        .map(|(db, dir)| (for_tests(db, NOW), dir))
        .collect()
}

/// Two administrators remove each other at the same moment, many times over: every time one
/// removal wins, the other is refused, and one active administrator remains.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_mutual_removals_leave_one_administrator() {
    for (state, _guard) in each_engine().await {
        for round in 0..12 {
            let o = org(&state.db, &format!("Firm {round}")).await;
            let a = person(
                &state.db,
                &o,
                &format!("a{round}@x.example"),
                "administrator",
                "active",
            )
            .await;
            let b = person(
                &state.db,
                &o,
                &format!("b{round}@x.example"),
                "administrator,advocate",
                "active",
            )
            .await;
            let (sa, sb) = (state.clone(), state.clone());
            let (aa, ab) = (actor(&a), actor(&b));
            let (ida, idb) = (a.id.clone(), b.id.clone());
            let (ra, rb) = tokio::join!(
                tokio::spawn(async move { ops::remove(&sa, &aa, &idb, NOW).await }),
                tokio::spawn(async move { ops::remove(&sb, &ab, &ida, NOW).await }),
            );
            let results = [ra.expect("task"), rb.expect("task")];
            let won = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(won, 1, "round {round}: {results:?}");
            for r in &results {
                if let Err(e) = r {
                    assert!(
                        matches!(e, OpError::Refused(Refusal::NotAdministrator)),
                        "the loser is no longer an administrator: {e:?}"
                    );
                }
            }
            let mut conn = state.db.pool.acquire().await.expect("conn");
            let snap = store::snapshot(&mut conn, &o).await.expect("snapshot");
            assert_eq!(snap.active_admins(), 1, "round {round}");
        }
    }
}

/// Removing a user shuts every door at once: sessions, authenticator, passkeys and links; the
/// row and the audit trail remain.
#[tokio::test]
async fn a_removed_user_loses_sessions_factors_and_links() {
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let o = org(db, "Firm").await;
        let admin = person(db, &o, "admin@x.example", "administrator", "active").await;
        let leaver = person(db, &o, "leaver@x.example", "user", "active").await;
        let mut conn = db.pool.acquire().await.expect("conn");
        let token = session::create(
            &mut conn,
            &leaver.id,
            session::Stage::Full,
            "sign_in",
            "192.0.2.9",
            "ua",
            NOW,
        )
        .await
        .expect("session");
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at) VALUES ('cred', $1, 'Phone', '{}', $2)",
        )
        .bind(&leaver.id)
        .bind(NOW)
        .execute(&mut *conn)
        .await
        .expect("passkey");
        let link = users::issue_token(&mut conn, &leaver.id, "reset", NOW, 3600)
            .await
            .expect("token");
        drop(conn);
        assert!(
            session::lookup(db, &token, NOW + 1)
                .await
                .expect("lookup")
                .is_some()
        );

        ops::remove(&state, &actor(&admin), &leaver.id, NOW + 2)
            .await
            .expect("removed");

        assert!(
            session::lookup(db, &token, NOW + 3)
                .await
                .expect("lookup")
                .is_none()
        );
        assert_eq!(status(db, &leaver.id).await, "removed");
        let after = users::user_by_id(db, &leaver.id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(after.totp_secret, None);
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
            .bind(&leaver.id)
            .fetch_one(&db.pool)
            .await
            .expect("count");
        assert_eq!(n, 0);
        let row = users::find_token(db, &link, "reset")
            .await
            .expect("read")
            .expect("token row");
        assert!(row.used_at.is_some(), "the reset link no longer works");
        let (events,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'user.removed' AND target = $1",
        )
        .bind(format!("user:{}", leaver.id))
        .fetch_one(&db.pool)
        .await
        .expect("audit");
        assert_eq!(events, 1);
        // The organisation still has its administrator, and removing them is refused.
        let r = ops::remove(&state, &actor(&admin), &admin.id, NOW + 5).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::LastAdministrator))),
            "{r:?}"
        );
    }
}

/// An administrator cannot touch another organisation's users, whatever id they post; a
/// plain user cannot act at all.
#[tokio::test]
async fn administrators_act_only_on_their_own_organisation() {
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let mine = org(db, "Mine").await;
        let theirs = org(db, "Theirs").await;
        let admin = person(db, &mine, "admin@mine.example", "administrator", "active").await;
        let clerk = person(db, &mine, "clerk@mine.example", "user", "active").await;
        let other = person(
            db,
            &theirs,
            "other@theirs.example",
            "administrator",
            "active",
        )
        .await;
        let a = actor(&admin);
        let refused =
            |r: Result<(), OpError>| matches!(r, Err(OpError::Refused(Refusal::NotMember)));
        assert!(refused(ops::remove(&state, &a, &other.id, NOW).await));
        assert!(refused(
            ops::set_roles(&state, &a, &other.id, &[Role::User], NOW).await
        ));
        assert!(refused(
            ops::reset_factors(&state, &a, &other.id, NOW).await
        ));
        assert!(refused(ops::nominate(&state, &a, &other.id, NOW).await));
        assert!(matches!(
            ops::end_sessions(&state, &a, &other.id, NOW).await,
            Err(OpError::Refused(Refusal::NotMember))
        ));
        assert_eq!(status(db, &other.id).await, "active");
        // A user who is not an administrator is refused everything.
        let c = actor(&clerk);
        let r = ops::remove(&state, &c, &admin.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::NotAdministrator))),
            "{r:?}"
        );
    }
}

/// Adding several users is all or nothing: one email that belongs to another organisation
/// stops the whole batch.
#[tokio::test]
async fn adding_users_is_all_or_nothing() {
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let mine = org(db, "Mine").await;
        let theirs = org(db, "Theirs").await;
        let admin = person(db, &mine, "admin@mine.example", "administrator", "active").await;
        person(db, &theirs, "taken@theirs.example", "user", "active").await;
        let j = |email: &str| Joiner {
            first_name: "New".into(),
            last_name: "Person".into(),
            email: email.into(),
            roles: vec![Role::User],
        };
        let r = ops::add_users(
            &state,
            &actor(&admin),
            &[j("first@mine.example"), j("taken@theirs.example")],
            "csv",
            NOW,
        )
        .await;
        assert!(matches!(r, Err(OpError::EmailTaken)), "{r:?}");
        assert!(
            users::user_by_email(db, "first@mine.example")
                .await
                .expect("read")
                .is_none()
        );
        let ids = ops::add_users(
            &state,
            &actor(&admin),
            &[j("first@mine.example")],
            "form",
            NOW,
        )
        .await
        .expect("added");
        assert_eq!(status(db, &ids[0]).await, "invited");
        let (mails,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'activation' AND to_address = $1",
        )
        .bind("first@mine.example")
        .fetch_one(&db.pool)
        .await
        .expect("outbox");
        assert_eq!(mails, 1);
        // Removing, then adding the same email again, invites the same account again.
        ops::remove(&state, &actor(&admin), &ids[0], NOW)
            .await
            .expect("removed");
        let again = ops::add_users(
            &state,
            &actor(&admin),
            &[j("first@mine.example")],
            "form",
            NOW,
        )
        .await
        .expect("again");
        assert_eq!(again, ids);
        assert_eq!(status(db, &ids[0]).await, "invited");
    }
}

/// The accountable person moves only when the nominee confirms; until then the accountable
/// user cannot be removed.
#[tokio::test]
async fn the_accountable_person_is_transferred_on_confirmation() {
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let o = org(db, "Firm").await;
        let ann = person(db, &o, "ann@x.example", "administrator", "active").await;
        let bob = person(db, &o, "bob@x.example", "administrator", "active").await;
        let cat = person(db, &o, "cat@x.example", "user", "active").await;
        let mut conn = db.pool.acquire().await.expect("conn");
        store::link_accountable(&mut conn, &o).await.expect("link");
        drop(conn);
        let r = ops::remove(&state, &actor(&bob), &ann.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::Accountable))),
            "{r:?}"
        );
        // A nomination can be withdrawn until it is confirmed; then there is nothing to confirm.
        ops::nominate(&state, &actor(&bob), &cat.id, NOW)
            .await
            .expect("nominated");
        ops::withdraw_nomination(&state, &actor(&bob), NOW)
            .await
            .expect("withdrawn");
        let r = ops::confirm_accountable(&state, &actor(&cat), "029 2000 1111", NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::NoTransfer))),
            "{r:?}"
        );
        let r = ops::withdraw_nomination(&state, &actor(&bob), NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::NoTransfer))),
            "{r:?}"
        );
        ops::nominate(&state, &actor(&bob), &cat.id, NOW)
            .await
            .expect("nominated again");
        // Only Cat can confirm.
        let r = ops::confirm_accountable(&state, &actor(&bob), "029 2000 1111", NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::NoTransfer))),
            "{r:?}"
        );
        ops::confirm_accountable(&state, &actor(&cat), "029 2000 1111", NOW)
            .await
            .expect("confirmed");
        let mut conn = db.pool.acquire().await.expect("conn");
        let d = store::details(&mut conn, &o)
            .await
            .expect("read")
            .expect("org");
        assert_eq!(d.accountable_user_id.as_deref(), Some(cat.id.as_str()));
        assert_eq!(d.accountable_email, "cat@x.example");
        assert_eq!(d.accountable_phone, "029 2000 1111");
        assert_eq!(d.accountable_pending_id, None);
        drop(conn);
        // Now Ann can go.
        ops::remove(&state, &actor(&bob), &ann.id, NOW)
            .await
            .expect("removed");
    }
}

/// A second-factor reset sends the user's next sign-in to set one up again.
/// The defect review found: after an administrator reset a user's second factors, the password
/// alone led to enrolling a new one. Now it takes the emailed link and the password: signing in
/// sends no session (and at most one new link per 15 minutes), the link page wants the password,
/// and the link works once.
#[tokio::test]
async fn a_factor_reset_needs_the_emailed_link_and_the_password() {
    use crate::accounts::{
        actions::{Ctx, Outcome},
        password,
    };
    let pw = "correct horse battery staple";
    let hash = password::hash(pw.into()).await.expect("hash");
    for (state, _guard) in each_engine().await {
        let name = format!("{:?}", state.db.backend);
        let db = &state.db;
        let o = org(db, "Firm").await;
        let admin = person(db, &o, "admin@x.example", "administrator", "active").await;
        let u = person(db, &o, "u@x.example", "user", "active").await;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(&u.id)
            .execute(&db.pool)
            .await
            .expect("password");
        ops::reset_factors(&state, &actor(&admin), &u.id, NOW)
            .await
            .expect("reset");
        let after = users::user_by_id(db, &u.id)
            .await
            .expect("read")
            .expect("user");
        assert_eq!(after.totp_secret, None);
        assert_eq!(after.factor_reset_at, Some(NOW));
        let links = || async {
            let bodies: Vec<(String,)> = sqlx::query_as(
                "SELECT text_body FROM outbox WHERE kind = 'factor_reset' AND to_address = 'u@x.example' ORDER BY created_at",
            )
            .fetch_all(&db.pool)
            .await
            .expect("outbox");
            bodies
                .into_iter()
                .filter_map(|(b,)| {
                    let at = b.find("/enrol?token=")? + "/enrol?token=".len();
                    Some(b[at..at + 43].to_owned())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(links().await.len(), 1, "{name}");
        let ctx = |form: Vec<(&str, &str)>| Ctx {
            state: state.clone(),
            lang: crate::i18n::Lang::En,
            session: None,
            ip: "192.0.2.3".into(),
            user_agent: "t".into(),
            cookies: String::new(),
            files: vec![],
            params: vec![],
            form: form
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        };
        // The password alone: no session, a notice, and no second link within 15 minutes.
        let out = crate::post_form(
            "/sign-in",
            ctx(vec![("email", "u@x.example"), ("password", pw)]),
        )
        .await
        .expect("sign in");
        assert!(
            matches!(&out, Outcome::Render(p) if p.notice.is_some()),
            "{name}: {out:?}"
        );
        assert_eq!(links().await.len(), 1, "{name}");
        let link = links().await.remove(0);
        // The link with a wrong password: the page again, the link still unused.
        let out = crate::post_form(
            "/enrol",
            ctx(vec![("token", &link), ("password", "not it at all")]),
        )
        .await
        .expect("enrol");
        assert!(
            matches!(&out, Outcome::Render(p) if p.error("password").is_some()),
            "{name}: {out:?}"
        );
        // The link and the password: the set-up session.
        let out = crate::post_form("/enrol", ctx(vec![("token", &link), ("password", pw)]))
            .await
            .expect("enrol");
        assert!(
            matches!(&out, Outcome::Redirect { to, cookies } if to == "/account/set-up/authenticator" && cookies.len() == 1),
            "{name}: {out:?}"
        );
        // Once only.
        let out = crate::post_form("/enrol", ctx(vec![("token", &link), ("password", pw)]))
            .await
            .expect("enrol");
        assert!(matches!(&out, Outcome::Render(_)), "{name}: {out:?}");
        // Signing in after 15 minutes sends a new link, and the old one stops working.
        let later = crate::state::AppState {
            clock: std::sync::Arc::new(crate::clock::FixedClock(NOW + 16 * 60)),
            ..state.clone()
        };
        let mut c = ctx(vec![("email", "u@x.example"), ("password", pw)]);
        c.state = later;
        crate::post_form("/sign-in", c).await.expect("sign in");
        assert_eq!(links().await.len(), 2, "{name}");
        // Eight sign-ins at once, another quarter of an hour on: one new link between them.
        let much_later = crate::state::AppState {
            clock: std::sync::Arc::new(crate::clock::FixedClock(NOW + 32 * 60)),
            ..state.clone()
        };
        let burst: Vec<_> = (0..8)
            .map(|_| {
                let mut c = ctx(vec![("email", "u@x.example"), ("password", pw)]);
                c.state = much_later.clone();
                tokio::spawn(crate::post_form("/sign-in", c))
            })
            .collect();
        for b in burst {
            b.await.expect("joined").expect("sign in");
        }
        assert_eq!(links().await.len(), 3, "{name}: one link for the burst");
        // Not on yourself.
        let r = ops::reset_factors(&state, &actor(&admin), &admin.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::Yourself))),
            "{r:?}"
        );
    }
}

/// A deregistered user is reinstated (their 90 days start again, they are emailed); a locked
/// one is unlocked; each only from the matching status.
#[tokio::test]
async fn reinstating_and_unlocking_need_the_matching_status() {
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let o = org(db, "Firm").await;
        let admin = person(db, &o, "admin@x.example", "administrator", "active").await;
        let gone = person(db, &o, "gone@x.example", "user", "deregistered").await;
        let held = person(db, &o, "held@x.example", "user", "locked").await;
        let a = actor(&admin);
        let r = ops::unlock(&state, &a, &gone.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::WrongStatus))),
            "{r:?}"
        );
        let r = ops::reinstate(&state, &a, &held.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::WrongStatus))),
            "{r:?}"
        );
        ops::reinstate(&state, &a, &gone.id, NOW + 10)
            .await
            .expect("reinstated");
        ops::unlock(&state, &a, &held.id, NOW + 10)
            .await
            .expect("unlocked");
        let back = users::user_by_id(db, &gone.id)
            .await
            .expect("read")
            .expect("user");
        assert_eq!(back.status, "active");
        assert_eq!(back.last_active_at, NOW + 10, "the 90 days start again");
        assert_eq!(status(db, &held.id).await, "active");
        let (mails,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'reinstated' AND to_address = 'gone@x.example'",
        )
        .fetch_one(&db.pool)
        .await
        .expect("outbox");
        assert_eq!(mails, 1);
    }
}

/// An organisation whose administrators are all deregistered or locked is listed for HMCTS
/// onboarding, who restore one of them (emailed, audited in the organisation's trail); only
/// onboarding staff can, and only while no administrator is active.
#[tokio::test]
async fn hmcts_restores_an_administrator_of_an_organisation_without_one() {
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let o = org(db, "Stranded & Co").await;
        let fine = org(db, "Fine LLP").await;
        let gone = person(db, &o, "gone@x.example", "administrator", "deregistered").await;
        let held = person(db, &o, "held@x.example", "administrator,user", "locked").await;
        let user = person(db, &o, "user@x.example", "user", "deregistered").await;
        let fine_admin = person(db, &fine, "boss@fine.example", "administrator", "active").await;
        let fine_gone = person(
            db,
            &fine,
            "old@fine.example",
            "administrator",
            "deregistered",
        )
        .await;
        let mut conn = db.pool.acquire().await.expect("conn");
        let officer_id = users::insert_user(
            &mut conn,
            &NewUser {
                organisation_id: None,
                staff_role: Some("onboarding"),
                email: "officer@hmcts.example",
                first_name: "Olu",
                last_name: "Officer",
                roles: "",
                status: "active",
                password_hash: None,
            },
            NOW,
        )
        .await
        .expect("officer");
        let officer = users::user_in(&mut conn, &officer_id)
            .await
            .expect("read officer");
        let mut listed: Vec<String> = store::stranded_administrators(&mut conn)
            .await
            .expect("list")
            .into_iter()
            .map(|a| a.email)
            .collect();
        listed.sort();
        drop(conn);
        assert_eq!(listed, vec!["gone@x.example", "held@x.example"]);

        // Not by an organisation's own administrator, and not someone who is not an
        // administrator, nor in an organisation that has an active one.
        let r = ops::restore_administrator(&state, &actor(&fine_admin), &gone.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::NotAdministrator))),
            "{r:?}"
        );
        let hmcts = actor(&officer);
        let r = ops::restore_administrator(&state, &hmcts, &user.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::WrongStatus))),
            "{r:?}"
        );
        let r = ops::restore_administrator(&state, &hmcts, &fine_gone.id, NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::HasAdministrator))),
            "{r:?}"
        );
        let r = ops::restore_administrator(&state, &hmcts, "nobody", NOW).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::NotMember))),
            "{r:?}"
        );
        assert_eq!(status(db, &gone.id).await, "deregistered");

        ops::restore_administrator(&state, &hmcts, &held.id, NOW + 10)
            .await
            .expect("restored");
        assert_eq!(status(db, &held.id).await, "active");
        // Now the organisation has an administrator, who reinstates the other one.
        let r = ops::restore_administrator(&state, &hmcts, &gone.id, NOW + 20).await;
        assert!(
            matches!(r, Err(OpError::Refused(Refusal::HasAdministrator))),
            "{r:?}"
        );
        let mut conn = db.pool.acquire().await.expect("conn");
        assert!(
            store::stranded_administrators(&mut conn)
                .await
                .expect("list")
                .is_empty()
        );
        let (mails,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'restored' AND to_address = 'held@x.example'",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("outbox");
        assert_eq!(mails, 1);
        drop(conn);
        let mut conn = db.pool.acquire().await.expect("conn");
        let trail = super::audit::events(&mut conn, &o, &Default::default(), 50)
            .await
            .expect("audit");
        let restored: Vec<_> = trail
            .iter()
            .filter(|e| e.action == "user.restored")
            .collect();
        assert_eq!(restored.len(), 1);
        assert_eq!(restored[0].actor, format!("staff:{officer_id}"));
        assert_eq!(
            restored[0].target.as_deref(),
            Some(format!("user:{}", held.id).as_str())
        );
    }
}

/// The organisation's audit: its own users' events and events about them, never another
/// organisation's; filtered by user, action group and UK day; the CSV has every match.
#[tokio::test]
async fn the_audit_shows_only_this_organisation_and_filters() {
    use super::audit::{self, AuditFilter};
    for (state, _guard) in each_engine().await {
        let db = &state.db;
        let mine = org(db, "Mine").await;
        let theirs = org(db, "Theirs").await;
        let admin = person(db, &mine, "admin@mine.example", "administrator", "active").await;
        let clerk = person(db, &mine, "clerk@mine.example", "user", "active").await;
        let other = person(
            db,
            &theirs,
            "other@theirs.example",
            "administrator",
            "active",
        )
        .await;
        let stranger = person(db, &theirs, "s@theirs.example", "user", "active").await;
        // 21 November 2026, 09:00 UK; the next day; another organisation's change.
        ops::set_roles(&state, &actor(&admin), &clerk.id, &[Role::Advocate], NOW)
            .await
            .expect("roles");
        ops::end_sessions(&state, &actor(&admin), &clerk.id, NOW + 86_400)
            .await
            .expect("ended");
        ops::set_roles(&state, &actor(&other), &stranger.id, &[Role::Advocate], NOW)
            .await
            .expect("theirs");
        let mut conn = db.pool.acquire().await.expect("conn");
        let all = audit::events(&mut conn, &mine, &AuditFilter::default(), 100)
            .await
            .expect("events");
        let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["user.sessions.ended", "user.roles.changed"]);
        let f = |user: &str, action: &str, from: &str, to: &str| {
            AuditFilter::parse(user, action, from, to).0
        };
        let by_user = audit::events(&mut conn, &mine, &f(&clerk.id, "", "", ""), 100)
            .await
            .expect("user");
        assert_eq!(by_user.len(), 2, "done to the clerk");
        let by_admin = audit::events(&mut conn, &mine, &f(&other.id, "", "", ""), 100)
            .await
            .expect("other");
        assert!(
            by_admin.is_empty(),
            "another organisation's user finds nothing here"
        );
        let roles = audit::events(&mut conn, &mine, &f("", "user.roles.changed", "", ""), 100)
            .await
            .expect("action");
        assert_eq!(roles.len(), 1);
        let group = audit::events(&mut conn, &mine, &f("", "user", "", ""), 100)
            .await
            .expect("group");
        assert_eq!(group.len(), 2);
        let day = audit::events(
            &mut conn,
            &mine,
            &f("", "", "2026-11-21", "2026-11-21"),
            100,
        )
        .await
        .expect("day");
        assert_eq!(
            day.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            vec!["user.roles.changed"]
        );
        let later = audit::events(&mut conn, &mine, &f("", "", "2026-11-22", ""), 100)
            .await
            .expect("later");
        assert_eq!(later.len(), 1);
        let csv = audit::csv(
            &mut conn,
            &mine,
            &AuditFilter::default(),
            crate::i18n::Lang::En,
        )
        .await
        .expect("csv");
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(csv.contains("Roles changed") && !csv.contains("s@theirs.example"));
    }
}

/// The defect review found: activation wrote `status = 'active'` unconditionally and outside the
/// organisation's lock, so a removal committed in between was undone. Removal racing the
/// authenticator step of activation, many rounds on both engines: the removal always wins in the
/// end, whichever commits first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn removal_racing_activation_never_leaves_the_user_active() {
    use crate::accounts::{actions, session::Stage, totp};
    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    for (state, _guard) in each_engine().await {
        let name = format!("{:?}", state.db.backend);
        for round in 0..15 {
            let o = org(&state.db, &format!("Race {round}")).await;
            let admin = person(
                &state.db,
                &o,
                &format!("admin{round}@x.example"),
                "administrator",
                "active",
            )
            .await;
            let joiner = person(
                &state.db,
                &o,
                &format!("new{round}@x.example"),
                "advocate",
                "invited",
            )
            .await;
            // The joiner has chosen a password and is at the authenticator step.
            sqlx::query("UPDATE users SET password_hash = 'set', totp_secret = NULL WHERE id = $1")
                .bind(&joiner.id)
                .execute(&state.db.pool)
                .await
                .expect("password");
            let mut tx = state.db.begin().await.expect("tx");
            let token = session::create(
                &mut tx,
                &joiner.id,
                Stage::Setup,
                "activate",
                "192.0.2.1",
                "t",
                NOW,
            )
            .await
            .expect("session");
            tx.commit().await.expect("commit");
            let current = session::lookup(&state.db, &token, NOW)
                .await
                .expect("lookup")
                .expect("session");
            session::set_pending_totp(
                &state.db,
                &current.id_hash,
                &state.seal_pending(&joiner.id, SECRET),
            )
            .await
            .expect("pending key");
            let current = session::lookup(&state.db, &token, NOW)
                .await
                .expect("lookup")
                .expect("session");
            let ctx = actions::Ctx {
                state: state.clone(),
                lang: crate::i18n::Lang::En,
                session: Some(current),
                ip: "192.0.2.2".into(),
                user_agent: "t".into(),
                cookies: String::new(),
                files: vec![],
                params: vec![],
                form: vec![("code".into(), totp::code_at(SECRET, NOW).expect("a code"))],
            };
            let (sa, aa, id) = (state.clone(), actor(&admin), joiner.id.clone());
            let (removed, activated) = tokio::join!(
                tokio::spawn(async move { ops::remove(&sa, &aa, &id, NOW).await }),
                tokio::spawn(async move {
                    crate::post_form("/account/set-up/authenticator", ctx).await
                }),
            );
            let removed = removed.expect("task");
            activated.expect("task").expect("the activation answers");
            assert!(removed.is_ok(), "round {round} ({name}): {removed:?}");
            assert_eq!(
                status(&state.db, &joiner.id).await,
                "removed",
                "round {round} ({name})"
            );
        }
    }
}
