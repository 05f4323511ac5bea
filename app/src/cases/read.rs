//! What the case pages show, read for one member: a case with its defendants, offences,
//! hearings and material, who is on record, requests, and the firm's history on it; and the
//! firm's own cases for `/cases`.

use super::defence::{Member, Standing, standing};
use sqlx::AnyConnection;

/// A defendant on a case page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefendantView {
    /// Its id.
    pub id: String,
    /// The name as shown.
    pub name: String,
    /// A person's date of birth (`YYYY-MM-DD`).
    pub date_of_birth: Option<String>,
    /// A company.
    pub company: bool,
    /// Offences: (wording, legislation, date).
    pub offences: Vec<(String, String, String)>,
    /// The firm on record: (organisation id, name, nature code, since).
    pub on_record: Option<(String, String, String, i64)>,
    /// A release request from the member's firm is open.
    pub we_asked: bool,
    /// Open release requests to the member's firm: (requesting firm, requester, message, when).
    pub asked_of_us: Vec<(String, String, String, i64)>,
    /// The member's organisation is instructed as counsel for them: the instructing firm on
    /// record (id, name).
    pub instructed_by: Option<(String, String)>,
    /// Counsel the member's firm instructs for them (while it is on record).
    pub counsel: Vec<Counsel>,
}

/// Counsel instructed for a defendant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counsel {
    /// Their organisation.
    pub organisation_id: String,
    /// Its name.
    pub organisation: String,
    /// The advocate told (name).
    pub name: String,
    /// Their email address.
    pub email: String,
    /// When.
    pub since: i64,
}

impl DefendantView {
    /// Whether the member's firm is on record for them.
    pub fn ours(&self, member: &Member) -> bool {
        self.on_record
            .as_ref()
            .is_some_and(|(org, ..)| *org == member.organisation_id)
    }
}

/// A hearing.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct HearingView {
    /// The court.
    pub court: String,
    /// The courtroom.
    pub courtroom: String,
    /// When (Unix seconds).
    pub starts_at: i64,
    /// Its type.
    pub hearing_type: String,
}

/// An item of material, with whether the member may download it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaterialView {
    /// Its id.
    pub id: String,
    /// Section.
    pub section: String,
    /// Title.
    pub title: String,
    /// The IDPC.
    pub idpc: bool,
    /// File name.
    pub file_name: String,
    /// Size in bytes.
    pub size: i64,
    /// Served by (the prosecutor's name or a firm's).
    pub served_by: String,
    /// When.
    pub served_at: i64,
    /// The defendant it is for (none: the whole case).
    pub defendant_id: Option<String>,
    /// The member may download it.
    pub readable: bool,
    /// `clean`, `not_scanned`, or (the firm's own uploads only) `scanning`, `infected`,
    /// `scan_failed`.
    pub status: String,
    /// Its receipt (the firm's own uploads).
    pub receipt: Option<String>,
    /// The firm's own upload: the defendants it is shared with (names), in the case's order.
    pub shared_with: Vec<String>,
    /// Another firm's upload, shared with a defendant the member's firm is on record for.
    pub shared_to_us: bool,
    /// The member's firm has not opened it yet (new from the prosecution, or shared with it).
    pub new: bool,
}

/// A line of the firm's history on the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryLine {
    /// When.
    pub at: i64,
    /// Who (a name).
    pub who: String,
    /// What: `declared`, `downloaded`, `associated`, `disassociated`, `moved_in`, `moved_out`;
    /// for the firm that instructed counsel `counsel_` and for counsel's organisation
    /// `instructed_`, each followed by `instructed`, `withdrawn`, `returned` or `lapsed`.
    pub what: String,
    /// About what (a document's title, a defendant's name).
    pub about: String,
    /// The other organisation in an instruction (counsel's, or the firm's), else empty.
    pub other: String,
}

/// A case as a member sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseView {
    /// Its id.
    pub id: String,
    /// Its URN (normal form).
    pub urn: String,
    /// The prosecuting authority's name.
    pub prosecutor: String,
    /// The court.
    pub court: String,
    /// The member's standing.
    pub standing: Standing,
    /// The defendants, in the prosecutor's order.
    pub defendants: Vec<DefendantView>,
    /// The hearings, earliest first.
    pub hearings: Vec<HearingView>,
    /// The material, the IDPC first, then by section (in the sections' order) and date.
    pub material: Vec<MaterialView>,
    /// Every section (reference data), in order.
    pub sections: Vec<super::sections::Section>,
    /// When an IDPC was asked for and not yet served: (when, firm name).
    pub idpc_requested: Option<(i64, String)>,
}

impl CaseView {
    /// Whether the member's firm is on record for any defendant.
    pub fn associated(&self) -> bool {
        self.standing.associated
    }
}

pub(crate) fn display_name(
    kind: &str,
    first: Option<String>,
    last: Option<String>,
    company: Option<String>,
) -> String {
    if kind == "company" {
        company.unwrap_or_default()
    } else {
        format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default())
    }
}

/// An instruction on a case: defendant, instructing firm (id, name), counsel's organisation
/// (id, name), the advocate told (name, email), since.
type InstructionRow = (String, String, String, String, String, String, String, i64);

/// A defendant's kind and name columns.
type NameRow = (String, Option<String>, Option<String>, Option<String>);

type DefRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The case `case_id` as `member` sees it, or `None` if it is not theirs to see (they have not
/// found it, and their firm is on record for none of its defendants).
pub async fn case(
    conn: &mut AnyConnection,
    member: &Member,
    case_id: &str,
) -> Result<Option<CaseView>, sqlx::Error> {
    let standing = standing(conn, &member.user.id, &member.organisation_id, case_id).await?;
    if !standing.any() {
        return Ok(None);
    }
    let head: Option<(String, String, String)> = sqlx::query_as(
        "SELECT c.urn, p.name, c.court FROM cases c JOIN prosecutors p ON p.code = c.prosecutor \
         WHERE c.id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((urn, prosecutor, court)) = head else {
        return Ok(None);
    };
    let rows: Vec<DefRow> = sqlx::query_as(
        "SELECT id, kind, first_name, last_name, date_of_birth, company_name FROM defendants \
         WHERE case_id = $1 ORDER BY position",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let offences: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT o.defendant_id, o.wording, o.legislation, o.offence_date FROM offences o \
         JOIN defendants d ON d.id = o.defendant_id WHERE d.case_id = $1 ORDER BY o.position",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let records: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT a.defendant_id, a.organisation_id, o.name, a.nature, a.associated_at \
         FROM associations a JOIN organisations o ON o.id = a.organisation_id \
         WHERE a.case_id = $1",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let requests: Vec<(String, String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT r.defendant_id, r.from_organisation, o.name, \
                u.first_name || ' ' || u.last_name, r.message, r.to_organisation, r.created_at \
         FROM release_requests r JOIN organisations o ON o.id = r.from_organisation \
         JOIN users u ON u.id = r.requested_by \
         WHERE r.case_id = $1 AND r.status = 'open' ORDER BY r.created_at",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let mine = member.organisation_id.as_str();
    // Instructions that stand on the case, given by the member's firm or to its organisation.
    let instructions: Vec<InstructionRow> = sqlx::query_as(&format!(
        "SELECT i.defendant_id, i.instructing_org, fo.name, i.organisation_id, co.name, \
                    u.first_name || ' ' || u.last_name, u.email, i.created_at \
             FROM {} JOIN organisations fo ON fo.id = i.instructing_org \
             JOIN organisations co ON co.id = i.organisation_id JOIN users u ON u.id = i.user_id \
             WHERE i.case_id = $1 AND (i.instructing_org = $2 OR i.organisation_id = $2) \
             ORDER BY i.created_at",
        super::defence::LIVE_INSTRUCTIONS
    ))
    .bind(case_id)
    .bind(mine)
    .fetch_all(&mut *conn)
    .await?;
    let defendants = rows
        .into_iter()
        .map(|(id, kind, first, last, dob, company)| DefendantView {
            offences: offences
                .iter()
                .filter(|o| o.0 == id)
                .map(|o| (o.1.clone(), o.2.clone(), o.3.clone()))
                .collect(),
            on_record: records
                .iter()
                .find(|r| r.0 == id)
                .map(|r| (r.1.clone(), r.2.clone(), r.3.clone(), r.4)),
            we_asked: requests.iter().any(|r| r.0 == id && r.1 == mine),
            asked_of_us: requests
                .iter()
                .filter(|r| r.0 == id && r.5 == mine)
                .map(|r| (r.2.clone(), r.3.clone(), r.4.clone(), r.6))
                .collect(),
            instructed_by: instructions
                .iter()
                .find(|i| i.0 == id && i.3 == mine)
                .map(|i| (i.1.clone(), i.2.clone())),
            counsel: instructions
                .iter()
                .filter(|i| i.0 == id && i.1 == mine)
                .map(|i| Counsel {
                    organisation_id: i.3.clone(),
                    organisation: i.4.clone(),
                    name: i.5.clone(),
                    email: i.6.clone(),
                    since: i.7,
                })
                .collect(),
            company: kind == "company",
            name: display_name(&kind, first, last, company),
            date_of_birth: dob,
            id,
        })
        .collect::<Vec<_>>();
    let hearings: Vec<HearingView> = sqlx::query_as(
        "SELECT court, courtroom, starts_at, hearing_type FROM hearings WHERE case_id = $1 \
         AND vacated_at IS NULL ORDER BY starts_at",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    type MatRow = (
        String,
        String,
        String,
        i64,
        String,
        i64,
        String,
        i64,
        Option<String>,
        String,
        Option<String>,
        String,
        i64,
        i64,
        i64,
    );
    let material: Vec<MatRow> = sqlx::query_as(&format!(
        "SELECT m.id, m.section, m.title, m.idpc, m.file_name, m.size, \
                COALESCE(p.name, o.name, m.served_by), m.served_at, m.defendant_id, m.status, \
                m.receipt, m.served_by, CASE WHEN m.uploaded_by IS NULL THEN 0 ELSE 1 END, \
                (SELECT COUNT(*) FROM material_shares sh WHERE sh.material_id = m.id \
                   AND sh.defendant_id IN ({acting})) AS shared_to_us, \
                (SELECT COUNT(*) FROM material_unseen u \
                   WHERE u.material_id = m.id AND u.organisation_id = $2) AS unseen \
         FROM material m LEFT JOIN prosecutors p ON p.code = m.served_by \
         LEFT JOIN organisations o ON o.id = m.served_by \
         LEFT JOIN sections s ON s.code = m.section \
         WHERE m.case_id = $1 \
         ORDER BY m.idpc DESC, s.position, m.served_at, m.title",
        acting = super::defence::acting_for("$2"),
    ))
    .bind(case_id)
    .bind(mine)
    .fetch_all(&mut *conn)
    .await?;
    let shares: Vec<(String, String)> = sqlx::query_as(
        "SELECT sh.material_id, sh.defendant_id FROM material_shares sh \
         JOIN material m ON m.id = sh.material_id WHERE m.case_id = $1 AND m.served_by = $2",
    )
    .bind(case_id)
    .bind(mine)
    .fetch_all(&mut *conn)
    .await?;
    let ours = |d: &Option<String>| match d {
        Some(d) => defendants.iter().any(|x| x.id == *d && x.ours(member)),
        None => standing.associated,
    };
    // Whether the member's organisation is instructed for the defendant (for the whole case:
    // for any of its defendants), by `by` where given.
    let instructed = |d: &Option<String>, by: Option<&str>| {
        defendants.iter().any(|x| {
            d.as_ref().is_none_or(|d| x.id == *d)
                && x.instructed_by
                    .as_ref()
                    .is_some_and(|(firm, _)| by.is_none_or(|by| by == firm))
        })
    };
    let reader = super::access::Reader {
        user_id: &member.user.id,
        organisation_id: Some(mine),
        active: member.user.status == "active",
    };
    let material = material
        .into_iter()
        .filter_map(
            |(
                id,
                section,
                title,
                idpc,
                file_name,
                size,
                served_by,
                served_at,
                defendant_id,
                status,
                receipt,
                served_by_id,
                uploaded,
                shared_to_us,
                unseen,
            )| {
                use super::access::{Defendant, Kind, Upload, may_read, reads_upload, sees_upload};
                let own = served_by_id == mine;
                let permitted = if uploaded == 1 {
                    let upload = Upload {
                        served_by: &served_by_id,
                        on_record_for_its_defendant: ours(&defendant_id),
                        acts_for_a_sharee: shared_to_us > 0,
                        instructed_by_uploader: instructed(&defendant_id, Some(&served_by_id)),
                    };
                    // Another firm's document is listed only once it may be served.
                    if !sees_upload(reader, upload) || !(own || super::access::servable(&status)) {
                        return None;
                    }
                    reads_upload(reader, upload)
                } else {
                    may_read(
                        reader,
                        Defendant {
                            associated: ours(&defendant_id).then_some(mine),
                            declared_by_reader: standing.declared,
                            instructed: instructed(&defendant_id, None),
                        },
                        if idpc == 1 { Kind::Idpc } else { Kind::Other },
                    )
                };
                let readable = permitted && super::access::servable(&status);
                let shared_with = defendants
                    .iter()
                    .filter(|d| shares.iter().any(|(m, s)| *m == id && *s == d.id))
                    .map(|d| d.name.clone())
                    .collect();
                Some(MaterialView {
                    id,
                    section,
                    title,
                    idpc: idpc == 1,
                    file_name,
                    size,
                    served_by,
                    served_at,
                    defendant_id,
                    readable,
                    status,
                    receipt: receipt.filter(|_| own),
                    shared_with,
                    shared_to_us: !own && shared_to_us > 0,
                    new: unseen > 0,
                })
            },
        )
        .collect::<Vec<_>>();
    let idpc_requested = if material.iter().any(|m| m.idpc) {
        None
    } else {
        sqlx::query_as(
            "SELECT r.created_at, o.name FROM idpc_requests r \
             JOIN organisations o ON o.id = r.organisation_id WHERE r.case_id = $1 \
             ORDER BY r.created_at LIMIT 1",
        )
        .bind(case_id)
        .fetch_optional(&mut *conn)
        .await?
    };
    let sections = super::sections::all(&mut *conn).await?;
    Ok(Some(CaseView {
        sections,
        id: case_id.to_owned(),
        urn,
        prosecutor,
        court,
        standing,
        defendants,
        hearings,
        material,
        idpc_requested,
    }))
}

/// The member's firm's history on a case: declarations and downloads by its users, its
/// association changes, and the instructions of counsel it gave or was given, newest first (at
/// most 200 lines).
pub async fn history(
    conn: &mut AnyConnection,
    organisation_id: &str,
    case_id: &str,
) -> Result<Vec<HistoryLine>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT x.at, x.who, x.what, x.about, x.other FROM ( \
           SELECT d.declared_at AS at, u.first_name || ' ' || u.last_name AS who, \
                  'declared' AS what, '' AS about, '' AS other \
             FROM declarations d JOIN users u ON u.id = d.user_id \
             WHERE d.case_id = $1 AND d.organisation_id = $2 \
           UNION ALL \
           SELECT w.downloaded_at, u.first_name || ' ' || u.last_name, 'downloaded', m.title, '' \
             FROM downloads w JOIN users u ON u.id = w.user_id \
             JOIN material m ON m.id = w.material_id \
             WHERE w.case_id = $1 AND w.organisation_id = $2 \
           UNION ALL \
           SELECT e.at, COALESCE(u.first_name || ' ' || u.last_name, ''), e.event, \
                  COALESCE(df.company_name, df.first_name || ' ' || df.last_name), '' \
             FROM association_events e LEFT JOIN users u ON u.id = e.by_user \
             JOIN defendants df ON df.id = e.defendant_id \
             WHERE e.case_id = $1 AND e.organisation_id = $2 \
           UNION ALL \
           SELECT ie.at, \
                  CASE WHEN u.organisation_id = $2 THEN u.first_name || ' ' || u.last_name \
                       ELSE '' END, \
                  'counsel_' || ie.event, \
                  COALESCE(df.company_name, df.first_name || ' ' || df.last_name), o.name \
             FROM instruction_events ie LEFT JOIN users u ON u.id = ie.by_user \
             JOIN defendants df ON df.id = ie.defendant_id \
             JOIN organisations o ON o.id = ie.counsel_org \
             WHERE ie.case_id = $1 AND ie.instructing_org = $2 \
           UNION ALL \
           SELECT ie.at, \
                  CASE WHEN u.organisation_id = $2 THEN u.first_name || ' ' || u.last_name \
                       ELSE '' END, \
                  'instructed_' || ie.event, \
                  COALESCE(df.company_name, df.first_name || ' ' || df.last_name), o.name \
             FROM instruction_events ie LEFT JOIN users u ON u.id = ie.by_user \
             JOIN defendants df ON df.id = ie.defendant_id \
             JOIN organisations o ON o.id = ie.instructing_org \
             WHERE ie.case_id = $1 AND ie.counsel_org = $2 \
         ) x ORDER BY x.at DESC LIMIT 200",
    )
    .bind(case_id)
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, who, what, about, other)| HistoryLine {
            at,
            who,
            what,
            about,
            other,
        })
        .collect())
}

/// A case in the firm's list.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseLine {
    /// Its id.
    pub id: String,
    /// Its URN.
    pub urn: String,
    /// The court.
    pub court: String,
    /// The defendants the firm is on record for, comma-separated (or every defendant, for a
    /// case the user found but the firm is not on record in).
    pub defendants: String,
    /// The next hearing from now (Unix seconds), if any.
    pub next_hearing: Option<i64>,
    /// Documents on it the firm has not opened yet.
    pub new_material: i64,
}

/// The most cases a list shows.
pub const LIST_LIMIT: i64 = 100;

/// The firm's cases (on record, or instructed as counsel, for at least one defendant), next
/// hearing first, optionally
/// only those whose URN starts with `urn_prefix` or with a defendant whose name contains
/// `name`. Reads go through `associations_organisation`, so the firm's own cases are all that
/// is looked at, however many the service holds.
pub async fn firm_cases(
    conn: &mut AnyConnection,
    organisation_id: &str,
    search: &str,
    now: i64,
) -> Result<Vec<CaseLine>, sqlx::Error> {
    let name = super::names::key(search);
    let urn: String = search
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    let like_name = format!("%{}%", name.replace(['%', '_', '\\'], ""));
    let like_urn = format!("{}%", urn);
    type Row = (
        String,
        String,
        String,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT id, urn, court, next_hearing, kind, first_name, last_name, company_name, \
                unseen FROM ( \
           SELECT c.id, c.urn, c.court, \
                  (SELECT MIN(h.starts_at) FROM hearings h WHERE h.case_id = c.id \
                     AND h.vacated_at IS NULL AND h.starts_at >= $2) AS next_hearing, \
                  (SELECT COUNT(*) FROM material_unseen u WHERE u.organisation_id = $1 \
                     AND u.case_id = c.id) AS unseen, \
                  d.kind, d.first_name, d.last_name, d.company_name, d.position \
           FROM (SELECT case_id, defendant_id FROM associations WHERE organisation_id = $1 \
                 UNION SELECT i.case_id, i.defendant_id FROM {} \
                 WHERE i.organisation_id = $1) a \
           JOIN cases c ON c.id = a.case_id JOIN defendants d ON d.id = a.defendant_id \
           WHERE ($3 = '' OR c.urn LIKE $4 OR d.name_key LIKE $5) \
         ) x ORDER BY next_hearing IS NULL, next_hearing, urn, position LIMIT $6",
        super::defence::LIVE_INSTRUCTIONS
    ))
    .bind(organisation_id)
    .bind(now)
    .bind(search.trim())
    .bind(&like_urn)
    .bind(&like_name)
    .bind(LIST_LIMIT * 4)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<CaseLine> = vec![];
    let limit = usize::try_from(LIST_LIMIT).unwrap_or(100);
    for (id, urn, court, next, kind, first, last, company, unseen) in rows {
        let name = display_name(&kind, first, last, company);
        let room = out.len() < limit;
        match out.iter_mut().find(|l| l.id == id) {
            Some(l) => {
                l.defendants.push_str(", ");
                l.defendants.push_str(&name);
            }
            None if room => out.push(CaseLine {
                id,
                urn,
                court,
                defendants: name,
                next_hearing: next,
                new_material: unseen,
            }),
            None => {}
        }
    }
    Ok(out)
}

/// Cases the user found (declared on) in the last 30 days that their firm is not on record
/// in: a way back to a case they are about to associate with.
pub async fn found_recently(
    conn: &mut AnyConnection,
    member: &Member,
    now: i64,
) -> Result<Vec<CaseLine>, sqlx::Error> {
    let rows: Vec<(String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT c.id, c.urn, c.court, \
                (SELECT MIN(h.starts_at) FROM hearings h WHERE h.case_id = c.id \
                   AND h.vacated_at IS NULL AND h.starts_at >= $3) \
         FROM cases c WHERE c.id IN (SELECT case_id FROM declarations \
                                      WHERE user_id = $1 AND declared_at >= $3 - 2592000) \
           AND NOT EXISTS (SELECT 1 FROM associations a WHERE a.case_id = c.id \
                             AND a.organisation_id = $2) \
         ORDER BY c.urn LIMIT 20",
    )
    .bind(&member.user.id)
    .bind(&member.organisation_id)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = vec![];
    for (id, urn, court, next) in rows {
        let names: Vec<NameRow> = sqlx::query_as(
            "SELECT kind, first_name, last_name, company_name FROM defendants \
                 WHERE case_id = $1 ORDER BY position",
        )
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
        out.push(CaseLine {
            id,
            urn,
            court,
            defendants: names
                .into_iter()
                .map(|(k, f, l, c)| display_name(&k, f, l, c))
                .collect::<Vec<_>>()
                .join(", "),
            next_hearing: next,
            // The firm is not on record here: nothing is marked new for it.
            new_material: 0,
        });
    }
    Ok(out)
}
