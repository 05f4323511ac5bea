//! Hearings and check-ins in the database. Every change reads its facts in the transaction
//! that writes it, asks [`super::rules::decide`], and writes conditionally (a second check-in
//! for the same advocate and hearing meets the partial unique index; a change or withdrawal
//! names the live check-in it expects), audited, with a live event for the court's boards in
//! the same transaction (`crate::live`).

use super::{
    board::{self, BoardCheckin, BoardHearing},
    rules::{self, Actor, Attendance, Change, Refused, Standing, Status},
};
use crate::{
    accounts::store::Who,
    cases::read::display_name,
    clock::{uk_date, uk_offset},
    date::Date,
    db::{Db, Tx},
    web::User,
};
use serde_json::json;
use sqlx::AnyConnection;

/// The first and last-plus-one instants of a UK calendar day (Unix seconds; 23 or 25 hours
/// long on the days the clocks change).
pub fn day_bounds(d: Date) -> (i64, i64) {
    let start = |d: Date| {
        let t = d.days_since_epoch() * 86_400;
        t - uk_offset(t - 3600)
    };
    (start(d), start(d.add_days(1)))
}

/// A hearing as a list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Its id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The URN (normal form).
    pub urn: String,
    /// The court.
    pub court: String,
    /// The courtroom.
    pub courtroom: String,
    /// Starts (Unix seconds).
    pub starts_at: i64,
    /// Hearing type.
    pub hearing_type: String,
    /// The defendants' names, in the case's order.
    pub defendants: Vec<String>,
    /// The court has marked it ended.
    pub ended: bool,
    /// The viewer's organisation acts on the case (on record or instructed).
    pub ours: bool,
    /// Live check-ins.
    pub checked_in: i64,
    /// The viewer's own live check-in, if any.
    pub mine: Option<String>,
}

type ListRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<i64>,
    i64,
    i64,
    Option<String>,
);

const LIST_COLUMNS: &str = "h.id, h.case_id, c.urn, h.court, h.courtroom, h.starts_at, \
     h.hearing_type, h.ended_at, \
     (SELECT COUNT(*) FROM associations a WHERE a.case_id = h.case_id AND a.organisation_id = $1) \
       + (SELECT COUNT(*) FROM instructions i JOIN associations a \
            ON a.defendant_id = i.defendant_id AND a.organisation_id = i.instructing_org \
          WHERE i.case_id = h.case_id AND i.organisation_id = $1), \
     (SELECT COUNT(*) FROM checkins k WHERE k.hearing_id = h.id AND k.withdrawn_at IS NULL), \
     (SELECT k.id FROM checkins k WHERE k.hearing_id = h.id AND k.advocate_id = $2 \
        AND k.withdrawn_at IS NULL)";

async fn listed(conn: &mut AnyConnection, rows: Vec<ListRow>) -> Result<Vec<Listed>, sqlx::Error> {
    let mut out = Vec::with_capacity(rows.len());
    for (id, case_id, urn, court, courtroom, starts_at, hearing_type, ended, ours, n, mine) in rows
    {
        let defendants = defendants(conn, &case_id)
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        out.push(Listed {
            id,
            case_id,
            urn,
            court,
            courtroom,
            starts_at,
            hearing_type,
            defendants,
            ended: ended.is_some(),
            ours: ours > 0,
            checked_in: n,
            mine,
        });
    }
    Ok(out)
}

/// A court's hearings on a day, by courtroom and time (`courtroom`: only that room), marked
/// for the viewer's organisation and their own check-in.
pub async fn day_list(
    conn: &mut AnyConnection,
    court: &str,
    day: Date,
    courtroom: Option<&str>,
    viewer: Option<&User>,
) -> Result<Vec<Listed>, sqlx::Error> {
    let (from, to) = day_bounds(day);
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT {LIST_COLUMNS} FROM hearings h JOIN cases c ON c.id = h.case_id \
         WHERE h.court = $3 AND h.starts_at >= $4 AND h.starts_at < $5 \
           AND h.vacated_at IS NULL AND ($6 = '' OR h.courtroom = $6) \
         ORDER BY h.courtroom, h.starts_at, c.urn"
    ))
    .bind(
        viewer
            .and_then(|u| u.organisation_id.clone())
            .unwrap_or_default(),
    )
    .bind(viewer.map(|u| u.id.clone()).unwrap_or_default())
    .bind(court)
    .bind(from)
    .bind(to)
    .bind(courtroom.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    listed(conn, rows).await
}

/// The courtrooms a court sits in on a day.
pub async fn courtrooms(
    conn: &mut AnyConnection,
    court: &str,
    day: Date,
) -> Result<Vec<String>, sqlx::Error> {
    let (from, to) = day_bounds(day);
    sqlx::query_scalar(
        "SELECT DISTINCT courtroom FROM hearings WHERE court = $1 AND starts_at >= $2 \
         AND starts_at < $3 AND vacated_at IS NULL ORDER BY courtroom",
    )
    .bind(court)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await
}

/// The hearings of the cases the member's organisation acts on (on record or instructed),
/// from the start of `from` for `days` days, earliest first.
pub async fn ours(
    conn: &mut AnyConnection,
    user: &User,
    from: Date,
    days: i64,
) -> Result<Vec<Listed>, sqlx::Error> {
    let start = day_bounds(from).0;
    let end = day_bounds(from.add_days(days - 1)).1;
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT {LIST_COLUMNS} FROM hearings h JOIN cases c ON c.id = h.case_id \
         WHERE h.starts_at >= $3 AND h.starts_at < $4 AND h.vacated_at IS NULL \
           AND h.case_id IN ( \
             SELECT case_id FROM associations WHERE organisation_id = $1 \
             UNION SELECT i.case_id FROM instructions i JOIN associations a \
               ON a.defendant_id = i.defendant_id AND a.organisation_id = i.instructing_org \
             WHERE i.organisation_id = $1) \
         ORDER BY h.starts_at, h.court, h.courtroom, c.urn LIMIT 200"
    ))
    .bind(user.organisation_id.clone().unwrap_or_default())
    .bind(&user.id)
    .bind(start)
    .bind(end)
    .fetch_all(&mut *conn)
    .await?;
    listed(conn, rows).await
}

/// A case's defendants (id, name), in its order.
pub async fn defendants(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows: Vec<DefendantRow> = sqlx::query_as(
        "SELECT id, kind, first_name, last_name, company_name FROM defendants \
             WHERE case_id = $1 ORDER BY position",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, f, l, c)| (id, display_name(&kind, f, l, c)))
        .collect())
}

/// A defendant's kind and the parts of their name.
type NameRow = (String, Option<String>, Option<String>, Option<String>);

/// A defendant's id, kind and the parts of their name.
type DefendantRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The names of the defendants a check-in is for, in the case's order.
pub async fn checkin_defendant_names(
    conn: &mut AnyConnection,
    checkin_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let names: Vec<NameRow> = sqlx::query_as(
        "SELECT d.kind, d.first_name, d.last_name, d.company_name \
         FROM checkin_defendants cd JOIN defendants d ON d.id = cd.defendant_id \
         WHERE cd.checkin_id = $1 ORDER BY d.position",
    )
    .bind(checkin_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(names
        .into_iter()
        .map(|(k, f, l, c)| display_name(&k, f, l, c))
        .collect())
}

/// A hearing's facts.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Facts {
    /// Its id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The URN (normal form).
    pub urn: String,
    /// The court.
    pub court: String,
    /// The courtroom.
    pub courtroom: String,
    /// Starts (Unix seconds).
    pub starts_at: i64,
    /// Hearing type.
    pub hearing_type: String,
    /// When the court marked it ended.
    pub ended_at: Option<i64>,
}

impl Facts {
    /// Its date in the UK.
    pub fn date(&self) -> Date {
        uk_date(self.starts_at)
    }
}

/// The hearing `id` (not vacated).
pub async fn hearing(conn: &mut AnyConnection, id: &str) -> Result<Option<Facts>, sqlx::Error> {
    sqlx::query_as(
        "SELECT h.id, h.case_id, c.urn, h.court, h.courtroom, h.starts_at, h.hearing_type, \
                h.ended_at \
         FROM hearings h JOIN cases c ON c.id = h.case_id \
         WHERE h.id = $1 AND h.vacated_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// The defendants on `case_id` that `organisation_id` is on record for, and those it is
/// instructed for by the firm on record.
pub async fn standing(
    conn: &mut AnyConnection,
    case_id: &str,
    organisation_id: &str,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let on_record: Vec<String> = sqlx::query_scalar(
        "SELECT defendant_id FROM associations WHERE case_id = $1 AND organisation_id = $2",
    )
    .bind(case_id)
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    let instructed: Vec<String> = sqlx::query_scalar(
        "SELECT i.defendant_id FROM instructions i JOIN associations a \
           ON a.defendant_id = i.defendant_id AND a.organisation_id = i.instructing_org \
         WHERE i.case_id = $1 AND i.organisation_id = $2",
    )
    .bind(case_id)
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((on_record, instructed))
}

type CheckinRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
);

const CHECKIN_COLUMNS: &str = "k.id, k.hearing_id, k.advocate_name, o.name, k.status, \
     k.attendance, CASE WHEN k.checked_in_by <> k.advocate_id \
       THEN (SELECT s.first_name || ' ' || s.last_name FROM users s WHERE s.id = k.checked_in_by) \
     END, k.attended, k.withdrawn_at, k.version";

async fn checkins_where(
    conn: &mut AnyConnection,
    filter: &str,
    binds: &[&str],
) -> Result<Vec<BoardCheckin>, sqlx::Error> {
    let sql = format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins k JOIN organisations o ON o.id = k.organisation_id \
         WHERE {filter} ORDER BY k.checked_in_at, k.id"
    );
    let mut q = sqlx::query_as::<_, CheckinRow>(&sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, hearing_id, advocate, organisation, status, attendance, by, attended, gone, v) in rows
    {
        let defendants = checkin_defendant_names(conn, &id).await?;
        out.push(BoardCheckin {
            id,
            hearing_id,
            advocate,
            organisation,
            status,
            attendance,
            defendants,
            by_staff: by,
            attended: attended.map(|a| a == 1),
            withdrawn: gone.is_some(),
            version: v,
        });
    }
    Ok(out)
}

/// One check-in as the board shows it.
pub async fn checkin(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<BoardCheckin>, sqlx::Error> {
    Ok(checkins_where(conn, "k.id = $1", &[id]).await?.pop())
}

/// A hearing's live check-ins, first first.
pub async fn live_checkins(
    conn: &mut AnyConnection,
    hearing_id: &str,
) -> Result<Vec<BoardCheckin>, sqlx::Error> {
    checkins_where(
        conn,
        "k.hearing_id = $1 AND k.withdrawn_at IS NULL",
        &[hearing_id],
    )
    .await
}

/// The advocate's live check-in for a hearing: its id and the defendants' ids.
pub async fn mine(
    conn: &mut AnyConnection,
    hearing_id: &str,
    advocate_id: &str,
) -> Result<Option<Mine>, sqlx::Error> {
    let row: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, status, attendance, version FROM checkins WHERE hearing_id = $1 \
         AND advocate_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(hearing_id)
    .bind(advocate_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, status, attendance, version)) = row else {
        return Ok(None);
    };
    let defendants = sqlx::query_scalar(
        "SELECT defendant_id FROM checkin_defendants WHERE checkin_id = $1 ORDER BY defendant_id",
    )
    .bind(&id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Mine {
        status: Status::from_code(&status).unwrap_or(Status::Solicitor),
        attendance: Attendance::from_code(&attendance).unwrap_or(Attendance::InPerson),
        id,
        defendants,
        version,
    }))
}

/// An advocate's own live check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mine {
    /// Its id.
    pub id: String,
    /// Their status.
    pub status: Status,
    /// How they attend.
    pub attendance: Attendance,
    /// The defendants' ids.
    pub defendants: Vec<String>,
    /// Counts its changes.
    pub version: i64,
}

/// A court's board for a day: its hearings (in `courtroom`, or all) with their live check-ins.
pub async fn board(
    conn: &mut AnyConnection,
    court: &str,
    day: Date,
    courtroom: Option<&str>,
    lang: crate::i18n::Lang,
) -> Result<Vec<BoardHearing>, sqlx::Error> {
    let list = day_list(conn, court, day, courtroom, None).await?;
    let mut out = Vec::with_capacity(list.len());
    for l in list {
        let checkins = live_checkins(conn, &l.id).await?;
        out.push(BoardHearing {
            time: crate::clock::uk_clock_time(l.starts_at, lang),
            id: l.id,
            case_id: l.case_id,
            urn: crate::cases::pages::urn_spaced(&l.urn),
            courtroom: l.courtroom,
            starts_at: l.starts_at,
            hearing_type: l.hearing_type,
            defendants: l.defendants,
            ended: l.ended,
            checkins,
        });
    }
    Ok(out)
}

/// Who asks for a change.
#[derive(Clone, Copy, Debug)]
pub enum By<'a> {
    /// The advocate, for themselves.
    Advocate,
    /// Court staff, on the advocate's behalf.
    Staff(&'a User),
}

/// A check-in or its change, as asked.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The hearing.
    pub hearing_id: &'a str,
    /// The advocate.
    pub advocate: &'a User,
    /// Their status.
    pub status: Status,
    /// How they attend.
    pub attendance: Attendance,
    /// The defendants' ids.
    pub defendants: &'a [String],
}

/// Why a change did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// No such hearing (or vacated), or no such check-in.
    NotFound,
    /// The rule refuses it.
    Refused(Refused),
}

impl From<Refused> for Problem {
    fn from(r: Refused) -> Problem {
        Problem::Refused(r)
    }
}

/// What a change did: the check-in's id and the live topic to wake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// The check-in.
    pub checkin_id: String,
    /// The court's topic.
    pub topic: String,
}

fn actor<'a>(by: By<'a>) -> Actor<'a> {
    match by {
        By::Advocate => Actor::Advocate,
        By::Staff(u) => Actor::CourtStaff {
            court: u.staff_court.as_deref().unwrap_or(""),
        },
    }
}

/// Reads the facts and asks the rule: the hearing and the advocate's standing on its case.
async fn decide(
    tx: &mut Tx,
    by: By<'_>,
    hearing_id: &str,
    advocate: &User,
    change: Change<'_>,
    now: i64,
) -> Result<Result<(Facts, Option<Mine>), Problem>, sqlx::Error> {
    let Some(h) = hearing(tx, hearing_id).await? else {
        return Ok(Err(Problem::NotFound));
    };
    let Some(org) = advocate.organisation_id.as_deref() else {
        return Ok(Err(Problem::NotFound));
    };
    let (on_record, instructed) = standing(tx, &h.case_id, org).await?;
    let on_record: Vec<&str> = on_record.iter().map(String::as_str).collect();
    let instructed: Vec<&str> = instructed.iter().map(String::as_str).collect();
    let current = mine(tx, hearing_id, &advocate.id).await?;
    let verdict = rules::decide(
        uk_date(now),
        rules::Hearing {
            date: h.date(),
            court: &h.court,
            ended: h.ended_at.is_some(),
        },
        actor(by),
        Standing {
            active: advocate.status == "active",
            on_record: &on_record,
            instructed: &instructed,
        },
        current.is_some(),
        change,
    );
    Ok(match verdict {
        Ok(()) => Ok((h, current)),
        Err(r) => Err(r.into()),
    })
}

fn who_of(by: By<'_>, advocate: &User, ip: &str) -> Who {
    match by {
        By::Advocate => Who::user(advocate, ip),
        By::Staff(u) => Who::user(u, ip),
    }
}

fn by_id<'a>(by: By<'a>, advocate: &'a User) -> &'a str {
    match by {
        By::Advocate => &advocate.id,
        By::Staff(u) => &u.id,
    }
}

async fn set_defendants(tx: &mut Tx, id: &str, defendants: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM checkin_defendants WHERE checkin_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let mut seen: Vec<&String> = vec![];
    for d in defendants {
        if seen.contains(&d) {
            continue;
        }
        seen.push(d);
        sqlx::query("INSERT INTO checkin_defendants (checkin_id, defendant_id) VALUES ($1, $2)")
            .bind(id)
            .bind(d)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Sends the check-in's new state to the court's boards (in the transaction).
async fn publish(
    tx: &mut Tx,
    db: &Db,
    court: &str,
    checkin_id: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let topic = board::topic(court);
    if let Some(c) = checkin(tx, checkin_id).await? {
        let payload = serde_json::to_string(&c).unwrap_or_default();
        crate::live::append(tx, db.backend, &topic, board::CHECKIN_EVENT, &payload, now).await?;
    }
    Ok(topic)
}

/// Checks the advocate in for the hearing.
pub async fn check_in(
    db: &Db,
    by: By<'_>,
    req: &Request<'_>,
    ip: &str,
    now: i64,
) -> Result<Result<Done, Problem>, sqlx::Error> {
    let chosen: Vec<&str> = req.defendants.iter().map(String::as_str).collect();
    let mut tx = db.begin().await?;
    let h = match decide(
        &mut tx,
        by,
        req.hearing_id,
        req.advocate,
        Change::CheckIn {
            defendants: &chosen,
        },
        now,
    )
    .await?
    {
        Ok((h, _)) => h,
        Err(p) => return Ok(Err(p)),
    };
    let id = crate::accounts::token::new_id();
    let n = sqlx::query(
        "INSERT INTO checkins (id, hearing_id, case_id, court, advocate_id, organisation_id, \
           advocate_name, status, attendance, checked_in_by, checked_in_at, changed_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) \
         ON CONFLICT (hearing_id, advocate_id) WHERE withdrawn_at IS NULL DO NOTHING",
    )
    .bind(&id)
    .bind(&h.id)
    .bind(&h.case_id)
    .bind(&h.court)
    .bind(&req.advocate.id)
    .bind(req.advocate.organisation_id.as_deref().unwrap_or(""))
    .bind(req.advocate.full_name())
    .bind(req.status.code())
    .bind(req.attendance.code())
    .bind(by_id(by, req.advocate))
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(Err(Refused::AlreadyCheckedIn.into()));
    }
    set_defendants(&mut tx, &id, req.defendants).await?;
    who_of(by, req.advocate, ip)
        .audit(
            &mut tx,
            "checkin.created",
            Some(format!("checkin:{id}")),
            json!({ "hearing": h.id, "case": h.case_id, "advocate": req.advocate.id,
                    "status": req.status.code(), "attendance": req.attendance.code(),
                    "defendants": req.defendants, "on_behalf": matches!(by, By::Staff(_)) }),
            now,
        )
        .await?;
    let topic = publish(&mut tx, db, &h.court, &id, now).await?;
    tx.commit().await?;
    db.live.wake(db, &topic).await;
    Ok(Ok(Done {
        checkin_id: id,
        topic,
    }))
}

/// Changes the advocate's live check-in for the hearing (status, attendance, defendants).
pub async fn amend(
    db: &Db,
    by: By<'_>,
    req: &Request<'_>,
    ip: &str,
    now: i64,
) -> Result<Result<Done, Problem>, sqlx::Error> {
    let chosen: Vec<&str> = req.defendants.iter().map(String::as_str).collect();
    let mut tx = db.begin().await?;
    let (h, current) = match decide(
        &mut tx,
        by,
        req.hearing_id,
        req.advocate,
        Change::Amend {
            defendants: &chosen,
        },
        now,
    )
    .await?
    {
        Ok((h, Some(c))) => (h, c),
        Ok((_, None)) => return Ok(Err(Refused::NotCheckedIn.into())),
        Err(p) => return Ok(Err(p)),
    };
    // Conditional on the version read: a withdrawal or change in between wins, and this one
    // is refused rather than applied to something else.
    let n = sqlx::query(
        "UPDATE checkins SET status = $1, attendance = $2, changed_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5 AND withdrawn_at IS NULL",
    )
    .bind(req.status.code())
    .bind(req.attendance.code())
    .bind(now)
    .bind(&current.id)
    .bind(current.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(Err(Refused::NotCheckedIn.into()));
    }
    set_defendants(&mut tx, &current.id, req.defendants).await?;
    who_of(by, req.advocate, ip)
        .audit(
            &mut tx,
            "checkin.amended",
            Some(format!("checkin:{}", current.id)),
            json!({ "hearing": h.id, "case": h.case_id, "advocate": req.advocate.id,
                    "status": req.status.code(), "attendance": req.attendance.code(),
                    "defendants": req.defendants, "on_behalf": matches!(by, By::Staff(_)) }),
            now,
        )
        .await?;
    let topic = publish(&mut tx, db, &h.court, &current.id, now).await?;
    tx.commit().await?;
    db.live.wake(db, &topic).await;
    Ok(Ok(Done {
        checkin_id: current.id,
        topic,
    }))
}

/// Withdraws the advocate's live check-in for the hearing (kept, marked withdrawn).
pub async fn withdraw(
    db: &Db,
    by: By<'_>,
    hearing_id: &str,
    advocate: &User,
    ip: &str,
    now: i64,
) -> Result<Result<Done, Problem>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let (h, current) =
        match decide(&mut tx, by, hearing_id, advocate, Change::Withdraw, now).await? {
            Ok((h, Some(c))) => (h, c),
            Ok((_, None)) => return Ok(Err(Refused::NotCheckedIn.into())),
            Err(p) => return Ok(Err(p)),
        };
    let n = sqlx::query(
        "UPDATE checkins SET withdrawn_at = $1, withdrawn_by = $2, changed_at = $1, \
           version = version + 1 WHERE id = $3 AND withdrawn_at IS NULL",
    )
    .bind(now)
    .bind(by_id(by, advocate))
    .bind(&current.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(Err(Refused::NotCheckedIn.into()));
    }
    who_of(by, advocate, ip)
        .audit(
            &mut tx,
            "checkin.withdrawn",
            Some(format!("checkin:{}", current.id)),
            json!({ "hearing": h.id, "case": h.case_id, "advocate": advocate.id,
                    "on_behalf": matches!(by, By::Staff(_)) }),
            now,
        )
        .await?;
    let topic = publish(&mut tx, db, &h.court, &current.id, now).await?;
    tx.commit().await?;
    db.live.wake(db, &topic).await;
    Ok(Ok(Done {
        checkin_id: current.id,
        topic,
    }))
}

/// Court staff mark whether the checked-in advocate actually attended (their court only, on
/// the day, a live check-in; changeable until the day is over — even after the hearing ended,
/// which is when the usher knows).
pub async fn mark_attended(
    db: &Db,
    staff: &User,
    checkin_id: &str,
    attended: bool,
    ip: &str,
    now: i64,
) -> Result<Result<Done, Problem>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT k.hearing_id, k.court, h.starts_at FROM checkins k \
         JOIN hearings h ON h.id = k.hearing_id WHERE k.id = $1 AND k.withdrawn_at IS NULL",
    )
    .bind(checkin_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((hearing_id, court, starts_at)) = row else {
        return Ok(Err(Problem::NotFound));
    };
    if staff.staff_court.as_deref() != Some(court.as_str()) || !staff.is_staff("court") {
        return Ok(Err(Refused::OtherCourt.into()));
    }
    if uk_date(starts_at) != uk_date(now) {
        return Ok(Err(Refused::NotToday.into()));
    }
    let n = sqlx::query(
        "UPDATE checkins SET attended = $1, attended_by = $2, attended_at = $3, \
           version = version + 1 WHERE id = $4 AND withdrawn_at IS NULL",
    )
    .bind(i64::from(attended))
    .bind(&staff.id)
    .bind(now)
    .bind(checkin_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(Err(Problem::NotFound));
    }
    Who::user(staff, ip)
        .audit(
            &mut tx,
            "checkin.attendance_marked",
            Some(format!("checkin:{checkin_id}")),
            json!({ "hearing": hearing_id, "attended": attended }),
            now,
        )
        .await?;
    let topic = publish(&mut tx, db, &court, checkin_id, now).await?;
    tx.commit().await?;
    db.live.wake(db, &topic).await;
    Ok(Ok(Done {
        checkin_id: checkin_id.to_owned(),
        topic,
    }))
}

/// Court staff mark a hearing of their court ended (once: check-ins close).
pub async fn end_hearing(
    db: &Db,
    staff: &User,
    hearing_id: &str,
    ip: &str,
    now: i64,
) -> Result<Result<String, Problem>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let Some(h) = hearing(&mut tx, hearing_id).await? else {
        return Ok(Err(Problem::NotFound));
    };
    if staff.staff_court.as_deref() != Some(h.court.as_str()) || !staff.is_staff("court") {
        return Ok(Err(Refused::OtherCourt.into()));
    }
    let n = sqlx::query(
        "UPDATE hearings SET ended_at = $1, ended_by = $2 WHERE id = $3 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(&staff.id)
    .bind(hearing_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(Err(Refused::Ended.into()));
    }
    Who::user(staff, ip)
        .audit(
            &mut tx,
            "hearing.ended",
            Some(format!("hearing:{hearing_id}")),
            json!({ "case": h.case_id }),
            now,
        )
        .await?;
    let topic = board::topic(&h.court);
    let payload = serde_json::to_string(&board::Ended {
        hearing_id: hearing_id.to_owned(),
    })
    .unwrap_or_default();
    crate::live::append(
        &mut tx,
        db.backend,
        &topic,
        board::ENDED_EVENT,
        &payload,
        now,
    )
    .await?;
    tx.commit().await?;
    db.live.wake(db, &topic).await;
    Ok(Ok(topic))
}

/// An active member of a defence organisation, found by email (for court staff checking an
/// advocate in on their behalf).
pub async fn advocate_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM users u WHERE u.email = $1 AND u.organisation_id IS NOT NULL \
         AND u.status = 'active'",
        crate::accounts::store::USER_COLUMNS
    );
    sqlx::query_as(&sql)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
