//! Passkeys and security keys (WebAuthn, via webauthn-rs). The ceremony state lives in the
//! database (`webauthn_states`) for five minutes and is deleted as it is used, so an assertion
//! or a registration can be finished once only (the library itself accepts replays against the
//! same state). A credential id belongs to one account: the primary key refuses it elsewhere.
//!
//! Passkeys verify the user (PIN or biometrics), so a passkey sign-in is multi-factor by itself;
//! webauthn-rs requires user verification for every passkey ceremony.

use super::store::{self, User};
use crate::db::Db;
use sqlx::AnyConnection;
use webauthn_rs::prelude::*;

/// How long a ceremony may take.
pub const STATE_SECS: i64 = 300;
/// Most passkeys one account may hold.
pub const MAX_PER_USER: i64 = 10;

/// What went wrong, in terms a page can explain.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The ceremony expired, was already used, or is unknown.
    #[error("the request expired or was already used")]
    StateGone,
    /// The browser's answer did not verify (wrong challenge, origin, signature, counter...).
    #[error("the passkey response did not verify: {0}")]
    Rejected(String),
    /// This credential is already registered (to this or another account).
    #[error("this passkey is already registered")]
    AlreadyRegistered,
    /// No account has this credential, or the account cannot sign in.
    #[error("unknown passkey")]
    Unknown,
    /// Too many passkeys.
    #[error("too many passkeys")]
    TooMany,
    /// The service's address cannot be used for passkeys (configuration).
    #[error("passkeys are not available: {0}")]
    Unavailable(String),
    /// Storage.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The relying party for the service's public address (its host is the RP id).
pub fn relying_party(public_url: &str) -> Result<Webauthn, PasskeyError> {
    let origin = Url::parse(public_url).map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
    let rp_id = origin
        .domain()
        .ok_or_else(|| PasskeyError::Unavailable(format!("{public_url} has no domain name")))?
        .to_owned();
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name("Defence access to criminal cases").build())
        .map_err(|e| PasskeyError::Unavailable(e.to_string()))
}

/// A user's WebAuthn handle: their id (a UUID).
fn handle(user: &User) -> Result<Uuid, PasskeyError> {
    Uuid::parse_str(&user.id).map_err(|_| PasskeyError::Unknown)
}

fn credential_key(id: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

/// A stored passkey.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Stored {
    /// Credential id (base64url).
    pub credential_id: String,
    /// The account.
    pub user_id: String,
    /// The name the user gave it.
    pub name: String,
    /// The webauthn-rs credential as JSON.
    pub passkey: String,
    /// Registered at.
    pub created_at: i64,
    /// Last used to sign in.
    pub last_used_at: Option<i64>,
}

/// A user's passkeys.
pub async fn list(db: &Db, user_id: &str) -> Result<Vec<Stored>, sqlx::Error> {
    sqlx::query_as::<_, Stored>(
        "SELECT credential_id, user_id, name, passkey, created_at, last_used_at FROM passkeys \
         WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

async fn save_state(
    db: &Db,
    user_id: Option<&str>,
    kind: &str,
    state: String,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = super::token::new_token();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM webauthn_states WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO webauthn_states (id, user_id, kind, state, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(super::token::hash_token(&id))
    .bind(user_id)
    .bind(kind)
    .bind(state)
    .bind(now + STATE_SECS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes a ceremony's state: deleted in the same statement, so only one caller gets it.
async fn take_state(
    conn: &mut AnyConnection,
    id: &str,
    kind: &str,
    user_id: Option<&str>,
    now: i64,
) -> Result<String, PasskeyError> {
    let row: Option<(String, Option<String>, i64)> = sqlx::query_as(
        "DELETE FROM webauthn_states WHERE id = $1 AND kind = $2 RETURNING state, user_id, expires_at",
    )
    .bind(super::token::hash_token(id))
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some((state, owner, expires)) if expires >= now && owner.as_deref() == user_id => Ok(state),
        _ => Err(PasskeyError::StateGone),
    }
}

/// Starts registering a passkey for `user`: the options for the browser (JSON) and the id of
/// the stored state.
pub async fn start_registration(
    rp: &Webauthn,
    db: &Db,
    user: &User,
    now: i64,
) -> Result<(String, serde_json::Value), PasskeyError> {
    let existing = list(db, &user.id).await?;
    if existing.len() as i64 >= MAX_PER_USER {
        return Err(PasskeyError::TooMany);
    }
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.passkey).ok())
        .map(|p| p.cred_id().clone())
        .collect::<Vec<_>>();
    let (options, state) = rp
        .start_passkey_registration(handle(user)?, &user.email, &user.full_name(), Some(exclude))
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let state = serde_json::to_string(&state).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let id = save_state(db, Some(&user.id), "register", state, now).await?;
    let mut options =
        serde_json::to_value(&options).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    // Ask for a discoverable credential where the authenticator can make one, so the user can
    // later sign in with the passkey alone (no email typed).
    if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
        sel["residentKey"] = serde_json::json!("preferred");
    }
    Ok((id, options))
}

/// Finishes a registration in the caller's transaction; returns the new credential id.
pub async fn finish_registration(
    rp: &Webauthn,
    conn: &mut AnyConnection,
    user: &User,
    state_id: &str,
    name: &str,
    response: &serde_json::Value,
    now: i64,
) -> Result<String, PasskeyError> {
    let state = take_state(conn, state_id, "register", Some(&user.id), now).await?;
    let state: PasskeyRegistration =
        serde_json::from_str(&state).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let response: RegisterPublicKeyCredential = serde_json::from_value(response.clone())
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let passkey = rp
        .finish_passkey_registration(&response, &state)
        .map_err(|e| match e {
            WebauthnError::CredentialAlteredAlgFromRequest => PasskeyError::AlreadyRegistered,
            e => PasskeyError::Rejected(e.to_string()),
        })?;
    let key = credential_key(passkey.cred_id());
    let json =
        serde_json::to_string(&passkey).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let inserted = sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(&key)
    .bind(&user.id)
    .bind(name)
    .bind(json)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(PasskeyError::AlreadyRegistered);
    }
    Ok(key)
}

/// Starts a sign-in: with `user`, an assertion from one of their passkeys (the second factor
/// after a password); without, any discoverable passkey (the passkey alone).
pub async fn start_sign_in(
    rp: &Webauthn,
    db: &Db,
    user: Option<&User>,
    now: i64,
) -> Result<(String, serde_json::Value), PasskeyError> {
    let (options, state, kind) = match user {
        Some(u) => {
            let keys = list(db, &u.id)
                .await?
                .iter()
                .filter_map(|p| serde_json::from_str::<Passkey>(&p.passkey).ok())
                .collect::<Vec<_>>();
            if keys.is_empty() {
                return Err(PasskeyError::Unknown);
            }
            let (options, state) = rp
                .start_passkey_authentication(&keys)
                .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
            let state = serde_json::to_string(&state);
            (options, state, "verify")
        }
        None => {
            let (mut options, state) = rp
                .start_discoverable_authentication()
                .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
            // A button, not autofill: the browser's own passkey chooser.
            options.mediation = None;
            (options, serde_json::to_string(&state), "discover")
        }
    };
    let state = state.map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let id = save_state(db, user.map(|u| u.id.as_str()), kind, state, now).await?;
    let options =
        serde_json::to_value(&options).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    Ok((id, options))
}

/// Finishes a sign-in in the caller's transaction: the account whose passkey answered (which
/// must be `user` when one was given), after updating the passkey's counter.
pub async fn finish_sign_in(
    rp: &Webauthn,
    conn: &mut AnyConnection,
    user: Option<&User>,
    state_id: &str,
    response: &serde_json::Value,
    now: i64,
) -> Result<User, PasskeyError> {
    let response: PublicKeyCredential = serde_json::from_value(response.clone())
        .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let kind = if user.is_some() { "verify" } else { "discover" };
    let state = take_state(conn, state_id, kind, user.map(|u| u.id.as_str()), now).await?;
    let key = credential_key(response.raw_id.as_ref());
    let stored = sqlx::query_as::<_, Stored>(
        "SELECT credential_id, user_id, name, passkey, created_at, last_used_at FROM passkeys \
         WHERE credential_id = $1",
    )
    .bind(&key)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(PasskeyError::Unknown)?;
    let owner = store::user_in(conn, &stored.user_id).await?;
    if user.is_some_and(|u| u.id != owner.id) {
        return Err(PasskeyError::Unknown);
    }
    let mut passkey: Passkey =
        serde_json::from_str(&stored.passkey).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    let result = match user {
        Some(_) => {
            let state: PasskeyAuthentication =
                serde_json::from_str(&state).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
            rp.finish_passkey_authentication(&response, &state)
        }
        None => {
            let state: DiscoverableAuthentication =
                serde_json::from_str(&state).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
            // The user handle is not signed: it must name the credential's owner.
            let (uid, _) = rp
                .identify_discoverable_authentication(&response)
                .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
            if uid != handle(&owner)? {
                return Err(PasskeyError::Unknown);
            }
            rp.finish_discoverable_authentication_v2(&response, state, &passkey)
        }
    }
    .map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    if !result.user_verified() {
        return Err(PasskeyError::Rejected("the user was not verified".into()));
    }
    passkey.update_credential(&result);
    let json =
        serde_json::to_string(&passkey).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
    sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE credential_id = $3")
        .bind(json)
        .bind(now)
        .bind(&key)
        .execute(&mut *conn)
        .await?;
    Ok(owner)
}

#[cfg(test)]
mod tests {
    //! Real ceremonies: webauthn-rs on the server side, driven by webauthn-authenticator-rs's
    //! software passkey as the browser and authenticator, with state and credentials stored in
    //! the database on both engines.
    use super::*;
    use crate::db::testing;
    use webauthn_authenticator_rs::prelude::WebauthnAuthenticator as _;
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_rs_proto::AllowCredentials;

    const NOW: i64 = 1_795_251_600;

    fn origin() -> Url {
        Url::parse("http://localhost:3000").unwrap()
    }

    async fn user(db: &Db, email: &str) -> User {
        let mut tx = db.begin().await.unwrap();
        let id = store::insert_user(
            &mut tx,
            &store::NewUser {
                organisation_id: None,
                staff_role: None,
                email,
                first_name: "Pat",
                last_name: "Key",
                roles: "user",
                status: "active",
                password_hash: None,
            },
            NOW,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store::user_by_id(db, &id).await.unwrap().unwrap()
    }

    /// Runs the browser's part of a registration; returns the response JSON and the state id.
    async fn browser_registers(
        rp: &Webauthn,
        db: &Db,
        u: &User,
        auth: &mut SoftPasskey,
    ) -> (String, serde_json::Value) {
        let (state, options) = start_registration(rp, db, u, NOW).await.unwrap();
        let options: CreationChallengeResponse = serde_json::from_value(options).unwrap();
        let response = auth.do_registration(origin(), options).unwrap();
        (state, serde_json::to_value(&response).unwrap())
    }

    async fn register(
        rp: &Webauthn,
        db: &Db,
        u: &User,
        auth: &mut SoftPasskey,
    ) -> Result<String, PasskeyError> {
        let (state, response) = browser_registers(rp, db, u, auth).await;
        finish(rp, db, u, &state, &response).await
    }

    async fn finish(
        rp: &Webauthn,
        db: &Db,
        u: &User,
        state: &str,
        response: &serde_json::Value,
    ) -> Result<String, PasskeyError> {
        let mut tx = db.begin().await.unwrap();
        let r = finish_registration(rp, &mut tx, u, state, "Laptop", response, NOW).await;
        if r.is_ok() {
            tx.commit().await.unwrap();
        }
        r
    }

    /// The software passkey cannot hold discoverable credentials, so the test plays that part:
    /// it names the credential in the request and returns the user handle, as a phone would.
    async fn browser_signs_in(
        rp: &Webauthn,
        db: &Db,
        who: Option<&User>,
        auth: &mut SoftPasskey,
        credential: &str,
        owner: &User,
    ) -> (String, serde_json::Value) {
        use base64::Engine as _;
        let (state, options) = start_sign_in(rp, db, who, NOW).await.unwrap();
        let mut options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
        if who.is_none() {
            assert!(options.public_key.allow_credentials.is_empty());
            assert!(options.mediation.is_none(), "a button, not autofill");
            options.public_key.allow_credentials.push(AllowCredentials {
                type_: "public-key".into(),
                id: base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(credential)
                    .unwrap(),
                transports: None,
            });
        }
        let mut response = auth.do_authentication(origin(), options).unwrap();
        response.response.user_handle =
            Some(Uuid::parse_str(&owner.id).unwrap().as_bytes().to_vec());
        (state, serde_json::to_value(&response).unwrap())
    }

    async fn sign_in(
        rp: &Webauthn,
        db: &Db,
        who: Option<&User>,
        state: &str,
        response: &serde_json::Value,
    ) -> Result<User, PasskeyError> {
        let mut tx = db.begin().await.unwrap();
        let r = finish_sign_in(rp, &mut tx, who, state, response, NOW).await;
        tx.commit().await.unwrap();
        r
    }

    /// The whole sign-in through the API the button calls, on both engines: the passkey alone
    /// signs in (a session cookie and a recognised-browser cookie), promptly. Giving the address
    /// its attempt back once waited on the request's own transaction's lock on SQLite (5 s, then
    /// "database is locked"), and the browser tests caught it; this catches it first.
    #[tokio::test]
    async fn the_passkey_button_signs_in_through_the_api() {
        use super::super::{actions::Ctx, passkey_api::handle};
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let state = crate::state::for_tests(db.clone(), NOW);
            let rp = relying_party(&state.mail.public_url).unwrap();
            let ann = user(&db, "api@example.com").await;
            let mut phone = SoftPasskey::new(true);
            let credential = register(&rp, &db, &ann, &mut phone).await.unwrap();
            let ctx = || Ctx {
                state: state.clone(),
                lang: crate::i18n::Lang::En,
                session: None,
                ip: "192.0.2.8".into(),
                user_agent: "t".into(),
                cookies: String::new(),
                files: vec![],
                params: vec![],
                form: vec![],
            };
            let reply = handle("/passkeys/sign-in/options", ctx(), serde_json::json!({}))
                .await
                .unwrap();
            assert_eq!(reply.status, 200, "{name}: {:?}", reply.body);
            let state_id = reply.body["state"].as_str().unwrap().to_owned();
            let mut options: RequestChallengeResponse =
                serde_json::from_value(reply.body["options"].clone()).unwrap();
            use base64::Engine as _;
            options.public_key.allow_credentials.push(AllowCredentials {
                type_: "public-key".into(),
                id: base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(&credential)
                    .unwrap(),
                transports: None,
            });
            let mut response = phone.do_authentication(origin(), options).unwrap();
            response.response.user_handle =
                Some(Uuid::parse_str(&ann.id).unwrap().as_bytes().to_vec());
            let started = std::time::Instant::now();
            let reply = handle(
                "/passkeys/sign-in",
                ctx(),
                serde_json::json!({ "state": state_id, "credential": response }),
            )
            .await
            .unwrap();
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{name}: took {:?}",
                started.elapsed()
            );
            assert_eq!(reply.status, 200, "{name}: {:?}", reply.body);
            assert_eq!(reply.body["redirect"], "/account", "{name}");
            assert_eq!(reply.cookies.len(), 2, "session and browser ({name})");
        }
    }

    #[tokio::test]
    async fn register_then_sign_in_with_the_passkey_alone_on_both_engines() {
        let rp = relying_party("http://localhost:3000").unwrap();
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let ann = user(&db, "ann@example.com").await;
            let mut phone = SoftPasskey::new(true);
            let (state, response) = browser_registers(&rp, &db, &ann, &mut phone).await;
            let credential = finish(&rp, &db, &ann, &state, &response).await.unwrap();
            assert_eq!(list(&db, &ann.id).await.unwrap().len(), 1, "{name}");
            // The same registration response again: its state is gone.
            let again = finish(&rp, &db, &ann, &state, &response).await;
            assert!(
                matches!(again, Err(PasskeyError::StateGone)),
                "{name}: {again:?}"
            );

            let (state, assertion) =
                browser_signs_in(&rp, &db, None, &mut phone, &credential, &ann).await;
            let who = sign_in(&rp, &db, None, &state, &assertion).await.unwrap();
            assert_eq!(who.id, ann.id, "{name}");
            let stored = &list(&db, &ann.id).await.unwrap()[0];
            assert_eq!(stored.last_used_at, Some(NOW), "{name}");
            assert!(
                stored.passkey.contains("\"counter\":1"),
                "counter saved ({name})"
            );

            // A replayed assertion is refused: against its own state (gone) ...
            let replay = sign_in(&rp, &db, None, &state, &assertion).await;
            assert!(
                matches!(replay, Err(PasskeyError::StateGone)),
                "{name}: {replay:?}"
            );
            // ... and against a fresh one (the challenge differs).
            let (fresh, _) = start_sign_in(&rp, &db, None, NOW).await.unwrap();
            let replay = sign_in(&rp, &db, None, &fresh, &assertion).await;
            assert!(
                matches!(replay, Err(PasskeyError::Rejected(_))),
                "{name}: {replay:?}"
            );

            // As the second factor after a password: only the account's own passkeys.
            let (state, assertion) =
                browser_signs_in(&rp, &db, Some(&ann), &mut phone, &credential, &ann).await;
            let who = sign_in(&rp, &db, Some(&ann), &state, &assertion)
                .await
                .unwrap();
            assert_eq!(who.id, ann.id, "{name}");
            let bob = user(&db, "bob@example.com").await;
            let none = start_sign_in(&rp, &db, Some(&bob), NOW).await;
            assert!(matches!(none, Err(PasskeyError::Unknown)), "{name}");
        }
    }

    #[tokio::test]
    async fn a_credential_belongs_to_one_account_on_both_engines() {
        let rp = relying_party("http://localhost:3000").unwrap();
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let ann = user(&db, "ann@example.com").await;
            let bob = user(&db, "bob@example.com").await;
            let mut key = SoftPasskey::new(true);
            // Bob's browser answers; the credential id it made is already Ann's.
            let (state, response) = browser_registers(&rp, &db, &bob, &mut key).await;
            let id = response["rawId"].as_str().unwrap().to_owned();
            sqlx::query(
                "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at) \
                 VALUES ($1, $2, 'Ann''s key', '{}', $3)",
            )
            .bind(&id)
            .bind(&ann.id)
            .bind(NOW)
            .execute(&db.pool)
            .await
            .unwrap();
            let r = finish(&rp, &db, &bob, &state, &response).await;
            assert!(
                matches!(r, Err(PasskeyError::AlreadyRegistered)),
                "{name}: {r:?}"
            );
            assert!(list(&db, &bob.id).await.unwrap().is_empty(), "{name}");

            // Registering the same authenticator twice on one account: the browser is told to
            // exclude it, and the server refuses it if it is not.
            let mut laptop = SoftPasskey::new(true);
            register(&rp, &db, &bob, &mut laptop).await.unwrap();
            let (state, options) = start_registration(&rp, &db, &bob, NOW).await.unwrap();
            assert_eq!(
                options["publicKey"]["excludeCredentials"]
                    .as_array()
                    .map(Vec::len),
                Some(1),
                "{name}"
            );
            assert_eq!(
                options["publicKey"]["authenticatorSelection"]["residentKey"], "preferred",
                "{name}"
            );
            // Someone else's state cannot be used.
            let (_, response) = browser_registers(&rp, &db, &bob, &mut laptop).await;
            let stolen = finish(&rp, &db, &ann, &state, &response).await;
            assert!(
                matches!(stolen, Err(PasskeyError::StateGone)),
                "{name}: {stolen:?}"
            );
        }
    }

    #[test]
    fn the_relying_party_is_the_public_address() {
        assert!(relying_party("https://caseaccess.example").is_ok());
        assert!(matches!(
            relying_party("http://127.0.0.1:3000"),
            Err(PasskeyError::Unavailable(_))
        ));
    }
}
