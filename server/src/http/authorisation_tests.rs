//! The authorisation matrix: every address every feature declares (`app::routes()`), with
//! each method it answers, × (administrator of the organisation, a user of it, an
//! administrator of another organisation, HMCTS onboarding, LAA staff, the HMCTS service
//! centre, court staff, signed out) → the answer its declared access means. Built from the declarations, so a new address cannot be left out; and a policy
//! check that the declared access is the one its place calls for (everything under
//! `/organisation` for administrators, `/onboarding` for staff, and so on), with the public
//! addresses listed here by name, so a page cannot be made public by mistake.

use super::tests::apps_and_states;
use app::{
    accounts::session,
    demo,
    state::AppState,
    web::{Access, Route, Stage},
};
use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Who is asking.
#[derive(Clone, Copy, Debug)]
enum Who {
    Admin,
    User,
    OtherAdmin,
    Staff,
    Laa,
    ServiceCentre,
    Court,
    SignedOut,
}

const WHO: [Who; 8] = [
    Who::Admin,
    Who::User,
    Who::OtherAdmin,
    Who::Staff,
    Who::Laa,
    Who::ServiceCentre,
    Who::Court,
    Who::SignedOut,
];

/// The answer expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Answered by the address's handler: 200, a redirect that is not to sign in, or the
    /// handler's own refusal of the input (400, 403, 422).
    Allow,
    /// "Page not found" (404): the page is not theirs to know about.
    Deny,
    /// Sent to sign in.
    SignIn,
    /// 401: an API key is needed.
    Key,
}

use Expect::{Allow as A, Deny as D, Key as K, SignIn as S};

/// Only the organisation's administrators (the handler checks the user is theirs).
const ADMINS_ONLY: [Expect; 8] = [A, D, D, D, D, D, D, S];

/// What a declared access means for each of [`WHO`] (none of whom is part-way through signing
/// in, and the development tools are off).
fn expected(access: Access) -> [Expect; 8] {
    match access {
        Access::Public => [A; 8],
        Access::Stage(_) => [S; 8],
        Access::SignedIn => [A, A, A, A, A, A, A, S],
        Access::Administrator => [A, D, A, D, D, D, D, S],
        Access::Onboarding => [D, D, D, A, D, D, D, S],
        Access::Court => [D, D, D, D, D, D, A, S],
        Access::Laa => [D, D, D, D, A, D, D, S],
        Access::ServiceCentre => [D, D, D, D, D, A, D, S],
        Access::DevTools => [D; 8],
        // No session opens a prosecution system's address: only its key.
        Access::ApiKey => [K; 8],
    }
}

/// The addresses anyone may use, by name: a new public address is a decision made here.
const PUBLIC: &[&str] = &[
    "/",
    "/accessibility",
    "/cookies",
    "/privacy",
    "/help/authenticator-app",
    "/courts",
    "/sign-in",
    "/sign-out",
    "/signed-out",
    "/activate",
    "/enrol",
    "/forgot-password",
    "/forgot-password/sent",
    "/reset-password",
    "/register",
    "/register/barrister",
    "/register/submitted",
    "/passkeys/register/options",
    "/passkeys/register",
    "/passkeys/sign-in/options",
    "/passkeys/sign-in",
    // A link emailed to the CPS for a document too large to attach: its token is the authority.
    "/cps/document",
    "/cps/document/expired",
    // A user's calendar feed at its secret address: the token is the authority.
    "/calendar/{token}",
    // The offline service worker: the same script for everyone, with nothing of anyone's in it.
    "/sw.js",
];

/// The access an address's place calls for.
fn policy(path: &str) -> Option<Access> {
    let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
    if PUBLIC.contains(&path) {
        Some(Access::Public)
    } else if path == "/sign-in/verify" {
        Some(Access::Stage(Stage::SecondFactor))
    } else if under("/account/set-up") && path != "/account/set-up/done" {
        Some(Access::Stage(Stage::Setup))
    } else if under("/account") {
        Some(Access::SignedIn)
    } else if under("/organisation") {
        Some(Access::Administrator)
    } else if under("/cases") {
        Some(Access::SignedIn)
    } else if under("/onboarding") {
        Some(Access::Onboarding)
    } else if under("/dev") {
        Some(Access::DevTools)
    } else if under("/api/prosecution") {
        Some(Access::ApiKey)
    } else if under("/staff/laa") {
        Some(Access::Laa)
    } else if under("/staff/service-centre") {
        Some(Access::ServiceCentre)
    } else if under("/court") {
        Some(Access::Court)
    } else if under("/hearings") {
        Some(Access::SignedIn)
    } else {
        None
    }
}

/// One request of the matrix: a method, an address (with `{user}` for the organisation's plain
/// user's id and `{registration}` for a pending registration's), a form body, and what each
/// of [`WHO`] should get.
struct Row {
    method: Method,
    path: String,
    body: &'static str,
    expect: [Expect; 8],
}

/// Requests that need more than the bare address to say something: a query or body naming a
/// real user or registration (and the narrower answer that then comes), or input that changes
/// nothing lasting. Keyed by method and path; the rest are sent bare.
fn samples(method: &Method, path: &str) -> Vec<(&'static str, &'static str, Option<[Expect; 8]>)> {
    match (method.as_str(), path) {
        ("GET", "/organisation/user") => vec![("?id={user}", "", Some(ADMINS_ONLY))],
        ("GET", "/organisation/user/confirm") => {
            vec![("?id={user}&action=remove", "", Some(ADMINS_ONLY))]
        }
        ("GET", "/onboarding/registration") => vec![("?id={registration}", "", None)],
        ("GET", "/account/passkey") => vec![("?id=x", "", None)],
        // The QR image exists only while an app is being set up in the asker's own session.
        ("GET", "/account/authenticator/qr.svg") => vec![("", "", Some([D, D, D, D, D, D, D, S]))],
        ("POST", "/organisation/details") => vec![("", "postcode=bad", None)],
        ("POST", "/organisation/users/add") => vec![("", "email=bad", None)],
        ("POST", "/organisation/users/import") => vec![("", "step=preview&csv=", None)],
        ("POST", "/organisation/user") => vec![
            ("", "user={user}&action=end-sessions", Some(ADMINS_ONLY)),
            ("", "user={user}&action=roles&roles=user", Some(ADMINS_ONLY)),
        ],
        ("POST", "/organisation/accountable") => vec![("", "action=withdraw", None)],
        ("POST", "/organisation/tell-hmcts") => vec![("", "kind=", None)],
        ("POST", "/onboarding") => vec![("", "restore={user}", None)],
        ("POST", "/onboarding/import") => vec![("", "step=preview&csv=", None)],
        ("POST", "/onboarding/registration") => vec![("", "id={registration}&decision=", None)],
        ("POST", "/account") => vec![("", "action=remove-passkey&credential=x", None)],
        ("POST", "/account/confirm-password") => vec![("", "password=wrong", None)],
        ("POST", "/account/authenticator") => vec![("", "code=000000", None)],
        ("POST", "/account/passkey") => vec![("", "credential=x&name=Laptop", None)],
        ("POST", "/account/accountable") => vec![("", "phone=02920000000", None)],
        ("POST", "/account/sessions") => vec![("", "session=none", None)],
        ("POST", "/account/change-password") => vec![("", "current-password=x", None)],
        ("POST", "/sign-in") => vec![("", "email=nobody%40example.com&password=x", None)],
        ("POST", "/forgot-password") => vec![("", "email=", None)],
        ("POST", "/reset-password") => vec![("", "token=bad", None)],
        ("POST", "/activate") => vec![("", "token=bad", None)],
        ("POST", "/enrol") => vec![("", "token=bad", None)],
        // A case: Smith & Co (the administrator and the plain user) are on record for its
        // first defendant; the other organisation never found it; staff are not defence.
        ("GET", "/cases/find") | ("POST", "/cases/find") => {
            vec![("", "urn=bad", Some(MEMBERS))]
        }
        ("POST", "/staff/laa/order") => vec![("", "urn=bad", None)],
        ("GET", "/cases/no-urn") | ("POST", "/cases/no-urn") => {
            vec![("", "first=", Some(MEMBERS))]
        }
        ("GET", "/staff/service-centre/requests/{request}")
        | ("POST", "/staff/service-centre/requests/{request}") => vec![
            ("", "outcome=", Some(NOBODY)),
            ("!", "outcome=", Some([D, D, D, D, D, A, D, S])),
        ],
        ("GET", "/cases/{id}")
        | ("GET", "/cases/{id}/material")
        | ("GET", "/cases/{id}/hearings")
        | ("GET", "/cases/{id}/access") => vec![("", "", Some(NOBODY)), ("!", "", Some(FIRM))],
        ("GET", "/cases/{id}/associate")
        | ("GET", "/cases/{id}/disassociate")
        | ("GET", "/cases/{id}/instruct")
        | ("GET", "/cases/{id}/withdraw-counsel")
        | ("GET", "/cases/{id}/return-instruction")
        | ("GET", "/cases/{id}/release") => vec![
            ("?defendant={defendant}", "", Some(NOBODY)),
            ("!?defendant={defendant}", "", Some(FIRM)),
        ],
        ("POST", "/cases/{id}/associate") => vec![
            ("", "defendant={defendant}&nature=", Some(NOBODY)),
            ("!", "defendant={defendant}&nature=", Some(FIRM)),
        ],
        ("POST", "/cases/{id}/instruct") => vec![
            ("", "defendant={defendant}&email=", Some(NOBODY)),
            ("!", "defendant={defendant}&email=", Some(FIRM)),
        ],
        ("POST", "/cases/{id}/disassociate")
        | ("POST", "/cases/{id}/release")
        | ("POST", "/cases/{id}/withdraw-counsel")
        | ("POST", "/cases/{id}/return-instruction") => vec![
            ("", "defendant={defendant}", Some(NOBODY)),
            ("!", "defendant={defendant}", Some(FIRM)),
        ],
        ("POST", "/cases/{id}/material") => {
            vec![("", "", Some(NOBODY)), ("!", "", Some(FIRM))]
        }
        ("GET", "/cases/{id}/pet-form") => vec![("", "", Some(NOBODY)), ("!", "", Some(FIRM))],
        // Not a multipart form: the firm on record is sent back to the form; no one else has one.
        ("POST", "/cases/{id}/upload") => {
            vec![("", "title=x", Some(NOBODY)), ("!", "title=x", Some(FIRM))]
        }
        ("GET", "/cases/{id}/receipts/{receipt}")
        | ("POST", "/cases/{id}/receipts/{receipt}")
        | ("POST", "/cases/{id}/receipts/{receipt}/check") => vec![("", "", Some(NOBODY))],
        // Only what is in the inbox: for no document, no one.
        ("GET", "/staff/service-centre/inbox/{material}") => vec![("", "", Some(NOBODY))],
        ("GET", "/cases/{id}/material/{material}") => {
            vec![("", "", Some(NOBODY)), ("!", "", Some(FIRM))]
        }
        // Resumable uploads: the firm on record may make one (a creation with no length is
        // refused as such); an upload is its maker's alone, so one that does not exist is not
        // found for anyone (the store tests cover another user's).
        ("POST", "/cases/{id}/uploads") | ("OPTIONS", "/cases/{id}/uploads") => {
            vec![("", "", Some(NOBODY)), ("!", "", Some(FIRM))]
        }
        ("HEAD", "/cases/{id}/uploads/{upload}")
        | ("PATCH", "/cases/{id}/uploads/{upload}")
        | ("DELETE", "/cases/{id}/uploads/{upload}") => vec![("", "", Some(NOBODY))],
        // Hearings: no such hearing is not found for anyone; the court's forms want a hearing
        // of their court or a check-in there.
        ("GET", "/hearings/{id}")
        | ("POST", "/hearings/{id}")
        | ("GET", "/court/hearings/{id}")
        | ("POST", "/court/hearings/{id}")
        | ("POST", "/court/attendance") => vec![("", "", Some(NOBODY))],
        // No such feed: not found, signed in or not.
        ("GET", "/calendar/{token}") => vec![("", "", Some([D; 8]))],
        // Staff have no calendar of a firm's hearings.
        ("POST", "/hearings/calendar") => vec![("", "action=off", Some(MEMBERS))],
        _ => vec![("", "", None)],
    }
}

/// Any member of a defence organisation (not staff).
const MEMBERS: [Expect; 8] = [A, A, A, D, D, D, D, S];
/// The firm with standing on the case.
const FIRM: [Expect; 8] = [A, A, D, D, D, D, D, S];
/// No record: not found for everyone signed in.
const NOBODY: [Expect; 8] = [D, D, D, D, D, D, D, S];

/// Addresses whose request changes the asker's own account for good: sent last.
const LAST: &[&str] = &["/account/report", "/sign-out"];

/// The matrix, from the declarations.
fn table(routes: &[Route]) -> Vec<Row> {
    let mut rows = vec![];
    for r in routes {
        for method in r.methods() {
            // A `{name}` segment gets a value no record has (a sample names a real one).
            let bare: String = r
                .path
                .split('/')
                .map(|seg| {
                    if seg.starts_with('{') {
                        "no-such-record"
                    } else {
                        seg
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            for (query, body, narrower) in samples(&method, r.path) {
                rows.push(Row {
                    method: method.clone(),
                    // A sample starting with `!` is about the real case, not "no such record".
                    path: match query.strip_prefix('!') {
                        Some(q) => format!("{}{q}", r.path.replace("{id}", "{case}")),
                        None => format!("{bare}{query}"),
                    },
                    body,
                    expect: narrower.unwrap_or_else(|| expected(r.access)),
                });
            }
        }
    }
    rows.sort_by_key(|row| LAST.iter().any(|l| row.path == *l));
    rows
}

#[test]
fn every_declared_address_has_the_access_its_place_calls_for() {
    let routes = app::routes().expect("the declarations");
    let mut wrong = vec![];
    for r in routes {
        match policy(r.path) {
            Some(access) if access == r.access => {}
            Some(access) => wrong.push(format!(
                "{} is declared {:?}; its place calls for {access:?}",
                r.path, r.access
            )),
            None => wrong.push(format!(
                "{} ({:?}) is in no place this test knows: add its policy",
                r.path, r.access
            )),
        }
    }
    let stale: Vec<_> = PUBLIC
        .iter()
        .filter(|p| !routes.iter().any(|r| r.path == **p))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        stale.is_empty(),
        "public addresses nobody declares: {stale:?}"
    );
    // The organisation's audit download is theirs, not anyone signed in's.
    assert_eq!(
        policy("/organisation/audit.csv"),
        Some(Access::Administrator)
    );
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
        .header(header::USER_AGENT, "matrix")
        // The resumable uploads' protocol version (other addresses ignore it).
        .header("tus-resumable", app::cases::resumable::TUS_VERSION);
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
    // An event stream does not end by itself: its status is the answer.
    let streaming = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if streaming {
        return (status, location, String::new());
    }
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
        StatusCode::OK
        | StatusCode::NO_CONTENT
        | StatusCode::BAD_REQUEST
        | StatusCode::FORBIDDEN
        | StatusCode::UNPROCESSABLE_ENTITY => Some(A),
        StatusCode::NOT_FOUND => Some(D),
        StatusCode::UNAUTHORIZED => Some(K),
        _ => None,
    }
}

/// The example case imported and `admin_id`'s firm on record for its first defendant (after
/// their declaration): the case's, the defendant's and the IDPC's ids.
/// The defence member `user_id` is (from the loopback address).
async fn member_of(state: &AppState, user_id: &str) -> app::cases::defence::Member {
    let user = app::accounts::store::user_by_id(&state.db, user_id)
        .await
        .expect("read")
        .expect("a user");
    app::cases::defence::Member {
        organisation_id: user.organisation_id.clone().expect("a firm"),
        user,
        ip: "127.0.0.1".into(),
    }
}

async fn on_record(state: &AppState, admin_id: &str, now: i64) -> (String, String, String) {
    use app::cases::{defence, import, store};
    store::upsert_prosecutor(
        &state.db,
        "CPS",
        "Crown Prosecution Service",
        "cps@x.example",
        1,
    )
    .await
    .expect("prosecutor");
    let doc = serde_json::json!({
        "urn": "01AB1234526", "prosecutor": "CPS", "court": "Cardiff Magistrates' Court",
        "defendants": [{ "ref": "D1", "person": { "first_name": "Siân", "last_name": "Ellis",
                                                   "date_of_birth": "1990-02-03" } }],
        "material": [{ "ref": "M1", "section": "idpc", "title": "IDPC", "idpc": true,
                       "defendant": "D1", "file": { "name": "idpc.pdf",
                       "content_type": "application/pdf", "base64": "JVBERi0xLjQK" } }]
    });
    let open = {
        use app::cases::sections;
        let mut conn = state.db.pool.acquire().await.expect("conn");
        let all = sections::all(&mut conn).await.expect("sections");
        sections::codes_open_to(&all, sections::Party::Prosecution)
    };
    let cases = import::parse(&doc.to_string(), &open).expect("a valid case");
    let system = app::accounts::store::Who::system();
    store::import(&state.db, &state.files, &cases, &system, &state.mail, now)
        .await
        .expect("imported");
    let member = member_of(state, admin_id).await;
    let typed = [defence::Typed::Person {
        first_name: "Sian".into(),
        last_name: "ellis".into(),
        date_of_birth: "1990-02-03".into(),
    }];
    let defence::Found::Case(case) = defence::find(&state.db, &member, &cases[0].urn, &typed, now)
        .await
        .expect("find")
    else {
        panic!("the case is found");
    };
    let ids: (String, String) = sqlx::query_as(
        "SELECT d.id, m.id FROM defendants d JOIN material m ON m.defendant_id = d.id",
    )
    .fetch_one(&state.db.pool)
    .await
    .expect("ids");
    defence::associate(
        state,
        &member,
        &case,
        &ids.0,
        defence::Nature::Private,
        None,
        now,
    )
    .await
    .expect("db")
    .expect("associated");
    (case, ids.0, ids.1)
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
            id_of(&state, "laa@legalaid.example").await,
            id_of(&state, "service-centre@hmcts.example").await,
            id_of(&state, "usher@hmcts.example").await,
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

        let (case, defendant, material) = on_record(&state, &ids[0], now).await;
        let urn_request = {
            let member = member_of(&state, &ids[0]).await;
            let ask = app::cases::urn_requests::Ask {
                first_name: "Ann".into(),
                last_name: "Client".into(),
                date_of_birth: "1990-01-01".into(),
                address: "1 Street".into(),
                court: None,
                hearing_date: None,
            };
            app::cases::urn_requests::submit(&state, &member, &ask, now)
                .await
                .expect("a URN request")
        };

        let rows = table(app::routes().expect("the declarations"));
        assert!(rows.len() > 60, "{} requests", rows.len());

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
                        .replace("{case}", &case)
                        .replace("{defendant}", &defendant)
                        .replace("{material}", &material)
                        .replace("{request}", &urn_request)
                };
                let (status, location, _) = send(
                    &app,
                    row.method.clone(),
                    &fill(&row.path),
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

/// A spreadsheet is read as the bytes that came: one saved as Windows-1252 (as Excel's plain
/// "CSV" does) is refused with a message saying how to save it, not imported garbled; the same
/// file in UTF-8 goes through to the preview. Each form has its own body limit.
#[tokio::test]
async fn uploaded_files_are_bytes_and_each_form_has_its_limit() {
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let admin = id_of(&state, "admin@smith-solicitors.example").await;
        let cookie = signed_in(&state, &admin, now).await;
        let upload = |file: &[u8]| {
            let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"step\"\r\n\r\npreview\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"users.csv\"\r\nContent-Type: text/csv\r\n\r\n".to_vec();
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n--XyZ--\r\n");
            Request::post("/organisation/users/import")
                .header("origin", "http://localhost:3000")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header(header::COOKIE, format!("{}={cookie}", session::COOKIE))
                .body(Body::from(body))
                .expect("request")
        };
        let html = |res: axum::response::Response| async move {
            let status = res.status();
            let bytes = res.into_body().collect().await.expect("body").to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        };
        let cp1252 = b"user_first_name,user_last_name,user_email,user_roles\nSi\xe2n,Jones,sian@smith-solicitors.example,user\n";
        let (status, page) = html(app.clone().oneshot(upload(cp1252)).await.expect("answer")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("must be saved as UTF-8"), "{page}");
        assert!(
            page.contains("data-module=\"govuk-error-summary\""),
            "{page}"
        );
        let utf8 = "user_first_name,user_last_name,user_email,user_roles\nSiân,Jones,sian@smith-solicitors.example,user\n";
        let (status, page) = html(
            app.clone()
                .oneshot(upload(utf8.as_bytes()))
                .await
                .expect("answer"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Siân"), "{page}");
        assert!(!page.contains("must be saved as UTF-8"));

        // A sign-in form of 300 KiB is refused; a 1 MiB spreadsheet is read.
        let big = format!("email=a%40b.example&password={}", "x".repeat(300 << 10));
        let (status, _, _) = send(&app, Method::POST, "/sign-in", &big, None).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let mut file = utf8.as_bytes().to_vec();
        file.extend(std::iter::repeat_n(b' ', 1 << 20));
        let (status, page) = html(app.clone().oneshot(upload(&file)).await.expect("answer")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }
}

#[tokio::test]
async fn a_case_file_downloads_with_safe_headers_uncompressed_and_recorded() {
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let admin = id_of(&state, "admin@smith-solicitors.example").await;
        let (case, _, material) = on_record(&state, &admin, now).await;
        let cookie = signed_in(&state, &admin, now).await;
        let req = Request::builder()
            .uri(format!("/cases/{case}/material/{material}"))
            .header(header::COOKIE, format!("{}={cookie}", session::COOKIE))
            .header(header::ACCEPT_ENCODING, "gzip, br")
            .body(Body::empty())
            .expect("request");
        let res = app.clone().oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        let get = |k: header::HeaderName| {
            h.get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(get(header::CONTENT_TYPE), "application/pdf");
        assert_eq!(
            get(header::CONTENT_DISPOSITION),
            "attachment; filename=\"idpc.pdf\""
        );
        assert_eq!(get(header::CACHE_CONTROL), "no-store");
        assert_eq!(get(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(get(header::CONTENT_SECURITY_POLICY).starts_with("sandbox"));
        assert_eq!(
            get(header::CONTENT_ENCODING),
            "",
            "a PDF is not compressed again"
        );
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"%PDF-1.4\n");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM downloads")
            .fetch_one(&state.db.pool)
            .await
            .expect("count");
        assert_eq!(n, 1, "the download is recorded");
        let (a,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.material.downloaded'",
        )
        .fetch_one(&state.db.pool)
        .await
        .expect("count");
        assert_eq!(a, 1, "and audited");

        let get_range = |path: String, range: &'static str| {
            Request::builder()
                .uri(path)
                .header(header::COOKIE, format!("{}={cookie}", session::COOKIE))
                .header(header::RANGE, range)
                .body(Body::empty())
                .expect("request")
        };
        // A part of it (players and resumed downloads), and a part it has not.
        let path = format!("/cases/{case}/material/{material}");
        let res = app
            .clone()
            .oneshot(get_range(path.clone(), "bytes=1-3"))
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.headers()[header::CONTENT_RANGE], "bytes 1-3/9");
        assert_eq!(res.headers()[header::ACCEPT_RANGES], "bytes");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"PDF");
        let res = app
            .clone()
            .oneshot(get_range(path, "bytes=20-"))
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(res.headers()[header::CONTENT_RANGE], "bytes */9");

        // A document the firm uploaded: not served while it waits for the scan, then from the
        // document store, whole or in part.
        let member = member_of(&state, &admin).await;
        let (defendant,): (String,) = sqlx::query_as("SELECT id FROM defendants")
            .fetch_one(&state.db.pool)
            .await
            .expect("defendant");
        let offer = app::cases::upload::Offer {
            case_id: case.clone(),
            defendant_id: defendant,
            section: "plea".into(),
            title: "Plea".into(),
            file_name: "plea.pdf".into(),
            send_to_cps: false,
        };
        let bytes = b"%PDF-1.7\nnot guilty\n".to_vec();
        let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(
            bytes.clone(),
        ))]);
        let up = app::cases::upload::accept(
            &state.db,
            &state.objects,
            &state.notices,
            &member,
            &offer,
            stream,
            1 << 20,
            true,
            now,
        )
        .await
        .expect("accepted");
        let path = format!("/cases/{case}/material/{}", up.material_id);
        let res = app
            .clone()
            .oneshot(get_range(path.clone(), "bytes=0-"))
            .await
            .expect("response");
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "not while it is being checked"
        );
        sqlx::query("UPDATE material SET status = 'clean' WHERE id = $1")
            .bind(&up.material_id)
            .execute(&state.db.pool)
            .await
            .expect("scanned");
        let res = app
            .clone()
            .oneshot(get_range(path.clone(), "bytes=0-"))
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], &bytes[..]);
        let res = app
            .clone()
            .oneshot(get_range(path, "bytes=-7"))
            .await
            .expect("response");
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "7");
        let body = res.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"guilty\n");
        for status in ["infected", "scan_failed"] {
            sqlx::query("UPDATE material SET status = $1 WHERE id = $2")
                .bind(status)
                .bind(&up.material_id)
                .execute(&state.db.pool)
                .await
                .expect("status");
            let req = get_range(
                format!("/cases/{case}/material/{}", up.material_id),
                "bytes=0-",
            );
            let res = app.clone().oneshot(req).await.expect("response");
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "never served when {status}"
            );
        }
    }
}

#[tokio::test]
async fn prosecution_systems_send_their_own_cases_with_a_live_key() {
    use app::cases::{api, store};
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        store::upsert_prosecutor(
            &state.db,
            "CPS",
            "Crown Prosecution Service",
            "c@x.example",
            1,
        )
        .await
        .expect("prosecutor");
        store::upsert_prosecutor(&state.db, "RSPCA", "RSPCA", "r@x.example", 1)
            .await
            .expect("prosecutor");
        assert!(
            api::create_key(&state.db, "NOPE", "", now)
                .await
                .expect("db")
                .is_none()
        );
        let key = api::create_key(&state.db, "CPS", "test system", now)
            .await
            .expect("db")
            .expect("a key");
        let (stored,): (String,) = sqlx::query_as("SELECT secret_hash FROM prosecution_keys")
            .fetch_one(&state.db.pool)
            .await
            .expect("row");
        assert!(
            !key.key.contains(&stored) && !stored.contains(&key.key[17..]),
            "only a hash"
        );
        let post = |auth: Option<String>, body: String| {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri(api::PATH)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            let app = app.clone();
            async move {
                let res = app
                    .oneshot(req.body(Body::from(body)).expect("request"))
                    .await
                    .expect("response");
                let status = res.status();
                let www = res.headers().contains_key(header::WWW_AUTHENTICATE);
                let bytes = res.into_body().collect().await.expect("body").to_bytes();
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                (status, v, www)
            }
        };
        let doc = |prosecutor: &str| {
            serde_json::json!({
                "urn": "62XY1234526", "prosecutor": prosecutor, "court": "Cardiff Magistrates' Court",
                "defendants": [{ "ref": "D1", "company": { "name": "Acme Ltd" } }]
            })
            .to_string()
        };
        let bearer = Some(format!("Bearer {}", key.key));
        let (s, _, www) = post(None, doc("CPS")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(www, "says how to authenticate");
        let forged = format!("Bearer cak_{}_{}", key.id, "A".repeat(43));
        assert_eq!(
            post(Some(forged), doc("CPS")).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (s, v, _) = post(bearer.clone(), doc("RSPCA")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["problems"][0]["path"], "$.prosecutor");
        let (s, v, _) = post(bearer.clone(), "{\"urn\": 1}".into()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            v["problems"].as_array().is_some_and(|p| p.len() > 1),
            "every problem: {v}"
        );
        let (s, v, _) = post(bearer.clone(), doc("CPS")).await;
        assert_eq!((s, v["added"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
        let (s, v, _) = post(bearer.clone(), doc("CPS")).await;
        assert_eq!((s, v["updated"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
        let (actor,): (String,) = sqlx::query_as(
            "SELECT actor FROM audit_events WHERE action = 'case.imported' ORDER BY seq DESC LIMIT 1",
        )
        .fetch_one(&state.db.pool)
        .await
        .expect("audited");
        assert_eq!(actor, format!("prosecutor:CPS:{}", key.id));
        assert!(api::revoke_key(&state.db, &key.id, now).await.expect("db"));
        assert!(
            !api::revoke_key(&state.db, &key.id, now).await.expect("db"),
            "once"
        );
        assert_eq!(
            post(bearer, doc("CPS")).await.0,
            StatusCode::UNAUTHORIZED,
            "revoked at once"
        );
    }
}

/// A resumable upload through the whole stack (docs/uploads.md): what the server speaks, an
/// upload made, refused with a message when the offer is wrong, sent in two pieces with the
/// offset checked, finished with a receipt whose page opens, and one abandoned; a cross-site
/// request is refused as every other change is.
#[tokio::test]
async fn a_resumable_upload_speaks_tus_from_creation_to_receipt() {
    use app::cases::resumable::TUS_VERSION;
    use base64::Engine as _;
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let admin = id_of(&state, "admin@smith-solicitors.example").await;
        let (case, defendant, _) = on_record(&state, &admin, now).await;
        let cookie = signed_in(&state, &admin, now).await;
        let call =
            |method: Method, path: String, headers: Vec<(&'static str, String)>, body: Vec<u8>| {
                let app = app.clone();
                let cookie = cookie.clone();
                async move {
                    let mut req = Request::builder()
                        .method(method)
                        .uri(path)
                        .header("origin", "http://localhost:3000")
                        .header(header::COOKIE, format!("{}={cookie}", session::COOKIE));
                    for (k, v) in headers {
                        req = req.header(k, v);
                    }
                    let res = app
                        .oneshot(req.body(Body::from(body)).expect("request"))
                        .await
                        .expect("response");
                    let status = res.status();
                    let h = res.headers().clone();
                    let bytes = res.into_body().collect().await.expect("body").to_bytes();
                    (status, h, String::from_utf8_lossy(&bytes).into_owned())
                }
            };
        let tus = || ("tus-resumable", TUS_VERSION.to_owned());
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let meta = |section: &str| {
            (
                "upload-metadata",
                format!(
                    "filename {},title {},section {},defendant {},send_to_cps {}",
                    b64("plea.pdf"),
                    b64("Plea"),
                    b64(section),
                    b64(&defendant),
                    b64("yes")
                ),
            )
        };
        let pdf = b"%PDF-1.7\nnot guilty, in two pieces\n%%EOF\n".to_vec();
        let uploads = format!("/cases/{case}/uploads");

        let (status, h, _) = call(Method::OPTIONS, uploads.clone(), vec![], vec![]).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(h["tus-version"], TUS_VERSION);
        assert!(
            h["tus-extension"]
                .to_str()
                .expect("ascii")
                .contains("creation")
        );
        assert_eq!(
            h["tus-max-size"],
            app::cases::upload::DEFAULT_LIMIT.to_string().as_str()
        );

        let length = ("upload-length", pdf.len().to_string());
        let (status, h, _) = call(
            Method::POST,
            uploads.clone(),
            vec![length.clone(), meta("plea")],
            vec![],
        )
        .await;
        assert_eq!(
            status,
            StatusCode::PRECONDITION_FAILED,
            "without the version"
        );
        assert_eq!(h["tus-version"], TUS_VERSION);
        let (status, _, body) = call(
            Method::POST,
            uploads.clone(),
            vec![tus(), length.clone(), meta("idpc")],
            vec![],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let problem: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(problem["problem"], "section");
        assert!(!problem["message"].as_str().unwrap_or_default().is_empty());
        let (status, _, _) = call(
            Method::POST,
            uploads.clone(),
            vec![
                tus(),
                length.clone(),
                meta("plea"),
                ("sec-fetch-site", "cross-site".into()),
            ],
            vec![],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "cross-site");

        let (status, h, _) = call(
            Method::POST,
            uploads.clone(),
            vec![tus(), length.clone(), meta("plea")],
            vec![],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let at = h["location"].to_str().expect("ascii").to_owned();
        assert!(at.starts_with(&format!("{uploads}/")), "{at}");
        assert_eq!(h["upload-offset"], "0");
        assert!(
            h["upload-expires"]
                .to_str()
                .expect("ascii")
                .ends_with(" GMT")
        );

        let (status, h, _) = call(Method::HEAD, at.clone(), vec![tus()], vec![]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["upload-offset"], "0");
        assert_eq!(h["upload-length"], pdf.len().to_string().as_str());
        assert_eq!(h[header::CACHE_CONTROL], "no-store");

        let octets = || {
            (
                header::CONTENT_TYPE.as_str(),
                "application/offset+octet-stream".to_owned(),
            )
        };
        let (status, _, _) = call(
            Method::PATCH,
            at.clone(),
            vec![tus(), ("upload-offset", "0".into())],
            pdf[..10].to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (status, h, _) = call(
            Method::PATCH,
            at.clone(),
            vec![tus(), octets(), ("upload-offset", "0".into())],
            pdf[..10].to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(h["upload-offset"], "10");
        let (status, h, _) = call(
            Method::PATCH,
            at.clone(),
            vec![tus(), octets(), ("upload-offset", "0".into())],
            pdf.clone(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "not where the server's bytes end"
        );
        assert_eq!(h["upload-offset"], "10");
        let (status, h, _) = call(
            Method::PATCH,
            at.clone(),
            vec![tus(), octets(), ("upload-offset", "10".into())],
            pdf[10..].to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(h["upload-offset"], pdf.len().to_string().as_str());
        let receipt = h["upload-receipt"].to_str().expect("ascii").to_owned();
        let (status, h, _) = call(Method::HEAD, at.clone(), vec![tus()], vec![]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["upload-receipt"], receipt.as_str());
        let (status, _, page) = call(
            Method::GET,
            format!("/cases/{case}/receipts/{receipt}"),
            vec![],
            vec![],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&receipt) && page.contains("plea.pdf"),
            "{page}"
        );

        // Another user of the firm cannot see it; its maker can abandon another.
        let colleague = id_of(&state, "caseworker@smith-solicitors.example").await;
        let theirs = signed_in(&state, &colleague, now).await;
        let res = app
            .clone()
            .oneshot(
                Request::head(&at)
                    .header("tus-resumable", TUS_VERSION)
                    .header(header::COOKIE, format!("{}={theirs}", session::COOKIE))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let (_, h, _) = call(
            Method::POST,
            uploads.clone(),
            vec![tus(), length, meta("plea")],
            vec![],
        )
        .await;
        let other = h["location"].to_str().expect("ascii").to_owned();
        let (status, _, _) = call(Method::DELETE, other.clone(), vec![tus()], vec![]).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) = call(Method::HEAD, other, vec![tus()], vec![]).await;
        assert_eq!(status, StatusCode::GONE);
    }
}

/// Co-defendants: Smith & Co on record for one, Jones Chambers for the other. Smith & Co's
/// upload is not found for Jones Chambers — not listed, not downloadable — until Smith & Co
/// share it with Jones Chambers' client from its receipt, and not found again once unshared.
/// The prosecution reads it through its API with its own key, and no other authority can.
#[tokio::test]
async fn a_co_defendants_firm_cannot_see_or_download_unshared_defence_material() {
    use app::cases::{defence, import, store, upload};
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        store::upsert_prosecutor(&state.db, "CPS", "CPS", "cps@x.example", 1)
            .await
            .expect("prosecutor");
        let doc = serde_json::json!({
            "urn": "01AB1234526", "prosecutor": "CPS", "court": "Cardiff Magistrates' Court",
            "defendants": [
                { "ref": "D1", "person": { "first_name": "Siân", "last_name": "Ellis", "date_of_birth": "1990-02-03" } },
                { "ref": "D2", "person": { "first_name": "Rhys", "last_name": "Evans", "date_of_birth": "1988-07-09" } }
            ]
        });
        let cases = import::parse(&doc.to_string(), &["idpc".to_owned()]).expect("valid");
        store::import(
            &state.db,
            &state.files,
            &cases,
            &app::accounts::store::Who::system(),
            &state.mail,
            now,
        )
        .await
        .expect("imported");
        let both = [
            defence::Typed::Person {
                first_name: "Sian".into(),
                last_name: "Ellis".into(),
                date_of_birth: "1990-02-03".into(),
            },
            defence::Typed::Person {
                first_name: "Rhys".into(),
                last_name: "Evans".into(),
                date_of_birth: "1988-07-09".into(),
            },
        ];
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM defendants ORDER BY ref")
            .fetch_all(&state.db.pool)
            .await
            .expect("ids");
        let smith = member_of(
            &state,
            &id_of(&state, "admin@smith-solicitors.example").await,
        )
        .await;
        let jones = member_of(&state, &id_of(&state, "clerk@jones-chambers.example").await).await;
        let mut case = String::new();
        for (m, d) in [(&smith, &ids[0]), (&jones, &ids[1])] {
            let defence::Found::Case(c) = defence::find(&state.db, m, &cases[0].urn, &both, now)
                .await
                .expect("find")
            else {
                panic!("found");
            };
            defence::associate(&state, m, &c, d, defence::Nature::Private, None, now)
                .await
                .expect("db")
                .expect("associated");
            case = c;
        }
        let pdf = b"%PDF-1.7\nour defence statement\n%%EOF\n".to_vec();
        let offer = upload::Offer {
            case_id: case.clone(),
            defendant_id: ids[0].clone(),
            section: "general-correspondence".into(),
            title: "Defence case statement".into(),
            file_name: "dcs.pdf".into(),
            send_to_cps: false,
        };
        let stream =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(pdf.clone()))]);
        let ok = upload::accept(
            &state.db,
            &state.objects,
            &state.notices,
            &smith,
            &offer,
            stream,
            1 << 20,
            false,
            now,
        )
        .await
        .expect("accepted");
        let (smith_c, jones_c) = (
            signed_in(&state, &smith.user.id, now).await,
            signed_in(&state, &jones.user.id, now).await,
        );
        let material = format!("/cases/{case}/material");
        let download = format!("/cases/{case}/material/{}", ok.material_id);
        let receipt = format!("/cases/{case}/receipts/{}", ok.receipt);
        let jones_sees = || async {
            let (status, _, page) = send(&app, Method::GET, &material, "", Some(&jones_c)).await;
            assert_eq!(status, StatusCode::OK);
            let (got, _, body) = send(&app, Method::GET, &download, "", Some(&jones_c)).await;
            (page.contains("Defence case statement"), got, body)
        };
        let (listed, got, _) = jones_sees().await;
        assert!(!listed, "not listed for the co-defendant's firm");
        assert_eq!(got, StatusCode::NOT_FOUND);
        let (got, _, _) = send(&app, Method::GET, &receipt, "", Some(&jones_c)).await;
        assert_eq!(got, StatusCode::NOT_FOUND, "nor its receipt");
        let (got, _, _) = send(
            &app,
            Method::POST,
            &receipt,
            &format!("share={}", ids[1]),
            Some(&jones_c),
        )
        .await;
        assert_eq!(got, StatusCode::NOT_FOUND, "nor can they share it");
        let (got, _, body) = send(&app, Method::GET, &download, "", Some(&smith_c)).await;
        assert_eq!((got, body.as_bytes()), (StatusCode::OK, pdf.as_slice()));

        let (got, to, _) = send(
            &app,
            Method::POST,
            &receipt,
            &format!("share={}", ids[1]),
            Some(&smith_c),
        )
        .await;
        assert_eq!(
            (got, to.as_str()),
            (
                StatusCode::SEE_OTHER,
                format!("{receipt}?shared=saved#sharing").as_str()
            )
        );
        let (listed, got, body) = jones_sees().await;
        assert!(listed, "shared: listed");
        assert_eq!((got, body.as_bytes()), (StatusCode::OK, pdf.as_slice()));
        let (_, _, page) = send(&app, Method::GET, &receipt, "", Some(&smith_c)).await;
        assert!(
            page.contains("Rhys Evans") && page.contains("checked"),
            "the form says who"
        );

        let (got, _, _) = send(&app, Method::POST, &receipt, "", Some(&smith_c)).await;
        assert_eq!(got, StatusCode::SEE_OTHER);
        let (listed, got, _) = jones_sees().await;
        assert!(!listed, "unshared: gone");
        assert_eq!(got, StatusCode::NOT_FOUND);
        // A defendant not on the case is refused with the form's message, and nothing changes.
        let (got, _, page) = send(
            &app,
            Method::POST,
            &receipt,
            "share=elsewhere",
            Some(&smith_c),
        )
        .await;
        assert_eq!(got, StatusCode::OK);
        assert!(
            page.contains("data-module=\"govuk-error-summary\"")
                && page.contains("Choose only defendants on this case")
        );
        // The prosecution sees defence material on its own cases, with its key only.
        store::upsert_prosecutor(&state.db, "RSPCA", "RSPCA", "r@x.example", 1)
            .await
            .expect("prosecutor");
        let cps = app::cases::api::create_key(&state.db, "CPS", "case system", now)
            .await
            .expect("db")
            .expect("key");
        let rspca = app::cases::api::create_key(&state.db, "RSPCA", "", now)
            .await
            .expect("db")
            .expect("key");
        let with_key = |key: Option<&str>, path: String, range: Option<&str>| {
            let (app, key, range) = (
                app.clone(),
                key.map(str::to_owned),
                range.map(str::to_owned),
            );
            async move {
                let mut req = Request::builder().uri(path);
                if let Some(k) = key {
                    req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
                }
                if let Some(r) = range {
                    req = req.header(header::RANGE, r);
                }
                let res = app
                    .oneshot(req.body(Body::empty()).expect("request"))
                    .await
                    .expect("response");
                let status = res.status();
                let bytes = res.into_body().collect().await.expect("body").to_bytes();
                (status, bytes.to_vec())
            }
        };
        let list = "/api/prosecution/cases/01AB1234526/material".to_owned();
        let one = format!("{list}/{}", ok.material_id);
        assert_eq!(
            with_key(None, list.clone(), None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            with_key(Some(&rspca.key), list.clone(), None).await.0,
            StatusCode::NOT_FOUND,
            "not their case"
        );
        assert_eq!(
            with_key(Some(&rspca.key), one.clone(), None).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, body) = with_key(Some(&cps.key), list.clone(), None).await;
        assert_eq!(status, StatusCode::OK);
        let listed: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(listed["urn"], "01AB1234526");
        assert_eq!(listed["material"][0]["title"], "Defence case statement");
        assert_eq!(listed["material"][0]["defendant"], "D1");
        assert_eq!(listed["material"][0]["sha256"], ok.sha256);
        assert_eq!(listed["material"][0]["served_by"], "Smith & Co Solicitors");
        let (status, body) = with_key(Some(&cps.key), one.clone(), None).await;
        assert_eq!((status, body), (StatusCode::OK, pdf.clone()));
        let (status, body) = with_key(Some(&cps.key), one.clone(), Some("bytes=0-3")).await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::PARTIAL_CONTENT, b"%PDF".as_slice())
        );
        let read: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'material.prosecution_download'",
        )
        .fetch_one(&state.db.pool)
        .await
        .expect("audit");
        assert_eq!(read, 2, "each download audited");
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'material.shared'",
        )
        .fetch_one(&state.db.pool)
        .await
        .expect("audit");
        assert_eq!(audited, 2);
    }
}

/// Reads the stream until `want` appears in what has come (or fails after 5 s); `None` when the
/// stream ended first.
async fn read_until(body: &mut Body, seen: &mut String, want: &str) -> Option<()> {
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !seen.contains(want) {
        let frame = tokio::time::timeout_at(until, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {want:?} within 5 s; got {seen:?}"));
        match frame {
            Some(Ok(f)) => {
                if let Some(d) = f.data_ref() {
                    seen.push_str(&String::from_utf8_lossy(d));
                }
            }
            _ => return None,
        }
    }
    Some(())
}

#[tokio::test]
async fn a_court_board_streams_check_ins_and_ends_for_a_removed_user() {
    use app::hearings::{rules, store};
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let admin_id = id_of(&state, "admin@smith-solicitors.example").await;
        let usher_id = id_of(&state, "usher@hmcts.example").await;
        let other_id = id_of(&state, "service-centre@hmcts.example").await;
        let (case, defendant, _) = on_record(&state, &admin_id, now).await;
        sqlx::query(
            "INSERT INTO hearings (id, case_id, ref, court, courtroom, starts_at, hearing_type) \
             VALUES ('h1', $1, 'H1', 'Cardiff Magistrates'' Court', '1', $2, 'Trial')",
        )
        .bind(&case)
        .bind(now + 3600)
        .execute(&state.db.pool)
        .await
        .expect("a hearing today");
        let admin = app::accounts::store::user_by_id(&state.db, &admin_id)
            .await
            .expect("read")
            .expect("admin");
        let check_in = |at: i64| {
            let (state, admin, defendant) = (state.clone(), admin.clone(), defendant.clone());
            async move {
                let d = [defendant];
                let req = store::Request {
                    hearing_id: "h1",
                    advocate: &admin,
                    status: rules::Status::Solicitor,
                    attendance: rules::Attendance::InPerson,
                    defendants: &d,
                };
                store::check_in(&state.db, store::By::Advocate, &req, "127.0.0.1", at)
                    .await
                    .expect("db")
                    .expect("checked in");
            }
        };
        let withdraw = || {
            let (state, admin) = (state.clone(), admin.clone());
            async move {
                store::withdraw(
                    &state.db,
                    store::By::Advocate,
                    "h1",
                    &admin,
                    "127.0.0.1",
                    now,
                )
                .await
                .expect("db")
                .expect("withdrawn");
            }
        };
        // Two events before the board connects.
        check_in(now).await;
        withdraw().await;
        let open = |cookie: String, last: Option<&'static str>| {
            let mut req = Request::get("/court/live?after=0")
                .header(header::COOKIE, format!("{}={cookie}", session::COOKIE));
            if let Some(l) = last {
                req = req.header("last-event-id", l);
            }
            app.clone()
                .oneshot(req.body(Body::empty()).expect("request"))
        };
        // Staff of no court, and defence users: not found.
        let other = signed_in(&state, &other_id, now).await;
        assert_eq!(
            open(other, None).await.expect("response").status(),
            StatusCode::NOT_FOUND
        );
        let usher = signed_in(&state, &usher_id, now).await;
        // Reconnecting after event 1: event 2 (the withdrawal) comes from the table first.
        let res = open(usher.clone(), Some("1")).await.expect("response");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        let mut body = res.into_body();
        let mut seen = String::new();
        read_until(&mut body, &mut seen, "id: 2\n")
            .await
            .expect("the catch-up");
        assert!(!seen.contains("id: 1\n"), "event 1 was seen before: {seen}");
        assert!(seen.contains("\"withdrawn\":true"), "{seen}");
        // A check-in now arrives live.
        check_in(now + 60).await;
        read_until(&mut body, &mut seen, "id: 3\n")
            .await
            .expect("the live event");
        assert!(seen.contains("event: checkin"), "{seen}");
        // The usher is removed (their sessions end): the stream says so and ends.
        sqlx::query("UPDATE users SET status = 'removed' WHERE id = $1")
            .bind(&usher_id)
            .execute(&state.db.pool)
            .await
            .expect("removed");
        state.db.sessions.wrote();
        read_until(&mut body, &mut seen, "event: signed-out")
            .await
            .expect("told");
        assert!(
            read_until(&mut body, &mut seen, "never").await.is_none(),
            "the stream ends"
        );
    }
}

#[tokio::test]
async fn a_check_in_on_one_instance_reaches_a_board_served_by_another() {
    use app::hearings::{rules, store};
    let Some(((_app_a, _dir_a, a), (app_b, _dir_b, b), url)) =
        super::tests::two_instances_on_postgres().await
    else {
        return;
    };
    // Each instance listens for the other's notifications, as `serve` does.
    tokio::spawn(a.db.live.clone().run(a.db.clone(), Some(url.clone())));
    tokio::spawn(b.db.live.clone().run(b.db.clone(), Some(url.clone())));
    let now = a.clock.now_unix();
    demo::seed(&a.db, &a.secrets, now)
        .await
        .expect("demo accounts");
    let admin_id = id_of(&a, "admin@smith-solicitors.example").await;
    let usher_id = id_of(&a, "usher@hmcts.example").await;
    let (case, defendant, _) = on_record(&a, &admin_id, now).await;
    sqlx::query(
        "INSERT INTO hearings (id, case_id, ref, court, courtroom, starts_at, hearing_type) \
         VALUES ('h1', $1, 'H1', 'Cardiff Magistrates'' Court', '1', $2, 'Trial')",
    )
    .bind(&case)
    .bind(now + 3600)
    .execute(&a.db.pool)
    .await
    .expect("a hearing today");
    // The usher's board is served by instance B.
    let usher = signed_in(&b, &usher_id, now).await;
    let res = app_b
        .clone()
        .oneshot(
            Request::get("/court/live?after=0")
                .header(header::COOKIE, format!("{}={usher}", session::COOKIE))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, ": live")
        .await
        .expect("open");
    // Let both listeners start listening (otherwise the 5-second poll would still bring it).
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    // The advocate checks in on instance A.
    let admin = app::accounts::store::user_by_id(&a.db, &admin_id)
        .await
        .expect("read")
        .expect("admin");
    let d = [defendant];
    let req = store::Request {
        hearing_id: "h1",
        advocate: &admin,
        status: rules::Status::Solicitor,
        attendance: rules::Attendance::InPerson,
        defendants: &d,
    };
    let at = tokio::time::Instant::now();
    store::check_in(&a.db, store::By::Advocate, &req, "127.0.0.1", now)
        .await
        .expect("db")
        .expect("checked in");
    read_until(&mut body, &mut seen, "id: 1\n")
        .await
        .expect("the event");
    let took = at.elapsed();
    assert!(seen.contains("Sam Smith"), "{seen}");
    // Woken by the notification, not the poll.
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
    // Instance B stops: its streams end (the browser reconnects to another), so its graceful
    // shutdown is not held open by them.
    b.db.live.close();
    assert!(
        read_until(&mut body, &mut seen, "never").await.is_none(),
        "the stream ends when its instance stops"
    );
}

#[tokio::test]
async fn a_copy_checked_against_a_receipt_is_answered_on_the_receipt_page() {
    use app::cases::upload;
    for (app, _dir, state) in apps_and_states().await {
        let now = state.clock.now_unix();
        demo::seed(&state.db, &state.secrets, now)
            .await
            .expect("demo accounts");
        let admin = id_of(&state, "admin@smith-solicitors.example").await;
        let (case, defendant, _) = on_record(&state, &admin, now).await;
        let smith = member_of(&state, &admin).await;
        let pdf = b"%PDF-1.7\nplea\n%%EOF\n".to_vec();
        let offer = upload::Offer {
            case_id: case.clone(),
            defendant_id: defendant.clone(),
            section: "general-correspondence".into(),
            title: "Plea".into(),
            file_name: "plea.pdf".into(),
            send_to_cps: false,
        };
        let stream =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(pdf.clone()))]);
        let ok = upload::accept(
            &state.db,
            &state.objects,
            &state.notices,
            &smith,
            &offer,
            stream,
            1 << 20,
            false,
            now,
        )
        .await
        .expect("accepted");
        let cookie = signed_in(&state, &admin, now).await;
        let receipt = format!("/cases/{case}/receipts/{}", ok.receipt);
        let check = |bytes: Option<Vec<u8>>| {
            let mut body = b"--XyZ\r\n".to_vec();
            if let Some(b) = bytes {
                body.extend_from_slice(
                    b"Content-Disposition: form-data; name=\"file\"; filename=\"copy.pdf\"\r\nContent-Type: application/pdf\r\n\r\n",
                );
                body.extend_from_slice(&b);
                body.extend_from_slice(b"\r\n--XyZ--\r\n");
            } else {
                body.extend_from_slice(
                    b"Content-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--XyZ--\r\n",
                );
            }
            let req = Request::post(format!("{receipt}/check"))
                .header("origin", "http://localhost:3000")
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
                .header(header::COOKIE, format!("{}={cookie}", session::COOKIE))
                .body(Body::from(body))
                .expect("request");
            let app = app.clone();
            async move {
                let res = app.oneshot(req).await.expect("answer");
                assert_eq!(res.status(), StatusCode::SEE_OTHER);
                res.headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        assert!(
            check(Some(pdf.clone()))
                .await
                .ends_with("?check=match#check")
        );
        let other = check(Some(b"%PDF-1.7\nnot the plea\n".to_vec())).await;
        assert!(other.contains("?check=differs&sha256="), "{other}");
        assert!(check(None).await.ends_with("?check=no_file#check"));
        // A copy larger than any document could be is answered in the page's error summary,
        // naming the limit (the handler sends `check=too_large`).
        for (outcome, says) in [
            ("no_file", "Select a file to check"),
            ("too_large", "smaller than 512 MB"),
        ] {
            let (status, _, page) = send(
                &app,
                Method::GET,
                &format!("{receipt}?check={outcome}"),
                "",
                Some(&cookie),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            let summary = page
                .split("class=\"govuk-list govuk-error-summary__list\"")
                .nth(1)
                .unwrap_or_else(|| panic!("{outcome}: no error summary"));
            assert!(summary.contains(says), "{outcome}: {summary}");
        }
    }
}
