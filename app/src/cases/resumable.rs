//! Resumable uploads (docs/uploads.md): the core of the tus 1.0 protocol on the upload's own
//! addresses, so that a document sent from court Wi-Fi survives a dropped connection or a
//! reloaded page and carries on from what the server already has.
//!
//! - `POST /cases/{id}/uploads` (creation): the offer travels in `Upload-Metadata` and is
//!   checked exactly as the form's is ([`upload::check_offer`]) before any byte is sent; the
//!   file's `Upload-Length` must be within the limit. The answer's `Location` is the upload.
//! - `HEAD …/uploads/{upload}`: how many bytes the server has (`Upload-Offset`), and, once
//!   the document is recorded, its receipt (`Upload-Receipt`).
//! - `PATCH …/uploads/{upload}`: appends bytes at `Upload-Offset`, which must be what the
//!   server has (otherwise `409` and the right offset). An append cut off part-way keeps what
//!   arrived. When the last byte is in, the parts are read back in order into one document,
//!   which goes through the same content check, hashing and recording as any upload
//!   ([`upload::accept_for`]): it becomes visible only then, once.
//! - `DELETE …/uploads/{upload}` (termination): abandons it; its parts are removed.
//!
//! An upload belongs to the user who made it, on its case: to anyone else it does not exist. One
//! nobody appends to for [`EXPIRY_SECS`] expires; the clean-up job ([`super::cleanup`])
//! removes its parts.

use super::{
    defence::Member,
    notices::Notices,
    upload::{self, Offer, Refused, UploadError},
};
use crate::{db::Db, objects::Objects};
use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _, TryStreamExt as _};

/// The creation address.
pub const PATH: &str = "/cases/{id}/uploads";
/// One upload's address.
pub const ONE_PATH: &str = "/cases/{id}/uploads/{upload}";
/// The protocol version spoken.
pub use super::TUS_VERSION;
/// How long an upload nobody appends to is kept (a day: a hearing's adjournment, a train home).
pub const EXPIRY_SECS: i64 = 24 * 60 * 60;
/// The body ceiling of an append (the largest limit that may be set; the offset check against the
/// declared length, itself within `AppState::upload_limit`, does the rest).
pub const APPEND_LIMIT: usize = upload::BODY_LIMIT;

/// An upload as the server has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Its id (the last segment of its address).
    pub id: String,
    /// The offer it was made with.
    pub offer: Offer,
    /// The file's length, declared at creation.
    pub length: u64,
    /// The bytes received so far.
    pub received: u64,
    /// `open`, `done`, `refused` or `ended`.
    pub status: String,
    /// Why it was refused.
    pub problem: Option<String>,
    /// The document's receipt, once done.
    pub receipt: Option<String>,
    /// When it expires unless appended to (Unix seconds).
    pub expires_at: i64,
}

/// What an append came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Taken: the server now has this many bytes.
    Offset(u64),
    /// The connection broke part-way; what arrived is kept: the server has this many bytes.
    Interrupted(u64),
    /// The append did not start where the server's bytes end (this many).
    Conflict(u64),
    /// Every byte is in and the document is recorded: its receipt.
    Done(String),
    /// Every byte is in and the document was refused (nothing is kept).
    Refused(Refused),
    /// More bytes than the length declared at creation (this append is not kept).
    Overrun,
    /// No such upload for this user, or it was abandoned or expired.
    Gone,
}

/// Why an append failed on the server's side.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The database.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The document store.
    #[error(transparent)]
    Store(#[from] object_store::Error),
    /// The parts recorded do not make up the file (never expected).
    #[error("the parts of upload {0} do not add up")]
    Parts(String),
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
);

/// The upload `id` of `user_id` on `case_id`, if there is one.
pub async fn session(
    db: &Db,
    user_id: &str,
    case_id: &str,
    id: &str,
) -> Result<Option<Session>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, case_id, defendant_id, section, title, file_name, send_to_cps, length, \
         received, status, problem, receipt, expires_at FROM upload_sessions \
         WHERE id = $1 AND user_id = $2 AND case_id = $3",
    )
    .bind(id)
    .bind(user_id)
    .bind(case_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(
        |(
            id,
            case_id,
            defendant_id,
            section,
            title,
            file_name,
            cps,
            length,
            received,
            status,
            problem,
            receipt,
            expires_at,
        )| {
            Session {
                id,
                offer: Offer {
                    case_id,
                    defendant_id,
                    section,
                    title,
                    file_name,
                    send_to_cps: cps == 1,
                },
                length: length as u64,
                received: received as u64,
                status,
                problem,
                receipt,
                expires_at,
            }
        },
    ))
}

/// Makes an upload for `offer` of a file of `length` bytes, once the offer passes the form's
/// checks and the length is within `limit`: its id and when it expires.
pub async fn create(
    db: &Db,
    member: &Member,
    offer: &Offer,
    length: u64,
    limit: u64,
    now: i64,
) -> Result<Result<(String, i64), Refused>, sqlx::Error> {
    if let Err(r) = upload::check_offer(db, member, offer).await? {
        return Ok(Err(r));
    }
    if length == 0 {
        return Ok(Err(Refused::Empty));
    }
    if length > limit {
        return Ok(Err(Refused::TooLarge(limit)));
    }
    let id = crate::accounts::token::new_id();
    let expires_at = now + EXPIRY_SECS;
    sqlx::query(
        "INSERT INTO upload_sessions (id, case_id, defendant_id, organisation_id, user_id, \
         section, title, file_name, send_to_cps, length, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(&offer.case_id)
    .bind(&offer.defendant_id)
    .bind(&member.organisation_id)
    .bind(&member.user.id)
    .bind(&offer.section)
    .bind(offer.title.trim())
    .bind(&offer.file_name)
    .bind(i64::from(offer.send_to_cps))
    .bind(length as i64)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(Ok((id, expires_at)))
}

/// Appends `body` to the upload `id` of `member`'s user on `case_id` at `offset`. When that
/// makes the file whole, the document is assembled, checked and recorded (see the module).
#[allow(clippy::too_many_arguments)]
pub async fn append<S, E>(
    db: &Db,
    objects: &Objects,
    notices: &Notices,
    member: &Member,
    case_id: &str,
    id: &str,
    offset: u64,
    body: S,
    scanning: bool,
    now: i64,
) -> Result<Appended, AppendError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let Some(s) = session(db, &member.user.id, case_id, id).await? else {
        return Ok(Appended::Gone);
    };
    if !(s.status == "open" && s.expires_at > now) {
        return Ok(standing(&s));
    }
    if offset != s.received {
        return Ok(Appended::Conflict(s.received));
    }
    let mut received = s.received;
    let mut broke = false;
    if received < s.length {
        let key = format!("uploads/{id}/{}", uuid::Uuid::new_v4());
        let (stored, break_) = match objects
            .put_until_break(&key, body, s.length - received)
            .await
        {
            Ok(done) => done,
            Err(crate::objects::PutError::TooLarge(_)) => return Ok(Appended::Overrun),
            Err(crate::objects::PutError::Store(e)) => return Err(e.into()),
            // put_until_break reports a break beside what it kept, and checks nothing.
            Err(crate::objects::PutError::Source(_) | crate::objects::PutError::Refused) => {
                return Ok(Appended::Interrupted(received));
            }
        };
        broke = break_.is_some();
        if stored.size > 0 {
            match add_part(db, id, received, stored.size, &key, now).await {
                Ok(true) => received += stored.size,
                Ok(false) => {
                    // Another append from the same offset got there first.
                    objects.delete(&key).await?;
                    let now_has = session(db, &member.user.id, case_id, id)
                        .await?
                        .map_or(0, |s| s.received);
                    return Ok(Appended::Conflict(now_has));
                }
                Err(e) => {
                    let _ = objects.delete(&key).await;
                    return Err(e.into());
                }
            }
        }
    }
    if broke {
        return Ok(Appended::Interrupted(received));
    }
    if received < s.length {
        return Ok(Appended::Offset(received));
    }
    assemble(db, objects, notices, member, &s, scanning, now).await
}

/// Records a part of `length` bytes at `start` of upload `id`, moving its offset on, only if
/// the upload is open and has exactly `start` bytes (false otherwise: nothing recorded).
async fn add_part(
    db: &Db,
    id: &str,
    start: u64,
    length: u64,
    key: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let moved = sqlx::query(
        "UPDATE upload_sessions SET received = received + $1, expires_at = $2 \
         WHERE id = $3 AND status = 'open' AND received = $4",
    )
    .bind(length as i64)
    .bind(now + EXPIRY_SECS)
    .bind(id)
    .bind(start as i64)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO upload_parts (session_id, start, length, storage_key) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(start as i64)
    .bind(length as i64)
    .bind(key)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The parts of upload `id`, in order: (start, length, key).
async fn parts(db: &Db, id: &str) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT start, length, storage_key FROM upload_parts WHERE session_id = $1 ORDER BY start",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
}

/// Reads the whole upload back from its parts into one document and records it (or records
/// the refusal), then removes the parts.
async fn assemble(
    db: &Db,
    objects: &Objects,
    notices: &Notices,
    member: &Member,
    s: &Session,
    scanning: bool,
    now: i64,
) -> Result<Appended, AppendError> {
    let parts = parts(db, &s.id).await?;
    let mut at = 0i64;
    for (start, length, _) in &parts {
        if *start != at {
            return Err(AppendError::Parts(s.id.clone()));
        }
        at += length;
    }
    if at as u64 != s.length {
        return Err(AppendError::Parts(s.id.clone()));
    }
    let store = objects.clone();
    let keys: Vec<String> = parts.into_iter().map(|(_, _, key)| key).collect();
    let bytes = futures_util::stream::iter(keys)
        .map(move |key| {
            let store = store.clone();
            Box::pin(async move { store.get(&key, None).await })
                as std::pin::Pin<
                    Box<
                        dyn std::future::Future<
                                Output = Result<crate::objects::ByteStream, object_store::Error>,
                            > + Send,
                    >,
                >
        })
        .buffered(1)
        .try_flatten();
    let taken = upload::accept_for(
        db,
        objects,
        notices,
        member,
        &s.offer,
        Box::pin(bytes),
        // The declared length, checked against the limit when the upload was made.
        s.length,
        scanning,
        now,
        Some(&s.id),
    )
    .await;
    let outcome = match taken {
        Ok(a) => Appended::Done(a.receipt),
        Err(UploadError::Refused(r)) => {
            sqlx::query(
                "UPDATE upload_sessions SET status = 'refused', problem = $1 \
                 WHERE id = $2 AND status = 'open'",
            )
            .bind(r.code())
            .bind(&s.id)
            .execute(&db.pool)
            .await?;
            Appended::Refused(r)
        }
        Err(UploadError::Db(sqlx::Error::RowNotFound)) => {
            // Finished by another request at the same moment, or the firm is no longer on
            // record for the defendant (the association ended while the bytes came in).
            match session(db, &member.user.id, &s.offer.case_id, &s.id).await? {
                Some(done) if done.status == "done" => {
                    Appended::Done(done.receipt.unwrap_or_default())
                }
                Some(open) if open.status == "open" => {
                    sqlx::query(
                        "UPDATE upload_sessions SET status = 'refused', problem = $1 \
                         WHERE id = $2 AND status = 'open'",
                    )
                    .bind(Refused::NotOnRecord.code())
                    .bind(&s.id)
                    .execute(&db.pool)
                    .await?;
                    Appended::Refused(Refused::NotOnRecord)
                }
                Some(other) => standing(&other),
                None => Appended::Gone,
            }
        }
        Err(UploadError::Db(e)) => return Err(e.into()),
        Err(UploadError::Store(e) | UploadError::Interrupted(e)) => return Err(e.into()),
    };
    remove_parts(db, objects, &s.id).await?;
    Ok(outcome)
}

/// Removes the parts of upload `id` (the objects, then their records).
pub(crate) async fn remove_parts(
    db: &Db,
    objects: &Objects,
    id: &str,
) -> Result<usize, AppendError> {
    let parts = parts(db, id).await?;
    for (_, _, key) in &parts {
        objects.delete(key).await?;
    }
    sqlx::query("DELETE FROM upload_parts WHERE session_id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(parts.len())
}

/// Abandons the open upload `id` of `member`'s user on `case_id` and removes its parts:
/// whether there was one.
pub async fn terminate(
    db: &Db,
    objects: &Objects,
    member: &Member,
    case_id: &str,
    id: &str,
) -> Result<bool, AppendError> {
    let ended = sqlx::query(
        "UPDATE upload_sessions SET status = 'ended' \
         WHERE id = $1 AND user_id = $2 AND case_id = $3 AND status = 'open'",
    )
    .bind(id)
    .bind(&member.user.id)
    .bind(case_id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if ended == 1 {
        remove_parts(db, objects, id).await?;
    }
    Ok(ended == 1)
}

/// What an append to an upload that is no longer open comes to.
fn standing(s: &Session) -> Appended {
    match s.status.as_str() {
        "done" => Appended::Done(s.receipt.clone().unwrap_or_default()),
        "refused" => {
            Appended::Refused(Refused::from_code(s.problem.as_deref().unwrap_or_default()))
        }
        _ => Appended::Gone,
    }
}

// ---- the HTTP side ----

/// An HTTP-date (RFC 9110), for `Upload-Expires`.
pub fn http_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let d = crate::date::Date::from_days_since_epoch(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d.day(),
        MONTHS[usize::from(d.month().clamp(1, 12)) - 1],
        d.year(),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs (a key alone means empty).
pub fn metadata(header: &str) -> Option<Vec<(String, String)>> {
    use base64::Engine as _;
    let mut out = vec![];
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()?;
        out.push((key.to_owned(), String::from_utf8(bytes).ok()?));
    }
    Some(out)
}

fn tus(mut r: Response) -> Response {
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn with(mut r: Response, name: &'static str, value: impl ToString) -> Response {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
    r
}

/// A refusal as the upload panel shows it: the problem's code, the field it is about and the
/// message in the user's language.
fn refused(status: StatusCode, r: Refused, lang: crate::i18n::Lang, limit: u64) -> Response {
    let (msg, field) = super::upload_page::problem(r.code())
        .unwrap_or((crate::i18n::Msg::UploadProblemContent, "upload-file"));
    let message = super::upload_panel::problem_text(msg, lang, limit);
    json(
        status,
        serde_json::json!({ "problem": r.code(), "field": field, "message": message }),
    )
}

fn problem(
    status: StatusCode,
    code: &str,
    msg: crate::i18n::Msg,
    lang: crate::i18n::Lang,
) -> Response {
    json(
        status,
        serde_json::json!({ "problem": code, "message": lang.t(msg) }),
    )
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    tus((
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

fn header_of<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// What every handler starts from: the member, the case, the language, and whether the
/// member's firm is on record on the case (anyone else is told nothing is there).
async fn start(
    state: &crate::state::AppState,
    req: &axum::http::request::Parts,
    pattern: &'static str,
) -> Result<(Member, String, crate::i18n::Lang), Response> {
    let Some(member) = Member::of_request(&req.extensions) else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    let case_id = crate::web::routes::param(pattern, req.uri.path(), "id");
    let lang = req
        .extensions
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    if header_of(&req.headers, "tus-resumable") != Some(TUS_VERSION)
        && req.method != axum::http::Method::OPTIONS
    {
        return Err(with(
            tus(StatusCode::PRECONDITION_FAILED.into_response()),
            "tus-version",
            TUS_VERSION,
        ));
    }
    let standing = match state.db.pool.acquire().await {
        Ok(mut conn) => {
            super::defence::standing(
                &mut conn,
                &member.user.id,
                &member.organisation_id,
                &case_id,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match standing {
        Ok(s) if s.associated => Ok((member, case_id, lang)),
        Ok(_) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => Err(internal(e, lang)),
    }
}

fn internal(e: impl std::fmt::Display, lang: crate::i18n::Lang) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        crate::error::AppError::internal(e).message(lang),
    )
        .into_response()
}

/// `OPTIONS /cases/{id}/uploads`: what this server speaks.
pub async fn options(state: crate::state::AppState, req: axum::extract::Request) -> Response {
    let (req, _) = req.into_parts();
    if let Err(r) = start(&state, &req, PATH).await {
        return r;
    }
    let r = tus(StatusCode::NO_CONTENT.into_response());
    let r = with(r, "tus-version", TUS_VERSION);
    let r = with(r, "tus-extension", "creation,expiration,termination");
    with(r, "tus-max-size", state.upload_limit)
}

/// `POST /cases/{id}/uploads`: makes an upload (see the module).
pub async fn create_post(state: crate::state::AppState, req: axum::extract::Request) -> Response {
    let (req, _) = req.into_parts();
    use crate::i18n::Msg;
    let (member, case_id, lang) = match start(&state, &req, PATH).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(length) = header_of(&req.headers, "upload-length").and_then(|v| v.parse::<u64>().ok())
    else {
        return problem(StatusCode::BAD_REQUEST, "length", Msg::UploadBroken, lang);
    };
    let Some(fields) = metadata(header_of(&req.headers, "upload-metadata").unwrap_or_default())
    else {
        return problem(StatusCode::BAD_REQUEST, "metadata", Msg::UploadBroken, lang);
    };
    let value = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let offer = Offer {
        case_id: case_id.clone(),
        defendant_id: value("defendant"),
        section: value("section"),
        title: value("title"),
        file_name: value("filename"),
        send_to_cps: value("send_to_cps") == "yes",
    };
    let now = state.clock.now_unix();
    match create(&state.db, &member, &offer, length, state.upload_limit, now).await {
        Ok(Ok((id, expires_at))) => {
            let r = tus(StatusCode::CREATED.into_response());
            let r = with(r, "location", format!("/cases/{case_id}/uploads/{id}"));
            let r = with(r, "upload-offset", 0);
            with(r, "upload-expires", http_date(expires_at))
        }
        Ok(Err(r @ Refused::TooLarge(_))) => {
            refused(StatusCode::PAYLOAD_TOO_LARGE, r, lang, state.upload_limit)
        }
        Ok(Err(r)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            r,
            lang,
            state.upload_limit,
        ),
        Err(e) => internal(e, lang),
    }
}

/// The answer for an upload as it stands (HEAD, and a PATCH that found it finished).
fn standing_answer(s: &Session, now: i64) -> Response {
    match s.status.as_str() {
        "open" if s.expires_at > now => {
            let r = tus(StatusCode::OK.into_response());
            let r = with(r, "upload-offset", s.received);
            let r = with(r, "upload-length", s.length);
            with(r, "upload-expires", http_date(s.expires_at))
        }
        "done" => {
            let r = tus(StatusCode::OK.into_response());
            let r = with(r, "upload-offset", s.length);
            let r = with(r, "upload-length", s.length);
            with(
                r,
                "upload-receipt",
                s.receipt.as_deref().unwrap_or_default(),
            )
        }
        "refused" => with(
            tus(StatusCode::GONE.into_response()),
            "upload-problem",
            s.problem.as_deref().unwrap_or("content"),
        ),
        _ => tus(StatusCode::GONE.into_response()),
    }
}

/// `HEAD /cases/{id}/uploads/{upload}`: how far it has got.
pub async fn head(state: crate::state::AppState, req: axum::extract::Request) -> Response {
    let (req, _) = req.into_parts();
    let (member, case_id, lang) = match start(&state, &req, ONE_PATH).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = crate::web::routes::param(ONE_PATH, req.uri.path(), "upload");
    match session(&state.db, &member.user.id, &case_id, &id).await {
        Ok(Some(s)) => standing_answer(&s, state.clock.now_unix()),
        Ok(None) => tus(StatusCode::NOT_FOUND.into_response()),
        Err(e) => internal(e, lang),
    }
}

/// `PATCH /cases/{id}/uploads/{upload}`: appends (see the module). The work runs on its own
/// task, so a connection that drops part-way still leaves what arrived recorded.
pub async fn patch(state: crate::state::AppState, req: axum::extract::Request) -> Response {
    let (req, body) = req.into_parts();
    use crate::i18n::Msg;
    let (member, case_id, lang) = match start(&state, &req, ONE_PATH).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = crate::web::routes::param(ONE_PATH, req.uri.path(), "upload");
    if header_of(&req.headers, "content-type") != Some("application/offset+octet-stream") {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            Msg::UploadBroken,
            lang,
        );
    }
    let Some(offset) = header_of(&req.headers, "upload-offset").and_then(|v| v.parse::<u64>().ok())
    else {
        return problem(StatusCode::BAD_REQUEST, "offset", Msg::UploadBroken, lang);
    };
    let body = body.into_data_stream();
    let work = {
        let (db, objects, notices) = (
            state.db.clone(),
            state.objects.clone(),
            state.notices.clone(),
        );
        let (member, case_id, id) = (member.clone(), case_id.clone(), id.clone());
        let scanning = state.scanner.is_some();
        let now = state.clock.now_unix();
        tokio::spawn(async move {
            append(
                &db, &objects, &notices, &member, &case_id, &id, offset, body, scanning, now,
            )
            .await
        })
    };
    let done = match work.await {
        Ok(done) => done,
        Err(e) => return internal(e, lang),
    };
    match done {
        Ok(Appended::Offset(n)) => with(
            tus(StatusCode::NO_CONTENT.into_response()),
            "upload-offset",
            n,
        ),
        Ok(Appended::Interrupted(n)) => with(
            problem(
                StatusCode::BAD_REQUEST,
                "interrupted",
                Msg::UploadBroken,
                lang,
            ),
            "upload-offset",
            n,
        ),
        Ok(Appended::Conflict(n)) => with(
            problem(StatusCode::CONFLICT, "offset", Msg::UploadBroken, lang),
            "upload-offset",
            n,
        ),
        Ok(Appended::Done(receipt)) => {
            let length = match session(&state.db, &member.user.id, &case_id, &id).await {
                Ok(Some(s)) => s.length,
                Ok(None) => 0,
                Err(e) => return internal(e, lang),
            };
            let r = with(
                tus(StatusCode::NO_CONTENT.into_response()),
                "upload-offset",
                length,
            );
            with(r, "upload-receipt", receipt)
        }
        Ok(Appended::Refused(r)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            r,
            lang,
            state.upload_limit,
        ),
        Ok(Appended::Overrun) => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "overrun",
            Msg::UploadBroken,
            lang,
        ),
        Ok(Appended::Gone) => tus(StatusCode::GONE.into_response()),
        Err(e) => internal(e, lang),
    }
}

/// `DELETE /cases/{id}/uploads/{upload}`: abandons it.
pub async fn delete(state: crate::state::AppState, req: axum::extract::Request) -> Response {
    let (req, _) = req.into_parts();
    let (member, case_id, lang) = match start(&state, &req, ONE_PATH).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = crate::web::routes::param(ONE_PATH, req.uri.path(), "upload");
    match terminate(&state.db, &state.objects, &member, &case_id, &id).await {
        Ok(true) => tus(StatusCode::NO_CONTENT.into_response()),
        Ok(false) => tus(StatusCode::NOT_FOUND.into_response()),
        Err(e) => internal(e, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_795_251_600), "Sat, 21 Nov 2026 09:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn metadata_is_read_as_tus_writes_it() {
        assert_eq!(
            metadata("filename cGxlYS5wZGY=, title , send_to_cps eWVz"),
            Some(vec![
                ("filename".into(), "plea.pdf".into()),
                ("title".into(), String::new()),
                ("send_to_cps".into(), "yes".into()),
            ])
        );
        assert_eq!(metadata(""), Some(vec![]));
        assert_eq!(metadata("filename !!!"), None, "not base64");
        assert_eq!(metadata("filename /w=="), None, "not UTF-8");
    }
}
