//! What a defence firm does with a case, in the database: find it (the declaration of
//! appointment), be on record for a defendant (exclusive: `associations` has one row per
//! defendant at most), stop, ask the firm on record to release a defendant, ask the prosecutor
//! for a missing IDPC, and download material. Every change is audited in its own transaction,
//! and every email goes through the outbox in that transaction.

use super::{names, urn::Urn};
use crate::{
    accounts::{
        store::{Recipient, Who, administrators},
        throttle,
    },
    db::Db,
    email,
    state::AppState,
    web::{Current, Stage},
};
use serde_json::json;
use sqlx::AnyConnection;

/// A member of a defence organisation, fully signed in and active: the only people who find
/// cases and act for defendants.
#[derive(Clone, Debug)]
pub struct Member {
    /// Their account.
    pub user: crate::web::User,
    /// Their organisation.
    pub organisation_id: String,
    /// The client's address (for the audit).
    pub ip: String,
}

impl Member {
    /// The member a session belongs to, if it is one.
    pub fn of(session: Option<&Current>, ip: &str) -> Option<Member> {
        let s = session.filter(|s| s.stage == Stage::Full)?;
        if s.user.status != "active" || s.user.staff_role.is_some() {
            return None;
        }
        Some(Member {
            organisation_id: s.user.organisation_id.clone()?,
            user: s.user.clone(),
            ip: ip.to_owned(),
        })
    }

    /// The member viewing the page being rendered, if the viewer is one.
    pub fn current() -> Option<Member> {
        Member::of(
            crate::web::current_session().as_ref(),
            &crate::web::ClientIp::of_page(),
        )
    }

    /// The member a request (not a page: a download, a form) comes from, if it is one.
    pub fn of_request(extensions: &axum::http::Extensions) -> Option<Member> {
        Member::of(
            extensions.get::<Current>(),
            &crate::web::ClientIp::text(extensions),
        )
    }

    pub(crate) fn who(&self) -> Who {
        Who::user(&self.user, &self.ip)
    }
}

/// A defendant as the user types them on the find-case form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Typed {
    /// A person.
    Person {
        /// First name.
        first_name: String,
        /// Last name.
        last_name: String,
        /// Date of birth, `YYYY-MM-DD`.
        date_of_birth: String,
    },
    /// A company.
    Company {
        /// Its name.
        name: String,
    },
}

impl Typed {
    fn key(&self) -> String {
        match self {
            Typed::Person {
                first_name,
                last_name,
                date_of_birth,
            } => person_key(first_name, last_name, date_of_birth),
            Typed::Company { name } => format!("c\u{1f}{}", names::key(name)),
        }
    }
}

fn person_key(first: &str, last: &str, dob: &str) -> String {
    format!(
        "p\u{1f}{}\u{1f}{}\u{1f}{dob}",
        names::key(first),
        names::key(last)
    )
}

/// A defendant as the case holds them, for matching.
#[derive(Clone, Debug, sqlx::FromRow)]
struct OnCase {
    kind: String,
    first_name: Option<String>,
    last_name: Option<String>,
    date_of_birth: Option<String>,
    company_name: Option<String>,
}

/// A defendant of the case a URN names, with the case's id.
#[derive(sqlx::FromRow)]
struct OfCase {
    case_id: String,
    #[sqlx(flatten)]
    defendant: OnCase,
}

impl OnCase {
    fn key(&self) -> String {
        if self.kind == "company" {
            format!(
                "c\u{1f}{}",
                names::key(self.company_name.as_deref().unwrap_or_default())
            )
        } else {
            person_key(
                self.first_name.as_deref().unwrap_or_default(),
                self.last_name.as_deref().unwrap_or_default(),
                self.date_of_birth.as_deref().unwrap_or_default(),
            )
        }
    }
}

/// Whether the defendants typed are exactly the case's defendants: every one of them, each
/// once, in any order. Names compare as [`names::key`] does; not fuzzy.
fn all_match(typed: &[Typed], on_case: &[OnCase]) -> bool {
    if typed.is_empty() || typed.len() != on_case.len() {
        return false;
    }
    let mut a: Vec<String> = typed.iter().map(Typed::key).collect();
    let mut b: Vec<String> = on_case.iter().map(OnCase::key).collect();
    a.sort();
    b.sort();
    a == b
}

/// What an attempt to find a case came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The details match: the declaration is recorded. The case's id.
    Case(String),
    /// No case has this URN with these defendants (never said which part is wrong).
    NoMatch,
    /// Too many attempts: try again in this many seconds.
    Wait(i64),
}

/// Tries to find the case `urn` with `typed` as its defendants, for `member` who declares they
/// are appointed. Counted against the user and the organisation before it is answered (the
/// count is atomic and attempts on a key are counted one after another, so a burst of guesses
/// cannot all be answered); a match gives the attempt back and records the declaration, in the
/// same transaction as the count; every attempt is audited.
pub async fn find(
    db: &Db,
    member: &Member,
    urn: &Urn,
    typed: &[Typed],
    now: i64,
) -> Result<Found, sqlx::Error> {
    let keys = [
        throttle::find_key(&member.user.id),
        throttle::find_org_key(&member.organisation_id),
    ];
    // Judged first, on a reader connection (finds are judged side by side); the answer is given
    // only once the attempt is counted, in the one write transaction below, so a burst of
    // guesses past the allowance is refused without a word of what they came to. (An import
    // renaming a defendant in between can let the name of a moment ago through: it was right.)
    let rows: Vec<OfCase> = sqlx::query_as(
        "SELECT c.id AS case_id, d.kind, d.first_name, d.last_name, d.date_of_birth, \
                d.company_name \
         FROM cases c JOIN defendants d ON d.case_id = c.id WHERE c.urn = $1",
    )
    .bind(urn.as_str())
    .fetch_all(&db.pool)
    .await?;
    let case = rows.first().map(|r| (r.case_id.clone(),));
    let on_case: Vec<OnCase> = rows.into_iter().map(|r| r.defendant).collect();
    let mut tx = db.begin().await?;
    if let Err(wait) = throttle::attempt_in(&mut tx, &keys, now).await? {
        member
            .who()
            .audit(
                &mut tx,
                "case.find.throttled",
                None,
                json!({ "urn": urn.as_str(), "wait_seconds": wait }),
                now,
            )
            .await?;
        tx.commit().await?;
        return Ok(Found::Wait(wait));
    }
    let Some((case_id,)) = case.filter(|_| all_match(typed, &on_case)) else {
        member
            .who()
            .audit(
                &mut tx,
                "case.find.failed",
                None,
                json!({ "urn": urn.as_str(), "defendants_typed": typed.len() }),
                now,
            )
            .await?;
        tx.commit().await?;
        return Ok(Found::NoMatch);
    };
    let id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO declarations (id, case_id, user_id, organisation_id, declared_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&case_id)
    .bind(&member.user.id)
    .bind(&member.organisation_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    throttle::refund_all_in(&mut tx, &keys).await?;
    member
        .who()
        .audit(
            &mut tx,
            "case.declared",
            Some(format!("case:{case_id}")),
            json!({ "urn": urn.as_str(), "declaration": id }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Found::Case(case_id))
}

/// The nature of a firm's representation of a defendant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nature {
    /// A representation order has been granted (legal aid).
    OrderGranted,
    /// A representation order has been applied for (legal aid).
    OrderApplied,
    /// Appointed by the court.
    CourtAppointed,
    /// Without charge.
    ProBono,
    /// Privately paid.
    Private,
}

impl Nature {
    /// Every nature, in the order forms list them.
    pub const ALL: [Nature; 5] = [
        Nature::OrderGranted,
        Nature::OrderApplied,
        Nature::CourtAppointed,
        Nature::ProBono,
        Nature::Private,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Nature::OrderGranted => "order_granted",
            Nature::OrderApplied => "order_applied",
            Nature::CourtAppointed => "court_appointed",
            Nature::ProBono => "pro_bono",
            Nature::Private => "private",
        }
    }

    /// The nature with this code.
    pub fn from_code(code: &str) -> Option<Nature> {
        Nature::ALL.into_iter().find(|n| n.code() == code)
    }

    /// Whether it is legal aid (the firm's LAA account number is needed).
    pub fn legal_aid(self) -> bool {
        matches!(self, Nature::OrderGranted | Nature::OrderApplied)
    }

    /// Its name.
    pub fn label(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            Nature::OrderGranted => Msg::NatureOrderGranted,
            Nature::OrderApplied => Msg::NatureOrderApplied,
            Nature::CourtAppointed => Msg::NatureCourtAppointed,
            Nature::ProBono => Msg::NatureProBono,
            Nature::Private => Msg::NaturePrivate,
        }
    }
}

/// Why a change for a defendant did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No such defendant on this case, or not one this member may act on (found the case
    /// themselves, or their firm on record for a defendant of it).
    NotFound,
    /// Another firm is on record: its name.
    OtherFirm(String),
    /// The member's own firm is on record already.
    AlreadyYours,
    /// The member's firm is not on record for the defendant.
    NotYours,
    /// A request from this firm is open already.
    AlreadyAsked,
    /// The case has an IDPC (or a request is open).
    NotNeeded,
}

/// A change's outcome.
pub type Change = Result<Result<(), Refused>, sqlx::Error>;

/// Whether `member` found `case_id` themselves, or their firm is on record for one of its
/// defendants, or is instructed as counsel by the firm on record for one: the standing to see
/// the case and act on it.
pub async fn standing(
    conn: &mut AnyConnection,
    user_id: &str,
    organisation_id: &str,
    case_id: &str,
) -> Result<Standing, sqlx::Error> {
    let (declared, associated, instructed): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM declarations WHERE user_id = $1 AND case_id = $3), \
           (SELECT COUNT(*) FROM associations WHERE organisation_id = $2 AND case_id = $3), \
           (SELECT COUNT(*) FROM instructions i JOIN associations ia \
              ON ia.defendant_id = i.defendant_id AND ia.organisation_id = i.instructing_org \
            WHERE i.organisation_id = $2 AND i.case_id = $3)",
    )
    .bind(user_id)
    .bind(organisation_id)
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Standing {
        declared: declared > 0,
        associated: associated > 0,
        instructed: instructed > 0,
    })
}

/// Instructions that stand (`i`): joined to the instructing firm's association, so one lapses
/// the moment that firm stops acting for the defendant.
pub(crate) const LIVE_INSTRUCTIONS: &str = "instructions i JOIN associations ia \
     ON ia.defendant_id = i.defendant_id AND ia.organisation_id = i.instructing_org";

/// The defendants the organisation bound to `param` acts for: on record, or instructed as
/// counsel by the firm on record (a subquery of `defendant_id`s).
pub(crate) fn acting_for(param: &str) -> String {
    format!(
        "SELECT defendant_id FROM associations WHERE organisation_id = {param} \
         UNION SELECT i.defendant_id FROM {LIVE_INSTRUCTIONS} WHERE i.organisation_id = {param}"
    )
}

/// A member's standing on a case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// They made the declaration of appointment on it.
    pub declared: bool,
    /// Their firm is on record for at least one of its defendants.
    pub associated: bool,
    /// Their organisation is instructed as counsel for at least one of its defendants by the
    /// firm on record for it.
    pub instructed: bool,
}

impl Standing {
    /// Whether they may see the case at all.
    pub fn any(self) -> bool {
        self.declared || self.associated || self.instructed
    }

    /// Whether they may go on record for, or ask for the release of, one of its defendants: only
    /// after the declaration of appointment, or as a firm on record on the case (counsel
    /// instructed on it act through the firm that instructs them).
    pub fn may_take_on(self) -> bool {
        self.declared || self.associated
    }
}

/// The defendant's case, if `defendant_id` is on `case_id`.
async fn defendant_on(
    conn: &mut AnyConnection,
    case_id: &str,
    defendant_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT d.name_key FROM defendants d WHERE d.id = $1 AND d.case_id = $2")
            .bind(defendant_id)
            .bind(case_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|r| r.0))
}

/// The firm on record for a defendant: (organisation id, its name).
pub async fn on_record(
    conn: &mut AnyConnection,
    defendant_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.organisation_id, o.name FROM associations a \
         JOIN organisations o ON o.id = a.organisation_id WHERE a.defendant_id = $1",
    )
    .bind(defendant_id)
    .fetch_optional(&mut *conn)
    .await
}

/// What the emails about a defendant name.
struct About {
    urn: String,
    defendant: String,
    organisation: String,
}

async fn about(
    conn: &mut AnyConnection,
    defendant_id: &str,
    organisation_id: &str,
) -> Result<About, sqlx::Error> {
    let (urn, kind, first, last, company): (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT c.urn, d.kind, d.first_name, d.last_name, d.company_name FROM defendants d \
         JOIN cases c ON c.id = d.case_id WHERE d.id = $1",
    )
    .bind(defendant_id)
    .fetch_one(&mut *conn)
    .await?;
    let defendant = if kind == "company" {
        company.unwrap_or_default()
    } else {
        format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default())
    };
    let organisation = crate::organisation::store::name(conn, organisation_id).await?;
    Ok(About {
        urn,
        defendant,
        organisation,
    })
}

#[allow(clippy::too_many_arguments)]
async fn record_event(
    conn: &mut AnyConnection,
    defendant_id: &str,
    case_id: &str,
    organisation_id: &str,
    event: &str,
    nature: Option<&str>,
    laa_account: Option<&str>,
    by_user: Option<&str>,
    now: i64,
    outbox_id: Option<&str>,
) -> Result<String, sqlx::Error> {
    let id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO association_events (id, defendant_id, case_id, organisation_id, event, \
         nature, laa_account, by_user, at, outbox_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(defendant_id)
    .bind(case_id)
    .bind(organisation_id)
    .bind(event)
    .bind(nature)
    .bind(laa_account)
    .bind(by_user)
    .bind(now)
    .bind(outbox_id)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Puts `member`'s firm on record for the defendant, if no firm is: the primary key decides,
/// so of two firms at the same moment exactly one is on record and the other is told which.
/// The LAA is emailed; the firm gets full access to the defendant's material.
pub async fn associate(
    state: &AppState,
    member: &Member,
    case_id: &str,
    defendant_id: &str,
    nature: Nature,
    laa_account: Option<&str>,
    now: i64,
) -> Change {
    let mut tx = state.db.begin().await?;
    let st = standing(&mut tx, &member.user.id, &member.organisation_id, case_id).await?;
    if !st.may_take_on()
        || defendant_on(&mut tx, case_id, defendant_id)
            .await?
            .is_none()
    {
        return Ok(Err(Refused::NotFound));
    }
    let laa_account = laa_account.filter(|_| nature.legal_aid());
    let inserted: Option<(String,)> = sqlx::query_as(
        "INSERT INTO associations (defendant_id, case_id, organisation_id, nature, laa_account, \
         associated_by, associated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (defendant_id) DO NOTHING RETURNING defendant_id",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(&member.organisation_id)
    .bind(nature.code())
    .bind(laa_account)
    .bind(&member.user.id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        let refusal = match on_record(&mut tx, defendant_id).await? {
            Some((org, _)) if org == member.organisation_id => Refused::AlreadyYours,
            Some((_, name)) => Refused::OtherFirm(name),
            None => Refused::NotFound,
        };
        return Ok(Err(refusal));
    }
    let a = about(&mut tx, defendant_id, &member.organisation_id).await?;
    let mail = super::emails::laa_notice(
        &state.mail,
        &state.laa_address,
        super::emails::LaaChange::Associated,
        &a.urn,
        &a.defendant,
        &a.organisation,
        Some(nature),
        laa_account,
    );
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    let event = record_event(
        &mut tx,
        defendant_id,
        case_id,
        &member.organisation_id,
        "associated",
        Some(nature.code()),
        laa_account,
        Some(&member.user.id),
        now,
        Some(&outbox),
    )
    .await?;
    member
        .who()
        .audit(
            &mut tx,
            "case.associated",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": a.urn, "nature": nature.code(),
                    "laa_account": laa_account, "event": event, "laa_email": outbox }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Takes `member`'s firm off record for the defendant: its full access ends at once (every
/// read checks `associations`). The LAA is emailed; open release requests for the defendant
/// are answered (the firms that asked are emailed).
pub async fn disassociate(
    state: &AppState,
    member: &Member,
    case_id: &str,
    defendant_id: &str,
    now: i64,
) -> Change {
    let mut tx = state.db.begin().await?;
    let removed: Option<(String,)> = sqlx::query_as(
        "DELETE FROM associations WHERE defendant_id = $1 AND case_id = $2 \
         AND organisation_id = $3 RETURNING nature",
    )
    .bind(defendant_id)
    .bind(case_id)
    .bind(&member.organisation_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((nature,)) = removed else {
        return Ok(Err(Refused::NotYours));
    };
    // Off record on the whole case: nothing on it is "new" for the firm any more.
    sqlx::query(
        "DELETE FROM material_unseen WHERE organisation_id = $1 AND case_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM associations WHERE organisation_id = $1 AND case_id = $2)",
    )
    .bind(&member.organisation_id)
    .bind(case_id)
    .execute(&mut *tx)
    .await?;
    let a = about(&mut tx, defendant_id, &member.organisation_id).await?;
    let mail = super::emails::laa_notice(
        &state.mail,
        &state.laa_address,
        super::emails::LaaChange::Disassociated,
        &a.urn,
        &a.defendant,
        &a.organisation,
        Nature::from_code(&nature),
        None,
    );
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    let event = record_event(
        &mut tx,
        defendant_id,
        case_id,
        &member.organisation_id,
        "disassociated",
        Some(&nature),
        None,
        Some(&member.user.id),
        now,
        Some(&outbox),
    )
    .await?;
    // Counsel the firm instructed for the defendant lose their access with it.
    let counsel = super::instructions::lapse(
        &mut tx,
        state,
        defendant_id,
        &member.organisation_id,
        Some(&member.user.id),
        now,
    )
    .await?;
    let asked: Vec<(String, String, String)> = sqlx::query_as(
        "UPDATE release_requests SET status = 'released', closed_at = $2 \
         WHERE defendant_id = $1 AND status = 'open' \
         RETURNING id, from_organisation, requested_by",
    )
    .bind(defendant_id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let mut told = vec![];
    for (request, _, requested_by) in &asked {
        let to: Option<Recipient> = sqlx::query_as(
            "SELECT id AS user_id, email, first_name FROM users \
             WHERE id = $1 AND status = 'active'",
        )
        .bind(requested_by)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(to) = to {
            let mail = super::emails::released(&state.mail, &to, &a.urn, &a.defendant);
            told.push(json!({ "request": request,
                "email": email::enqueue(&mut tx, &state.mail, &mail, now).await? }));
        }
    }
    member
        .who()
        .audit(
            &mut tx,
            "case.disassociated",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": a.urn, "nature": nature, "event": event,
                    "laa_email": outbox, "release_requests": told, "counsel_ended": counsel }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Asks the firm on record for the defendant to release it: emailed to that firm's active
/// administrators, shown on their case page until they disassociate. One open request per
/// firm and defendant (a unique index).
pub async fn request_release(
    state: &AppState,
    member: &Member,
    case_id: &str,
    defendant_id: &str,
    message: &str,
    now: i64,
) -> Change {
    let mut tx = state.db.begin().await?;
    let st = standing(&mut tx, &member.user.id, &member.organisation_id, case_id).await?;
    if !st.may_take_on()
        || defendant_on(&mut tx, case_id, defendant_id)
            .await?
            .is_none()
    {
        return Ok(Err(Refused::NotFound));
    }
    let Some((holder, _)) = on_record(&mut tx, defendant_id).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if holder == member.organisation_id {
        return Ok(Err(Refused::AlreadyYours));
    }
    let id = crate::accounts::token::new_id();
    let inserted: Option<(String,)> = sqlx::query_as(
        "INSERT INTO release_requests (id, defendant_id, case_id, from_organisation, \
         to_organisation, requested_by, message, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) \
         ON CONFLICT (defendant_id, from_organisation) WHERE status = 'open' DO NOTHING \
         RETURNING id",
    )
    .bind(&id)
    .bind(defendant_id)
    .bind(case_id)
    .bind(&member.organisation_id)
    .bind(&holder)
    .bind(&member.user.id)
    .bind(message)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        return Ok(Err(Refused::AlreadyAsked));
    }
    let a = about(&mut tx, defendant_id, &member.organisation_id).await?;
    let mut emails = vec![];
    for to in administrators(&mut tx, &holder, "").await? {
        let mail = super::emails::release_request(
            &state.mail,
            &to,
            &a.urn,
            &a.defendant,
            &a.organisation,
            &member.user.full_name(),
            &member.user.email,
            message,
            case_id,
        );
        emails.push(email::enqueue(&mut tx, &state.mail, &mail, now).await?);
    }
    member
        .who()
        .audit(
            &mut tx,
            "case.release.requested",
            Some(format!("defendant:{defendant_id}")),
            json!({ "case": case_id, "urn": a.urn, "request": id, "to_organisation": holder,
                    "emails": emails }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Asks the prosecutor for the case's IDPC (when it has none, and no request is waiting):
/// emailed to the prosecuting authority, recorded, shown on the case until the IDPC arrives.
/// The unique index on `idpc_requests.case_id` decides between two asking at once: the second
/// insert does nothing and its transaction, email included, is rolled back.
pub async fn request_idpc(state: &AppState, member: &Member, case_id: &str, now: i64) -> Change {
    let mut tx = state.db.begin().await?;
    let st = standing(&mut tx, &member.user.id, &member.organisation_id, case_id).await?;
    if !st.any() {
        return Ok(Err(Refused::NotFound));
    }
    let (idpc,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM material WHERE case_id = $1 AND idpc = 1")
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
    if idpc > 0 {
        return Ok(Err(Refused::NotNeeded));
    }
    let (urn, prosecutor, to): (String, String, String) = sqlx::query_as(
        "SELECT c.urn, p.name, p.email FROM cases c JOIN prosecutors p ON p.code = c.prosecutor \
         WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut *tx)
    .await?;
    let org = crate::organisation::store::name(&mut tx, &member.organisation_id).await?;
    let mail = super::emails::idpc_request(
        &state.mail,
        &to,
        &prosecutor,
        &urn,
        &org,
        &member.user.full_name(),
        &member.user.email,
    );
    let outbox = email::enqueue(&mut tx, &state.mail, &mail, now).await?;
    let id = crate::accounts::token::new_id();
    let inserted: Option<(String,)> = sqlx::query_as(
        "INSERT INTO idpc_requests (id, case_id, organisation_id, requested_by, created_at, \
         outbox_id) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (case_id) DO NOTHING RETURNING id",
    )
    .bind(&id)
    .bind(case_id)
    .bind(&member.organisation_id)
    .bind(&member.user.id)
    .bind(now)
    .bind(&outbox)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        return Ok(Err(Refused::NotNeeded));
    }
    member
        .who()
        .audit(
            &mut tx,
            "case.idpc.requested",
            Some(format!("case:{case_id}")),
            json!({ "urn": urn, "request": id, "email": outbox }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A file a member may download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The name to save it as.
    pub file_name: String,
    /// Its type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its SHA-256 (where `crate::files` keeps it).
    pub sha256: String,
    /// An upload's key in the document store (`crate::objects`); none: under `crate::files`.
    pub storage_key: Option<String>,
}

/// Checks `member` may read the material (the rule in [`super::access`]) and records the
/// download (user, firm, defendant, document, time) and audits it, before a byte is sent.
/// `None`: no such material on the case, or not theirs to read (the same answer).
pub async fn download(
    db: &Db,
    member: &Member,
    case_id: &str,
    material_id: &str,
    now: i64,
) -> Result<Option<Download>, sqlx::Error> {
    use super::access::{Defendant, Kind, Reader, may_read};
    let mut tx = db.begin().await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        defendant_id: Option<String>,
        idpc: i64,
        file_name: String,
        content_type: String,
        size: i64,
        sha256: String,
        title: String,
        urn: String,
        storage_key: Option<String>,
        status: String,
        uploaded_by: Option<String>,
        served_by: String,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT m.defendant_id, m.idpc, m.file_name, m.content_type, m.size, m.sha256, \
                m.title, c.urn, m.storage_key, m.status, m.uploaded_by, m.served_by \
         FROM material m JOIN cases c ON c.id = m.case_id WHERE m.id = $1 AND m.case_id = $2",
    )
    .bind(material_id)
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(Row {
        defendant_id,
        idpc,
        file_name,
        content_type,
        size,
        sha256,
        title,
        urn,
        storage_key,
        status,
        uploaded_by,
        served_by,
    }) = row
    else {
        return Ok(None);
    };
    // Never served until scanned clean (or marked not scanned where scanning is off); a
    // defence firm's upload only to that firm and to the firms on record for the defendants it
    // is shared with (docs/uploads.md).
    if !super::access::servable(&status) {
        return Ok(None);
    }
    let (declared, associated, instructed, by_uploader, sharee): (i64, i64, i64, i64, i64) =
        sqlx::query_as(&format!(
            "SELECT (SELECT COUNT(*) FROM declarations WHERE user_id = $1 AND case_id = $2), \
                    (SELECT COUNT(*) FROM associations WHERE organisation_id = $3 \
                       AND case_id = $2 AND ($4 IS NULL OR defendant_id = $4)), \
                    (SELECT COUNT(*) FROM {live} WHERE i.organisation_id = $3 \
                       AND i.case_id = $2 AND ($4 IS NULL OR i.defendant_id = $4)), \
                    (SELECT COUNT(*) FROM {live} WHERE i.organisation_id = $3 \
                       AND i.case_id = $2 AND ($4 IS NULL OR i.defendant_id = $4) \
                       AND i.instructing_org = $6), \
                    (SELECT COUNT(*) FROM material_shares sh WHERE sh.material_id = $5 \
                       AND sh.defendant_id IN ({acting}))",
            live = LIVE_INSTRUCTIONS,
            acting = acting_for("$3"),
        ))
        .bind(&member.user.id)
        .bind(case_id)
        .bind(&member.organisation_id)
        .bind(defendant_id.as_deref())
        .bind(material_id)
        .bind(&served_by)
        .fetch_one(&mut *tx)
        .await?;
    let reader = Reader {
        user_id: &member.user.id,
        organisation_id: Some(&member.organisation_id),
        active: member.user.status == "active",
    };
    let allowed = if uploaded_by.is_some() {
        super::access::reads_upload(
            reader,
            super::access::Upload {
                served_by: &served_by,
                on_record_for_its_defendant: associated > 0,
                acts_for_a_sharee: sharee > 0,
                instructed_by_uploader: by_uploader > 0,
            },
        )
    } else {
        let defendant = Defendant {
            associated: (associated > 0).then_some(member.organisation_id.as_str()),
            declared_by_reader: declared > 0,
            instructed: instructed > 0,
        };
        may_read(
            reader,
            defendant,
            if idpc == 1 { Kind::Idpc } else { Kind::Other },
        )
    };
    if !allowed {
        return Ok(None);
    }
    let id = crate::accounts::token::new_id();
    sqlx::query(
        "INSERT INTO downloads (id, material_id, case_id, defendant_id, user_id, \
         organisation_id, downloaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(material_id)
    .bind(case_id)
    .bind(defendant_id.as_deref())
    .bind(&member.user.id)
    .bind(&member.organisation_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    member
        .who()
        .audit(
            &mut tx,
            "case.material.downloaded",
            Some(format!("material:{material_id}")),
            json!({ "case": case_id, "urn": urn, "title": title, "idpc": idpc == 1,
                    "defendant": defendant_id, "sha256": sha256, "download": id }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(Some(Download {
        file_name,
        content_type,
        size,
        sha256,
        storage_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(f: &str, l: &str, d: &str) -> Typed {
        Typed::Person {
            first_name: f.into(),
            last_name: l.into(),
            date_of_birth: d.into(),
        }
    }

    fn on_case(f: &str, l: &str, d: &str) -> OnCase {
        OnCase {
            kind: "person".into(),
            first_name: Some(f.into()),
            last_name: Some(l.into()),
            date_of_birth: Some(d.into()),
            company_name: None,
        }
    }

    #[test]
    fn every_defendant_must_be_given_in_any_order() {
        let case = vec![
            on_case("Siân", "O’Brien", "1990-01-02"),
            OnCase {
                kind: "company".into(),
                first_name: None,
                last_name: None,
                date_of_birth: None,
                company_name: Some("Acme Haulage Ltd".into()),
            },
        ];
        let both = vec![
            Typed::Company {
                name: "ACME haulage ltd".into(),
            },
            person(" sian ", "o'brien", "1990-01-02"),
        ];
        assert!(all_match(&both, &case));
        assert!(!all_match(&both[1..], &case), "one of two is not enough");
        let twice = vec![both[1].clone(), both[1].clone()];
        assert!(!all_match(&twice, &case), "the same one twice is not both");
        let wrong_date = vec![both[0].clone(), person("Sian", "O'Brien", "1990-02-01")];
        assert!(!all_match(&wrong_date, &case));
        let swapped = vec![both[0].clone(), person("O'Brien", "Sian", "1990-01-02")];
        assert!(
            !all_match(&swapped, &case),
            "first and last name are not interchangeable"
        );
        assert!(!all_match(&[], &[]), "no defendants never matches");
    }

    #[test]
    fn natures_round_trip_and_legal_aid_needs_an_account() {
        for n in Nature::ALL {
            assert_eq!(Nature::from_code(n.code()), Some(n));
        }
        assert!(Nature::OrderGranted.legal_aid() && Nature::OrderApplied.legal_aid());
        assert!(!Nature::Private.legal_aid() && !Nature::ProBono.legal_aid());
        assert_eq!(Nature::from_code("legal_aid"), None);
    }
}
