//! What a court's board shows, in both builds: the server renders it and sends each change as
//! a live event; the board's island applies the events to what it shows.

use serde::{Deserialize, Serialize};

/// The live event kind for a check-in's new state (withdrawn ones leave the board).
pub const CHECKIN_EVENT: &str = "checkin";

/// The live event kind for a hearing the court has marked ended.
pub const ENDED_EVENT: &str = "ended";

/// A court's live topic.
pub fn topic(court: &str) -> String {
    format!("court:{court}")
}

/// A check-in as the board shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardCheckin {
    /// Its id.
    pub id: String,
    /// Its hearing.
    pub hearing_id: String,
    /// The advocate's name.
    pub advocate: String,
    /// Their organisation's name.
    pub organisation: String,
    /// [`super::rules::Status`] code.
    pub status: String,
    /// [`super::rules::Attendance`] code.
    pub attendance: String,
    /// The defendants they act for at the hearing, in the case's order.
    pub defendants: Vec<String>,
    /// The member of court staff who checked them in on their behalf, if one did.
    pub by_staff: Option<String>,
    /// Marked by the court: attended (or not); none: not marked.
    pub attended: Option<bool>,
    /// Withdrawn (the board drops it).
    pub withdrawn: bool,
    /// Counts its changes.
    pub version: i64,
}

/// A hearing on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardHearing {
    /// Its id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The case's URN, spaced for reading.
    pub urn: String,
    /// The courtroom.
    pub courtroom: String,
    /// Starts (Unix seconds).
    pub starts_at: i64,
    /// The time as the page shows it.
    pub time: String,
    /// Hearing type.
    pub hearing_type: String,
    /// The defendants' names.
    pub defendants: Vec<String>,
    /// The court has marked it ended.
    pub ended: bool,
    /// The live check-ins, first first.
    pub checkins: Vec<BoardCheckin>,
}

/// The payload of an [`ENDED_EVENT`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ended {
    /// The hearing.
    pub hearing_id: String,
}

/// Applies a check-in's new state to the hearings shown: replaces it, adds it, or (withdrawn)
/// drops it. An older version than the one shown is ignored (events may arrive twice, or a
/// catch-up may overlap the live stream).
pub fn apply(hearings: &mut [BoardHearing], c: BoardCheckin) {
    let Some(h) = hearings.iter_mut().find(|h| h.id == c.hearing_id) else {
        return;
    };
    match h.checkins.iter().position(|x| x.id == c.id) {
        Some(i) if h.checkins[i].version > c.version => {}
        Some(i) if c.withdrawn => {
            h.checkins.remove(i);
        }
        Some(i) => h.checkins[i] = c,
        None if c.withdrawn => {}
        None => h.checkins.push(c),
    }
}

/// Marks a hearing ended.
pub fn apply_ended(hearings: &mut [BoardHearing], e: &Ended) {
    if let Some(h) = hearings.iter_mut().find(|h| h.id == e.hearing_id) {
        h.ended = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hearing() -> BoardHearing {
        BoardHearing {
            id: "h1".into(),
            case_id: "c".into(),
            urn: "01 AB 2345678".into(),
            courtroom: "1".into(),
            starts_at: 0,
            time: "10am".into(),
            hearing_type: "First hearing".into(),
            defendants: vec!["A".into()],
            ended: false,
            checkins: vec![],
        }
    }

    fn checkin(id: &str, version: i64, withdrawn: bool) -> BoardCheckin {
        BoardCheckin {
            id: id.into(),
            hearing_id: "h1".into(),
            advocate: format!("Advocate {id} v{version}"),
            organisation: "Firm".into(),
            status: "solicitor".into(),
            attendance: "in_person".into(),
            defendants: vec!["A".into()],
            by_staff: None,
            attended: None,
            withdrawn,
            version,
        }
    }

    #[test]
    fn events_add_replace_drop_and_ignore_old_versions() {
        let mut hs = vec![hearing()];
        apply(&mut hs, checkin("x", 1, false));
        apply(&mut hs, checkin("y", 1, false));
        apply(&mut hs, checkin("x", 2, false));
        assert_eq!(hs[0].checkins.len(), 2);
        assert_eq!(hs[0].checkins[0].advocate, "Advocate x v2");
        // The same event twice, and an older one late: nothing changes.
        apply(&mut hs, checkin("x", 2, false));
        apply(&mut hs, checkin("x", 1, false));
        assert_eq!(hs[0].checkins[0].advocate, "Advocate x v2");
        apply(&mut hs, checkin("y", 2, true));
        assert_eq!(hs[0].checkins.len(), 1);
        // A withdrawal of one never shown, and one for another court's hearing: ignored.
        apply(&mut hs, checkin("z", 1, true));
        let mut other = checkin("w", 1, false);
        other.hearing_id = "elsewhere".into();
        apply(&mut hs, other);
        assert_eq!(hs[0].checkins.len(), 1);
        apply_ended(
            &mut hs,
            &Ended {
                hearing_id: "h1".into(),
            },
        );
        assert!(hs[0].ended);
    }
}
