//! A defence firm serves a document on a case (docs/uploads.md): who may, in which sections,
//! what files, and how a document becomes visible. The offer is checked before a byte is read;
//! the bytes stream to the document store ([`crate::objects`]) through the content check; the
//! document is recorded only once wholly stored and hashed, and it is served only once scanned
//! clean (or, where scanning is configured off, marked as not scanned). Anything that fails on
//! the way leaves neither a record nor an object.

use super::notices::Notices;
use super::{
    defence::Member,
    file_type::{self, Checker, Kind, Refusal},
    sections::{self, Party},
};
use crate::{db::Db, objects::Objects};
use axum::response::IntoResponse as _;
use bytes::Bytes;
use futures_util::Stream;
use serde_json::json;

/// The most characters in a document's title.
pub use super::TITLE_MAX;

/// What the user offers, before any of the file is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// The case.
    pub case_id: String,
    /// The defendant it is served for (one the firm is on record for).
    pub defendant_id: String,
    /// The section's code.
    pub section: String,
    /// The title the user gave.
    pub title: String,
    /// The file name the browser gave (kept only as a display name).
    pub file_name: String,
    /// Send to CPS ticked.
    pub send_to_cps: bool,
}

/// Why an upload was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The user's firm is not on record for that defendant on that case.
    NotOnRecord,
    /// No section, or one the defence may not serve in.
    Section,
    /// No title.
    TitleMissing,
    /// A title over [`TITLE_MAX`] characters.
    TitleTooLong,
    /// Send to CPS ticked where the section does not offer it.
    SendToCpsNotOffered,
    /// The file's name is not of an accepted kind.
    Extension,
    /// The file is empty.
    Empty,
    /// The file's bytes are not what its name says.
    Content,
    /// The file is larger than the limit (bytes).
    TooLarge(u64),
}

/// How an upload ended, if not with a document.
#[derive(Debug, thiserror::Error)]
pub enum UploadError<E> {
    /// Refused (nothing kept).
    #[error("refused: {0:?}")]
    Refused(Refused),
    /// The connection broke before the file was whole (nothing kept).
    #[error("the upload was interrupted: {0}")]
    Interrupted(E),
    /// The database.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// The document store.
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

/// A document taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The material's id.
    pub material_id: String,
    /// The receipt's reference.
    pub receipt: String,
    /// Its size.
    pub size: u64,
    /// The hex SHA-256 of its bytes.
    pub sha256: String,
    /// The display name kept.
    pub file_name: String,
    /// `scanning` or, with scanning configured off, `not_scanned`.
    pub status: &'static str,
}

/// A receipt reference: 12 characters of Crockford's base32 in three groups (`7K3M-9QX2-B4TD`):
/// 60 random bits, no letters that read as digits.
pub fn new_receipt() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `member`'s firm is on record for the offer's defendant on the offer's case.
async fn firm_on_record(
    conn: &mut sqlx::AnyConnection,
    member: &Member,
    offer: &Offer,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM associations \
         WHERE defendant_id = $1 AND case_id = $2 AND organisation_id = $3",
    )
    .bind(&offer.defendant_id)
    .bind(&offer.case_id)
    .bind(&member.organisation_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// Checks `offer` for `member` without reading the file: the kind its name gives, if it may go.
pub async fn check_offer(
    db: &Db,
    member: &Member,
    offer: &Offer,
) -> Result<Result<Kind, Refused>, sqlx::Error> {
    let refuse = |r| Ok(Err(r));
    let mut conn = db.pool.acquire().await?;
    if !firm_on_record(&mut conn, member, offer).await? || member.user.status != "active" {
        return refuse(Refused::NotOnRecord);
    }
    let all = sections::all(&mut conn).await?;
    let Some(section) = all
        .iter()
        .find(|s| s.code == offer.section && s.open_to(Party::Defence))
    else {
        return refuse(Refused::Section);
    };
    let title = offer.title.trim();
    if title.is_empty() {
        return refuse(Refused::TitleMissing);
    }
    if title.chars().count() > TITLE_MAX {
        return refuse(Refused::TitleTooLong);
    }
    if offer.send_to_cps && !section.send_to_cps {
        return refuse(Refused::SendToCpsNotOffered);
    }
    Ok(Kind::of_name(&file_type::display_name(&offer.file_name)).ok_or(Refused::Extension))
}

/// Takes the document: checks the offer, streams `body` to `objects` (at most `limit` bytes)
/// through the content check, and records it (audited) as `scanning`, or as `not_scanned` when
/// `scanning` is off. Whatever fails, nothing is left behind.
#[allow(clippy::too_many_arguments)]
pub async fn accept<S, E>(
    db: &Db,
    objects: &Objects,
    notices: &Notices,
    member: &Member,
    offer: &Offer,
    body: S,
    limit: u64,
    scanning: bool,
    now: i64,
) -> Result<Accepted, UploadError<E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    accept_for(
        db, objects, notices, member, offer, body, limit, scanning, now, None,
    )
    .await
}

/// [`accept`], finishing the resumable upload `session` in the same transaction that records
/// the document (only if it is still open and whole: otherwise nothing is recorded and the
/// error is [`sqlx::Error::RowNotFound`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn accept_for<S, E>(
    db: &Db,
    objects: &Objects,
    notices: &Notices,
    member: &Member,
    offer: &Offer,
    body: S,
    limit: u64,
    scanning: bool,
    now: i64,
    session: Option<&str>,
) -> Result<Accepted, UploadError<E>>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let kind = check_offer(db, member, offer)
        .await?
        .map_err(UploadError::Refused)?;
    let material_id = uuid::Uuid::new_v4().to_string();
    let key = format!("documents/{material_id}");
    let mut checker = Checker::new(kind);
    let stored = objects
        .put_stream(&key, body, limit, |chunk| {
            checker.update(chunk);
            true
        })
        .await;
    let stored = match stored {
        Ok(s) => s,
        Err(crate::objects::PutError::TooLarge(l)) => {
            return Err(UploadError::Refused(Refused::TooLarge(l)));
        }
        Err(crate::objects::PutError::Source(e)) => return Err(UploadError::Interrupted(e)),
        Err(crate::objects::PutError::Store(e)) => return Err(UploadError::Store(e)),
        Err(crate::objects::PutError::Refused) => {
            return Err(UploadError::Refused(Refused::Content));
        }
    };
    if let Err(r) = checker.finish() {
        objects.delete(&key).await?;
        return Err(UploadError::Refused(match r {
            Refusal::Empty => Refused::Empty,
            Refusal::Extension => Refused::Extension,
            Refusal::Content => Refused::Content,
        }));
    }
    let accepted = Accepted {
        material_id,
        receipt: new_receipt(),
        size: stored.size,
        sha256: stored.sha256,
        file_name: file_type::display_name(&offer.file_name),
        status: if scanning { "scanning" } else { "not_scanned" },
    };
    match record(
        db, notices, member, offer, kind, &key, &accepted, now, session,
    )
    .await
    {
        Ok(()) => Ok(accepted),
        Err(e) => {
            // Not recorded: the object goes too (if this fails as well, the clean-up of objects
            // without a record removes it).
            let _ = objects.delete(&key).await;
            Err(e.into())
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn record(
    db: &Db,
    notices: &Notices,
    member: &Member,
    offer: &Offer,
    kind: Kind,
    key: &str,
    a: &Accepted,
    now: i64,
    session: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    // Still on record (an association may have ended while the bytes came in).
    if !firm_on_record(&mut tx, member, offer).await? {
        return Err(sqlx::Error::RowNotFound);
    }
    if let Some(id) = session {
        // One document per resumable upload, however many requests finish it at once.
        let finished = sqlx::query(
            "UPDATE upload_sessions SET status = 'done', receipt = $1 \
             WHERE id = $2 AND status = 'open' AND received = length",
        )
        .bind(&a.receipt)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if finished != 1 {
            return Err(sqlx::Error::RowNotFound);
        }
    }
    sqlx::query(
        "INSERT INTO material (id, case_id, defendant_id, ref, section, title, idpc, file_name, \
         content_type, size, sha256, served_by, served_at, storage_key, status, uploaded_by, \
         send_to_cps, receipt) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&a.material_id)
    .bind(&offer.case_id)
    .bind(&offer.defendant_id)
    .bind(format!("upload:{}", a.receipt))
    .bind(&offer.section)
    .bind(offer.title.trim())
    .bind(&a.file_name)
    .bind(kind.content_type())
    .bind(a.size as i64)
    .bind(&a.sha256)
    .bind(&member.organisation_id)
    .bind(now)
    .bind(key)
    .bind(a.status)
    .bind(&member.user.id)
    .bind(i64::from(offer.send_to_cps))
    .bind(&a.receipt)
    .execute(&mut *tx)
    .await?;
    crate::accounts::store::Who::user(&member.user, &member.ip)
        .audit(
            &mut tx,
            "case.material.uploaded",
            Some(format!("material:{}", a.material_id)),
            json!({
                "case": offer.case_id, "defendant": offer.defendant_id,
                "section": offer.section, "title": offer.title.trim(),
                "file_name": a.file_name, "size": a.size, "sha256": a.sha256,
                "receipt": a.receipt, "send_to_cps": offer.send_to_cps, "status": a.status,
                "resumable_upload": session,
            }),
            now,
        )
        .await?;
    if a.status == "not_scanned" {
        // Servable at once: what serving it sets off goes in the same transaction.
        super::notices::served(&mut tx, notices, &a.material_id, now).await?;
    }
    tx.commit().await
}

/// How long a document waits for a scanner that does not answer before it is marked
/// `scan_failed` (its uploader is told to upload it again).
pub const GIVE_UP_SECS: i64 = 30 * 60;

/// What a pass of [`scan_waiting`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Found clean.
    pub clean: usize,
    /// Found infected.
    pub infected: usize,
    /// Given up on (scanner errors, or no answer for [`GIVE_UP_SECS`]).
    pub failed: usize,
    /// Left waiting for the scanner.
    pub waiting: usize,
}

/// Scans the documents waiting (`scanning`, oldest first, at most `batch`), each from the
/// document store, and moves each on from `scanning` only (so two instances scanning at once
/// record one outcome): `clean`, `infected`, or `scan_failed` when clamd answers with an error
/// or has not answered for [`GIVE_UP_SECS`]. Until then a document the scanner could not take
/// waits, unserved, for the next pass. Every outcome is audited.
pub async fn scan_waiting(
    db: &Db,
    objects: &Objects,
    notices: &Notices,
    scanner: &crate::scan::Scanner,
    batch: i64,
    now: i64,
) -> Result<ScanReport, sqlx::Error> {
    use crate::scan::Verdict;
    let waiting: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT id, case_id, storage_key, served_at FROM material \
         WHERE status = 'scanning' ORDER BY served_at, id LIMIT $1",
    )
    .bind(batch)
    .fetch_all(&db.pool)
    .await?;
    let mut report = ScanReport::default();
    for (id, case_id, key, served_at) in waiting {
        let verdict = match &key {
            None => Verdict::Error("no stored document".into()),
            Some(key) => match objects.get(key, None).await {
                Ok(stream) => scanner.scan(stream).await,
                Err(e) => Verdict::Unavailable(format!("the document store: {e}")),
            },
        };
        let (status, detail) = match &verdict {
            Verdict::Clean => ("clean", json!({ "verdict": "clean" })),
            Verdict::Infected(sig) => (
                "infected",
                json!({ "verdict": "infected", "signature": sig }),
            ),
            Verdict::Error(why) => ("scan_failed", json!({ "verdict": "error", "reason": why })),
            Verdict::Unavailable(why) if now - served_at >= GIVE_UP_SECS => (
                "scan_failed",
                json!({ "verdict": "unavailable", "reason": why }),
            ),
            Verdict::Unavailable(why) => {
                tracing::warn!(material = %id, reason = %why, "a document waits for the virus scanner");
                report.waiting += 1;
                continue;
            }
        };
        let mut tx = db.begin().await?;
        let moved =
            sqlx::query("UPDATE material SET status = $1 WHERE id = $2 AND status = 'scanning'")
                .bind(status)
                .bind(&id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if moved == 1 {
            let mut details = detail;
            details["case"] = json!(case_id);
            crate::accounts::store::Who::system()
                .audit(
                    &mut tx,
                    "case.material.scanned",
                    Some(format!("material:{id}")),
                    details,
                    now,
                )
                .await?;
            if status == "clean" {
                super::notices::served(&mut tx, notices, &id, now).await?;
            }
            match status {
                "clean" => report.clean += 1,
                "infected" => report.infected += 1,
                _ => report.failed += 1,
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// The upload form's address.
pub const PATH: &str = "/cases/{id}/upload";
/// The largest document taken unless `UPLOAD_LIMIT` says otherwise (512 MiB).
pub const DEFAULT_LIMIT: u64 = 512 << 20;
/// The smallest and largest `UPLOAD_LIMIT` that may be set (1 MiB and 64 GiB).
pub const LIMIT_RANGE: std::ops::RangeInclusive<u64> = (1 << 20)..=(64 << 30);
/// The routes' body ceiling: the largest limit and the form's few small fields around it. The
/// limit in force (`AppState::upload_limit`) is enforced as the bytes stream.
pub const BODY_LIMIT: usize = (*LIMIT_RANGE.end() as usize) + (1 << 20);

impl Refused {
    /// The code the form is sent back with (`?problem=…`).
    pub fn code(self) -> &'static str {
        match self {
            Refused::NotOnRecord => "not_on_record",
            Refused::Section => "section",
            Refused::TitleMissing => "title_missing",
            Refused::TitleTooLong => "title_too_long",
            Refused::SendToCpsNotOffered => "send_to_cps",
            Refused::Extension => "extension",
            Refused::Empty => "empty",
            Refused::Content => "content",
            Refused::TooLarge(_) => "too_large",
        }
    }

    /// The refusal a stored code names ([`Refused::code`]'s inverse; the limit is not kept, so
    /// `TooLarge` carries 0). A code it does not know reads as `Content`, the refusal that
    /// says least.
    pub fn from_code(code: &str) -> Refused {
        match code {
            "not_on_record" => Refused::NotOnRecord,
            "section" => Refused::Section,
            "title_missing" => Refused::TitleMissing,
            "title_too_long" => Refused::TitleTooLong,
            "send_to_cps" => Refused::SendToCpsNotOffered,
            "extension" => Refused::Extension,
            "empty" => Refused::Empty,
            "too_large" => Refused::TooLarge(0),
            _ => Refused::Content,
        }
    }
}

/// Back to the Material tab's form with the problem and what was typed (the file itself must be
/// chosen again: a browser never lets a page fill in a file).
fn back(case_id: &str, problem: &str, fields: &[(String, String)]) -> axum::response::Response {
    let mut q: Vec<(&str, &str)> = vec![("problem", problem)];
    for name in ["defendant", "section", "title", "send_to_cps"] {
        if let Some((_, v)) = fields.iter().find(|(k, _)| k == name) {
            q.push((name, v.as_str()));
        }
    }
    let query = serde_urlencoded::to_string(&q).unwrap_or_default();
    axum::response::Redirect::to(&format!("/cases/{case_id}/material?{query}#upload"))
        .into_response()
}

/// `POST /cases/{id}/upload` (multipart): the document streams from the request to the store;
/// the answer is the receipt, or the form again with what was wrong.
pub async fn post(
    state: crate::state::AppState,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    let Some(member) = Member::of_request(req.extensions()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let case_id = crate::web::routes::param(PATH, req.uri().path(), "id");
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let failed = |e: crate::error::AppError| {
        (StatusCode::INTERNAL_SERVER_ERROR, e.message(lang)).into_response()
    };
    // Only a firm on record for one of the case's defendants has a form here: anyone else is
    // told it does not exist, before a byte of the body is read.
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
        Ok(s) if s.associated => {}
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return failed(crate::error::AppError::internal(e)),
    }
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Some(boundary) = boundary else {
        return back(&case_id, "no_file", &[]);
    };
    let limits = multer::SizeLimit::new()
        .for_field("defendant", 200)
        .for_field("section", 200)
        .for_field("title", 4096)
        .for_field("send_to_cps", 20);
    let mut form = multer::Multipart::with_constraints(
        req.into_body().into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    let mut fields: Vec<(String, String)> = vec![];
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return back(&case_id, "no_file", &fields),
            Err(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    lang.t(crate::i18n::Msg::UploadBroken),
                )
                    .into_response();
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            match field.text().await {
                Ok(v) => fields.push((name, v)),
                Err(_) => {
                    return (
                        StatusCode::BAD_REQUEST,
                        lang.t(crate::i18n::Msg::UploadBroken),
                    )
                        .into_response();
                }
            }
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        if file_name.is_empty() {
            return back(&case_id, "no_file", &fields);
        }
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
            file_name,
            send_to_cps: value("send_to_cps") == "yes",
        };
        let now = state.clock.now_unix();
        let scanning = state.scanner.is_some();
        return match accept(
            &state.db,
            &state.objects,
            &state.notices,
            &member,
            &offer,
            field,
            state.upload_limit,
            scanning,
            now,
        )
        .await
        {
            Ok(a) => {
                axum::response::Redirect::to(&format!("/cases/{case_id}/receipts/{}", a.receipt))
                    .into_response()
            }
            Err(UploadError::Refused(r)) => back(&case_id, r.code(), &fields),
            Err(UploadError::Interrupted(_)) => (
                StatusCode::BAD_REQUEST,
                lang.t(crate::i18n::Msg::UploadBroken),
            )
                .into_response(),
            Err(UploadError::Db(e)) => failed(crate::error::AppError::internal(e)),
            Err(UploadError::Store(e)) => failed(crate::error::AppError::internal(e)),
        };
    }
}

/// The receipt check's address: a copy of a served document is hashed, never kept.
pub const CHECK_PATH: &str = "/cases/{id}/receipts/{receipt}/check";

/// The receipt's SHA-256 when `organisation_id` served the document it is for on `case_id`.
async fn receipt_digest(
    db: &Db,
    organisation_id: &str,
    case_id: &str,
    receipt: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT sha256 FROM material WHERE receipt = $1 AND case_id = $2 AND served_by = $3",
    )
    .bind(receipt)
    .bind(case_id)
    .bind(organisation_id)
    .fetch_optional(&db.pool)
    .await
}

/// `POST /cases/{id}/receipts/{receipt}/check` (multipart, one file): works out the file's
/// SHA-256 as it streams in (nothing is stored) and goes back to the receipt saying whether it
/// matches. Audited: the firm may later need to show it checked.
pub async fn check_post(
    state: crate::state::AppState,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use futures_util::StreamExt as _;
    use sha2::{Digest, Sha256};
    let Some(member) = Member::of_request(req.extensions()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = req.uri().path().to_owned();
    let case_id = crate::web::routes::param(CHECK_PATH, &path, "id");
    let receipt = crate::web::routes::param(CHECK_PATH, &path, "receipt");
    let lang = req
        .extensions()
        .get::<crate::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let failed = |e: crate::error::AppError| {
        (StatusCode::INTERNAL_SERVER_ERROR, e.message(lang)).into_response()
    };
    let expected =
        match receipt_digest(&state.db, &member.organisation_id, &case_id, &receipt).await {
            Ok(Some(d)) => d,
            Ok(None) => return StatusCode::NOT_FOUND.into_response(),
            Err(e) => return failed(crate::error::AppError::internal(e)),
        };
    let back_to = |q: &str| {
        axum::response::Redirect::to(&format!("/cases/{case_id}/receipts/{receipt}?{q}#check"))
            .into_response()
    };
    let Some(boundary) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
    else {
        return back_to("check=no_file");
    };
    let mut form = multer::Multipart::new(req.into_body().into_data_stream(), boundary);
    let broken = || {
        (
            StatusCode::BAD_REQUEST,
            lang.t(crate::i18n::Msg::UploadBroken),
        )
            .into_response()
    };
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return back_to("check=no_file"),
            Err(_) => return broken(),
        };
        if field.name() != Some("file") || field.file_name().is_none_or(str::is_empty) {
            continue;
        }
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = field.next().await {
            match chunk {
                Ok(c) => {
                    size += c.len() as u64;
                    if size > state.upload_limit {
                        // Larger than any document served here: not a copy of one. The rest is
                        // read and dropped (up to as much again), so the browser, still sending,
                        // gets the page's error summary rather than a cut connection.
                        let mut rest = 0u64;
                        while let Some(Ok(c)) = field.next().await {
                            rest += c.len() as u64;
                            if rest > state.upload_limit {
                                break;
                            }
                        }
                        return back_to("check=too_large");
                    }
                    hasher.update(&c);
                }
                Err(_) => return broken(),
            }
        }
        if size == 0 {
            return back_to("check=no_file");
        }
        let digest: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let matches = digest == expected;
        let audited = member
            .who()
            .audit_alone(
                &state.db,
                "case.receipt.checked",
                Some(format!("receipt:{receipt}")),
                json!({ "case": case_id, "sha256": digest, "matches": matches, "size": size }),
                state.clock.now_unix(),
            )
            .await;
        if let Err(e) = audited {
            return failed(crate::error::AppError::internal(e));
        }
        return if matches {
            back_to("check=match")
        } else {
            back_to(&format!("check=differs&sha256={digest}"))
        };
    }
}
