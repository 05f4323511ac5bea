//! Who may check an advocate in for a hearing, change it or withdraw it, and when: the one rule
//! the pages, the offline queue's replays and the court's proxy check-ins all go through. Pure:
//! the store reads the facts (in the transaction that then writes) and this decides.
//!
//! - **Today only**: a check-in is for a hearing on today's date in the UK (BST aware), and only
//!   until the hearing has ended (the court says so, or the day is over).
//! - **Standing**: the advocate's organisation is on record for a defendant on the case, or has
//!   been instructed on it by the firm on record (counsel, such as a self-employed barrister,
//!   given access from the case's Access tab).
//! - **Defendants**: at least one, each one the organisation acts for (on record or instructed).
//! - **No duplicates**: one live check-in per advocate per hearing; a second is a change to it.
//! - **Court staff** check an advocate in on their behalf only at their own court, and the
//!   advocate must still have standing: the usher cannot put on record someone who is not.

use crate::date::Date;

/// The advocate's status, as the court lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// A solicitor.
    Solicitor,
    /// A solicitor with higher rights of audience.
    SolicitorAdvocate,
    /// Junior counsel.
    JuniorCounsel,
    /// Leading counsel (not silk).
    LeadingCounsel,
    /// King's Counsel.
    KingsCounsel,
}

impl Status {
    /// Every status, in the order the form lists them.
    pub const ALL: [Status; 5] = [
        Status::Solicitor,
        Status::SolicitorAdvocate,
        Status::JuniorCounsel,
        Status::LeadingCounsel,
        Status::KingsCounsel,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Solicitor => "solicitor",
            Status::SolicitorAdvocate => "solicitor_advocate",
            Status::JuniorCounsel => "junior_counsel",
            Status::LeadingCounsel => "leading_counsel",
            Status::KingsCounsel => "kings_counsel",
        }
    }

    /// The status a stored or posted code names.
    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// How the advocate attends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attendance {
    /// In the courtroom.
    InPerson,
    /// By video link.
    Video,
}

impl Attendance {
    /// Both, in the order the form lists them.
    pub const ALL: [Attendance; 2] = [Attendance::InPerson, Attendance::Video];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Attendance::InPerson => "in_person",
            Attendance::Video => "video",
        }
    }

    /// The attendance a stored or posted code names.
    pub fn from_code(code: &str) -> Option<Attendance> {
        Attendance::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The hearing, as the rule needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hearing<'a> {
    /// Its date in the UK.
    pub date: Date,
    /// Its court.
    pub court: &'a str,
    /// The court has marked it ended.
    pub ended: bool,
}

/// Who is making the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The advocate, for themselves.
    Advocate,
    /// A member of court staff, on the advocate's behalf.
    CourtStaff {
        /// The court they work at.
        court: &'a str,
    },
}

/// What the advocate's organisation stands to the case's defendants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing<'a> {
    /// The advocate's account is active.
    pub active: bool,
    /// The defendants on the case the organisation is on record for.
    pub on_record: &'a [&'a str],
    /// The defendants on the case the organisation is instructed for by the firm on record.
    pub instructed: &'a [&'a str],
}

impl Standing<'_> {
    /// Whether the organisation acts for this defendant.
    pub fn acts_for(&self, defendant: &str) -> bool {
        self.on_record.contains(&defendant) || self.instructed.contains(&defendant)
    }

    /// Whether it acts for anyone on the case.
    pub fn any(&self) -> bool {
        !self.on_record.is_empty() || !self.instructed.is_empty()
    }
}

/// Why a check-in (or a change to one) is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refused {
    /// The hearing is not today.
    NotToday,
    /// The hearing has ended.
    Ended,
    /// The advocate's account is not active.
    Inactive,
    /// Their organisation neither is on record for nor instructed on anyone in the case.
    NoStanding,
    /// No defendant was chosen.
    NoDefendant,
    /// A defendant the organisation does not act for (or not on the case).
    NotTheirDefendant,
    /// The advocate is already checked in for this hearing (change that check-in instead).
    AlreadyCheckedIn,
    /// There is no live check-in to change or withdraw.
    NotCheckedIn,
    /// Court staff of another court.
    OtherCourt,
}

impl Refused {
    /// The code a form is sent back with, and the offline queue is answered with.
    pub fn code(self) -> &'static str {
        match self {
            Refused::NotToday => "not_today",
            Refused::Ended => "ended",
            Refused::Inactive => "inactive",
            Refused::NoStanding => "no_standing",
            Refused::NoDefendant => "no_defendant",
            Refused::NotTheirDefendant => "not_their_defendant",
            Refused::AlreadyCheckedIn => "already_checked_in",
            Refused::NotCheckedIn => "not_checked_in",
            Refused::OtherCourt => "other_court",
        }
    }
}

/// What is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    /// A new check-in, for these defendants.
    CheckIn {
        /// The defendants chosen.
        defendants: &'a [&'a str],
    },
    /// The live check-in's defendants, status or attendance changed.
    Amend {
        /// The defendants chosen.
        defendants: &'a [&'a str],
    },
    /// The live check-in withdrawn.
    Withdraw,
}

/// Whether `actor` may make `change` for an advocate with `standing` on `hearing` today
/// (`today`, the UK date by the injected clock); `checked_in` says whether the advocate has a
/// live check-in for the hearing. The first reason that applies, in the order a user fixes them.
pub fn decide(
    today: Date,
    hearing: Hearing<'_>,
    actor: Actor<'_>,
    standing: Standing<'_>,
    checked_in: bool,
    change: Change<'_>,
) -> Result<(), Refused> {
    if let Actor::CourtStaff { court } = actor
        && court != hearing.court
    {
        return Err(Refused::OtherCourt);
    }
    if hearing.date != today {
        return Err(Refused::NotToday);
    }
    if hearing.ended {
        return Err(Refused::Ended);
    }
    if !standing.active {
        return Err(Refused::Inactive);
    }
    if !standing.any() {
        return Err(Refused::NoStanding);
    }
    match change {
        Change::CheckIn { defendants } | Change::Amend { defendants } => {
            match (change, checked_in) {
                (Change::CheckIn { .. }, true) => return Err(Refused::AlreadyCheckedIn),
                (Change::Amend { .. }, false) => return Err(Refused::NotCheckedIn),
                _ => {}
            }
            if defendants.is_empty() {
                return Err(Refused::NoDefendant);
            }
            if !defendants.iter().all(|d| standing.acts_for(d)) {
                return Err(Refused::NotTheirDefendant);
            }
            Ok(())
        }
        Change::Withdraw if !checked_in => Err(Refused::NotCheckedIn),
        Change::Withdraw => Ok(()),
    }
}

/// The defendants the check-in form ticks to begin with: those the organisation is on record
/// for (instructed counsel choose theirs), in the case's order.
pub fn preselected<'a>(case_order: &[&'a str], standing: Standing<'_>) -> Vec<&'a str> {
    case_order
        .iter()
        .copied()
        .filter(|d| standing.on_record.contains(d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u8) -> Date {
        Date::new(2026, 12, d).expect("a date")
    }

    const HERE: &str = "Cardiff Magistrates' Court";
    const THERE: &str = "Swansea Magistrates' Court";

    #[test]
    fn codes_read_back() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        for a in Attendance::ALL {
            assert_eq!(Attendance::from_code(a.code()), Some(a));
        }
        assert_eq!(Status::from_code("barrister"), None);
        assert_eq!(Attendance::from_code(""), None);
    }

    /// Every combination of the facts against the rule written out once more, plainly.
    #[test]
    fn every_combination_is_decided_as_the_rules_say() {
        let on_record: &[&str] = &["d1"];
        let instructed: &[&str] = &["d2"];
        let none: &[&str] = &[];
        let picks: [&[&str]; 5] = [&[], &["d1"], &["d2"], &["d1", "d3"], &["d1", "d2"]];
        let mut seen = std::collections::HashSet::new();
        for today in [day(3), day(4)] {
            for ended in [false, true] {
                for staff in [None, Some(HERE), Some(THERE)] {
                    for active in [false, true] {
                        for (rec, ins) in [
                            (none, none),
                            (on_record, none),
                            (none, instructed),
                            (on_record, instructed),
                        ] {
                            for checked_in in [false, true] {
                                for pick in picks {
                                    for change in [
                                        Change::CheckIn { defendants: pick },
                                        Change::Amend { defendants: pick },
                                        Change::Withdraw,
                                    ] {
                                        let hearing = Hearing {
                                            date: day(3),
                                            court: HERE,
                                            ended,
                                        };
                                        let actor = staff.map_or(Actor::Advocate, |court| {
                                            Actor::CourtStaff { court }
                                        });
                                        let standing = Standing {
                                            active,
                                            on_record: rec,
                                            instructed: ins,
                                        };
                                        let got = decide(
                                            today, hearing, actor, standing, checked_in, change,
                                        );
                                        let defendants = match change {
                                            Change::CheckIn { defendants }
                                            | Change::Amend { defendants } => Some(defendants),
                                            Change::Withdraw => None,
                                        };
                                        let want = if staff == Some(THERE) {
                                            Err(Refused::OtherCourt)
                                        } else if today != day(3) {
                                            Err(Refused::NotToday)
                                        } else if ended {
                                            Err(Refused::Ended)
                                        } else if !active {
                                            Err(Refused::Inactive)
                                        } else if rec.is_empty() && ins.is_empty() {
                                            Err(Refused::NoStanding)
                                        } else if matches!(change, Change::CheckIn { .. })
                                            && checked_in
                                        {
                                            Err(Refused::AlreadyCheckedIn)
                                        } else if !matches!(change, Change::CheckIn { .. })
                                            && !checked_in
                                        {
                                            Err(Refused::NotCheckedIn)
                                        } else if defendants.is_some_and(<[&str]>::is_empty) {
                                            Err(Refused::NoDefendant)
                                        } else if defendants.is_some_and(|ds| {
                                            ds.iter().any(|d| !rec.contains(d) && !ins.contains(d))
                                        }) {
                                            Err(Refused::NotTheirDefendant)
                                        } else {
                                            Ok(())
                                        };
                                        assert_eq!(
                                            got, want,
                                            "{today:?} ended={ended} {actor:?} {standing:?} checked_in={checked_in} {change:?}"
                                        );
                                        seen.insert(got);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Every outcome is reached by some combination.
        assert_eq!(seen.len(), 10, "{seen:?}");
    }

    #[test]
    fn the_usher_checks_in_a_counsel_instructed_on_the_case_only_for_their_clients() {
        let standing = Standing {
            active: true,
            on_record: &[],
            instructed: &["d2"],
        };
        let hearing = Hearing {
            date: day(3),
            court: HERE,
            ended: false,
        };
        let usher = Actor::CourtStaff { court: HERE };
        let check_in = |defendants| {
            decide(
                day(3),
                hearing,
                usher,
                standing,
                false,
                Change::CheckIn { defendants },
            )
        };
        assert_eq!(check_in(&["d2"]), Ok(()));
        assert_eq!(check_in(&["d1"]), Err(Refused::NotTheirDefendant));
    }

    #[test]
    fn the_firms_own_defendants_are_ticked_first() {
        let standing = Standing {
            active: true,
            on_record: &["d3", "d1"],
            instructed: &["d2"],
        };
        assert_eq!(preselected(&["d1", "d2", "d3"], standing), vec!["d1", "d3"]);
    }
}
