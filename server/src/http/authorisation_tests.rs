//! The authorisation matrix for organisation settings, account settings and HMCTS onboarding:
//! every route and form post under `/organisation`, `/account` (apart from activation's set-up
//! pages) and `/onboarding` ×
//! (administrator of the organisation, a user of it, an administrator of another organisation,
//! HMCTS staff, signed out) → the answer expected. The table is checked against the routes the
//! application actually serves, so a new endpoint without an entry fails this test.

use super::tests::apps_and_states;
use app::{
    accounts::{demo, session},
    state::AppState,
};
use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use std::collections::BTreeSet;
use tower::ServiceExt;

/// Who is asking.
#[derive(Clone, Copy, Debug)]
enum Who {
    Admin,
    User,
    OtherAdmin,
    Staff,
    SignedOut,
}

const WHO: [Who; 5] = [
    Who::Admin,
    Who::User,
    Who::OtherAdmin,
    Who::Staff,
    Who::SignedOut,
];

/// The answer expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Served: 200, or a redirect that is not to sign in.
    Allow,
    /// "Page not found" (404): the page is not theirs to know about.
    Deny,
    /// Sent to sign in.
    SignIn,
}

use Expect::{Allow as A, Deny as D, SignIn as S};

/// One endpoint: method, path (with `{user}` for the organisation's plain user's id and
/// `{registration}` for a pending registration's), form body, and the expectation for each of
/// [`WHO`].
struct Row {
    method: Method,
    path: &'static str,
    body: &'static str,
    expect: [Expect; 5],
}

const fn get(path: &'static str, expect: [Expect; 5]) -> Row {
    Row {
        method: Method::GET,
        path,
        body: "",
        expect,
    }
}

const fn post(path: &'static str, body: &'static str, expect: [Expect; 5]) -> Row {
    Row {
        method: Method::POST,
        path,
        body,
        expect,
    }
}

/// Only the organisation's administrators.
const ADMINS_ONLY: [Expect; 5] = [A, D, D, D, S];
/// Any administrator, each for their own organisation.
const ANY_ADMIN: [Expect; 5] = [A, D, A, D, S];
/// Anyone signed in.
const SIGNED_IN: [Expect; 5] = [A, A, A, A, S];
/// HMCTS onboarding staff only.
const STAFF_ONLY: [Expect; 5] = [D, D, D, A, S];

/// The matrix. Rows that change the asker's own account for good come last.
fn table() -> Vec<Row> {
    vec![
        // Organisation pages.
        get("/organisation", ANY_ADMIN),
        get("/organisation/details", ANY_ADMIN),
        get("/organisation/users", ANY_ADMIN),
        get("/organisation/users/add", ANY_ADMIN),
        get("/organisation/users/import", ANY_ADMIN),
        get("/organisation/user?id={user}", ADMINS_ONLY),
        get(
            "/organisation/user/confirm?id={user}&action=remove",
            ADMINS_ONLY,
        ),
        get("/organisation/accountable", ANY_ADMIN),
        get("/organisation/tell-hmcts", ANY_ADMIN),
        get("/organisation/audit", ANY_ADMIN),
        get("/organisation/audit.csv", ANY_ADMIN),
        // Organisation form posts (bodies that change nothing lasting, or only the asker's
        // own organisation).
        post("/organisation/details", "postcode=bad", ANY_ADMIN),
        post("/organisation/users/add", "email=bad", ANY_ADMIN),
        post("/organisation/users/import", "step=preview&csv=", ANY_ADMIN),
        post(
            "/organisation/user",
            "user={user}&action=end-sessions",
            ADMINS_ONLY,
        ),
        post(
            "/organisation/user",
            "user={user}&action=roles&roles=user",
            ADMINS_ONLY,
        ),
        post("/organisation/accountable", "action=withdraw", ANY_ADMIN),
        post("/organisation/tell-hmcts", "kind=", ANY_ADMIN),
        // HMCTS onboarding (bodies that change nothing: a form with errors, an unknown user).
        get("/onboarding", STAFF_ONLY),
        get("/onboarding/import", STAFF_ONLY),
        get("/onboarding/registration?id={registration}", STAFF_ONLY),
        post("/onboarding", "restore={user}", STAFF_ONLY),
        post("/onboarding/import", "step=preview&csv=", STAFF_ONLY),
        post(
            "/onboarding/registration",
            "id={registration}&decision=",
            STAFF_ONLY,
        ),
        // Account pages.
        get("/account", SIGNED_IN),
        get("/account/sessions", SIGNED_IN),
        get("/account/change-password", SIGNED_IN),
        get("/account/confirm-password", SIGNED_IN),
        get("/account/authenticator", SIGNED_IN),
        get("/account/report", SIGNED_IN),
        get("/account/passkey?id=x", SIGNED_IN),
        get("/account/accountable", SIGNED_IN),
        // The QR image exists only while an app is being set up in the asker's own session.
        get("/account/authenticator/qr.svg", [D, D, D, D, S]),
        post("/account", "action=remove-passkey&credential=x", SIGNED_IN),
        post("/account/confirm-password", "password=wrong", SIGNED_IN),
        post("/account/authenticator", "code=000000", SIGNED_IN),
        post("/account/passkey", "credential=x&name=Laptop", SIGNED_IN),
        post("/account/accountable", "phone=02920000000", SIGNED_IN),
        post("/account/sessions", "session=none", SIGNED_IN),
        post("/account/change-password", "current-password=x", SIGNED_IN),
        post("/account/keep-alive", "", SIGNED_IN),
        // Last: locks the asker's account.
        post("/account/report", "", SIGNED_IN),
    ]
}

/// Paths under these prefixes belong to this matrix.
fn covered(path: &str) -> bool {
    (path == "/organisation"
        || path.starts_with("/organisation/")
        || path == "/account"
        || path.starts_with("/account/")
        || path == "/onboarding"
        || path.starts_with("/onboarding/"))
        && !path.starts_with("/account/set-up/")
}

/// Sends one request (a form post when `method` is POST), signed in with `cookie` if given:
/// the status, the `Location` header and the body.
async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    body: &str,
    cookie: Option<&str>,
) -> (StatusCode, String, String) {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header("origin", "http://localhost:3000")
        .header(header::USER_AGENT, "matrix");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("{}={c}", session::COOKIE));
    }
    if method == Method::POST {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// A demo account's id.
async fn id_of(state: &AppState, email: &str) -> String {
    app::accounts::store::user_by_email(&state.db, email)
        .await
        .expect("read")
        .expect("demo user")
        .id
}

/// A fresh, fully signed-in session for `user_id`: its cookie value.
async fn signed_in(state: &AppState, user_id: &str, now: i64) -> String {
    let mut conn = state.db.pool.acquire().await.expect("conn");
    session::create(
        &mut conn,
        user_id,
        session::Stage::Full,
        "sign_in",
        "127.0.0.1",
        "matrix",
        now,
    )
    .await
    .expect("session")
}

fn classify(status: StatusCode, location: &str) -> Option<Expect> {
    if status.is_redirection() {
        return Some(if location.starts_with("/sign-in") {
            S
        } else {
            A
        });
    }
    match status {
        StatusCode::OK => Some(A),
        StatusCode::NOT_FOUND => Some(D),
        _ => None,
    }
}

#[tokio::test]
async fn every_endpoint_answers_each_kind_of_user_as_the_table_says() {
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let ids = [
            id_of(&state, "admin@smith-solicitors.example").await,
            id_of(&state, "caseworker@smith-solicitors.example").await,
            id_of(&state, "clerk@jones-chambers.example").await,
            id_of(&state, "onboarding@hmcts.example").await,
        ];
        let plain_user = ids[1].clone();
        let registration = app::accounts::register::save(
            &state,
            &app::accounts::register::Registration {
                organisation: "Matrix & Co".into(),
                address: "1 Test Street\nCardiff".into(),
                postcode: "CF10 1AA".into(),
                laa_account: Some("1A234B".into()),
                sra_number: None,
                bar_number: None,
                accountable_name: "Mo Matrix".into(),
                accountable_email: "mo@matrix.example".into(),
                accountable_phone: "02920 000000".into(),
                users: vec![],
                terms_signed_name: "Mo Matrix".into(),
                terms_signed_at: now,
                terms_version: "1".into(),
            },
            "web",
            &app::accounts::store::Who::system(),
            now,
        )
        .await
        .expect("a pending registration");

        // Every endpoint under the covered prefixes has a row (method and path).
        let rows = table();
        let in_table: BTreeSet<(String, String)> = rows
            .iter()
            .map(|r| {
                let path = r.path.split('?').next().unwrap_or(r.path);
                (r.method.to_string(), path.to_owned())
            })
            .collect();
        let mut served = BTreeSet::new();
        for route in leptos_axum::generate_route_list(app::App) {
            if covered(route.path()) {
                served.insert(("GET".to_owned(), route.path().to_owned()));
            }
        }
        for path in app::accounts::actions::PATHS
            .iter()
            .chain(app::accounts::security::PATHS)
            .chain(app::organisation::forms::PATHS)
            .chain(app::accounts::passkey_api::PATHS)
        {
            if covered(path) {
                served.insert(("POST".to_owned(), (*path).to_owned()));
            }
        }
        for (method, path) in [
            ("GET", "/organisation/audit.csv"),
            ("GET", "/account/authenticator/qr.svg"),
            ("POST", "/account/keep-alive"),
        ] {
            served.insert((method.to_owned(), path.to_owned()));
        }
        let missing: Vec<_> = served.difference(&in_table).collect();
        assert!(
            missing.is_empty(),
            "endpoints with no row in the authorisation matrix: {missing:?}"
        );
        let stale: Vec<_> = in_table.difference(&served).collect();
        assert!(
            stale.is_empty(),
            "rows for endpoints that do not exist: {stale:?}"
        );

        // Each cell gets a fresh, fully signed-in session (a row may end the plain user's
        // sessions, as an administrator's "sign them out everywhere" should).
        let mut wrong = vec![];
        for row in &rows {
            for (i, who) in WHO.iter().enumerate() {
                let cookie = match ids.get(i) {
                    Some(id) => Some(signed_in(&state, id, now).await),
                    None => None,
                };
                let fill = |s: &str| {
                    s.replace("{user}", &plain_user)
                        .replace("{registration}", &registration)
                };
                let (status, location, _) = send(
                    &app,
                    row.method.clone(),
                    &fill(row.path),
                    &fill(row.body),
                    cookie.as_deref(),
                )
                .await;
                let got = classify(status, &location);
                if got != Some(row.expect[i]) {
                    wrong.push(format!(
                        "{} {} as {who:?}: expected {:?}, got {status} {location}",
                        row.method, row.path, row.expect[i]
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "authorisation matrix:\n{}",
            wrong.join("\n")
        );

        // The plain user's account was never touched by the other organisation's administrator.
        let u = app::accounts::store::user_by_id(&state.db, &plain_user)
            .await
            .expect("read")
            .expect("user");
        assert_eq!(u.roles, "user");
    }
}

/// When the inactivity job deregisters the accountable person, the organisation page warns the
/// administrators, who can still act (an invariant broken from outside does not freeze the
/// organisation) and mend it by reinstating them.
#[tokio::test]
async fn a_lapsed_accountable_person_is_flagged_and_the_administrators_work_on() {
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let accountable = id_of(&state, "admin@smith-solicitors.example").await;
        let priya = id_of(&state, "caseworker@smith-solicitors.example").await;
        sqlx::query("UPDATE users SET roles = 'administrator,user' WHERE id = $1")
            .bind(&priya)
            .execute(&state.db.pool)
            .await
            .expect("a second administrator");
        sqlx::query("UPDATE users SET status = 'deregistered', deregistered_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&accountable)
            .execute(&state.db.pool)
            .await
            .expect("deregistered");
        let cookie = signed_in(&state, &priya, now).await;
        let cookie = Some(cookie.as_str());

        let (status, _, html) = send(&app, Method::GET, "/organisation", "", cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"accountable-lapsed\""), "{html}");
        assert!(html.contains("was deregistered after 90 days without use"));

        // Priya can act (the rules once refused every change while the accountable person was not
        // current): she reinstates another deregistered user, then the accountable person, and the
        // warning goes.
        let dormant = id_of(&state, "dormant@smith-solicitors.example").await;
        let (status, _, html) = send(
            &app,
            Method::POST,
            &format!("/organisation/user?id={dormant}"),
            &format!("user={dormant}&action=reinstate"),
            cookie,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        let (status, _, _) = send(
            &app,
            Method::POST,
            &format!("/organisation/user?id={accountable}"),
            &format!("user={accountable}&action=reinstate"),
            cookie,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, _, html) = send(&app, Method::GET, "/organisation", "", cookie).await;
        assert!(!html.contains("accountable-lapsed"));
        let back = app::accounts::store::user_by_id(&state.db, &accountable)
            .await
            .expect("read")
            .expect("user");
        assert_eq!(back.status, "active");
    }
}

/// Changing how one signs in needs the password again, within ten minutes: an unconfirmed form
/// post is sent to confirm (and back to the same passkey after), and a confirmation older than
/// ten minutes no longer counts.
#[tokio::test]
async fn sign_in_methods_need_the_password_again_within_ten_minutes() {
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let user = id_of(&state, "caseworker@smith-solicitors.example").await;
        let token = signed_in(&state, &user, now).await;
        let cookie = Some(token.as_str());

        let (status, location, _) = send(
            &app,
            Method::POST,
            "/account",
            "action=remove-passkey&credential=abc",
            cookie,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            location.starts_with("/account/confirm-password?next="),
            "{location}"
        );
        let (_, location, _) = send(
            &app,
            Method::POST,
            "/account/passkey",
            "credential=abc&name=Laptop",
            cookie,
        )
        .await;
        assert_eq!(
            location,
            "/account/confirm-password?next=%2Faccount%2Fpasskey%3Fid%3Dabc"
        );

        // Confirmed: the post goes through (an unknown passkey: back to the account page).
        let (status, location, _) = send(
            &app,
            Method::POST,
            "/account/confirm-password",
            "password=harbour+ledger+winter+42&next=%2Faccount%2Fpasskey%3Fid%3Dabc",
            cookie,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location, "/account/passkey?id=abc");
        let (_, location, _) = send(
            &app,
            Method::POST,
            "/account",
            "action=remove-passkey&credential=abc",
            cookie,
        )
        .await;
        assert_eq!(location, "/account#sign-in-methods");

        // Ten minutes on, it no longer counts.
        sqlx::query("UPDATE sessions SET confirmed_at = $1 WHERE user_id = $2")
            .bind(now - app::accounts::session::CONFIRM_SECS)
            .bind(&user)
            .execute(&state.db.pool)
            .await
            .expect("an older confirmation");
        let (_, location, _) = send(
            &app,
            Method::POST,
            "/account",
            "action=remove-passkey&credential=abc",
            cookie,
        )
        .await;
        assert!(
            location.starts_with("/account/confirm-password?next="),
            "{location}"
        );
    }
}
