//! The rules an organisation's administrators work within, as pure functions over a snapshot
//! of the organisation. The database layer loads the snapshot inside the transaction that makes
//! the change (after locking the organisation's row), asks [`apply`] whether the change is
//! allowed, and only then writes it: so the rules hold however many administrators act at once.
//!
//! The invariants ([`check`]):
//! - at least one active administrator;
//! - exactly one accountable person: the organisation's contact details always name one, and
//!   when that person is one of its users, the user is a current (not removed, not
//!   deregistered) member. A transfer names one other active user, who confirms.

use super::super::accounts::Role;

/// A user's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Sent an activation link; not yet activated.
    Invited,
    /// Can sign in.
    Active,
    /// Locked (reported disclosure of credentials); an administrator can unlock.
    Locked,
    /// Closed after 90 days without use; an administrator can reinstate.
    Deregistered,
    /// Removed by an administrator (or an invitation cancelled).
    Removed,
}

impl Status {
    /// Every status, in the order filters list them.
    pub const ALL: [Status; 5] = [
        Status::Invited,
        Status::Active,
        Status::Locked,
        Status::Deregistered,
        Status::Removed,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Invited => "invited",
            Status::Active => "active",
            Status::Locked => "locked",
            Status::Deregistered => "deregistered",
            Status::Removed => "removed",
        }
    }

    /// The status with this code.
    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the user still belongs to the organisation.
    pub fn is_current(self) -> bool {
        !matches!(self, Status::Removed | Status::Deregistered)
    }
}

/// One user of the organisation, as the rules see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// User id.
    pub id: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Status.
    pub status: Status,
}

impl Member {
    /// An administrator who can act now.
    pub fn is_active_admin(&self) -> bool {
        self.status == Status::Active && self.roles.contains(&Role::Administrator)
    }
}

/// The organisation, as the rules see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Org {
    /// The accountable person, when they are one of the users.
    pub accountable: Option<String>,
    /// A transfer waiting for this user to confirm.
    pub pending_accountable: Option<String>,
    /// Every user, whatever their status.
    pub members: Vec<Member>,
}

impl Org {
    /// A member by id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    fn member_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    /// How many active administrators there are.
    pub fn active_admins(&self) -> usize {
        self.members.iter().filter(|m| m.is_active_admin()).count()
    }
}

/// A change an administrator (or, for [`Change::ConfirmAccountable`], the nominee) asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new user, invited.
    Add(Member),
    /// Set a user's roles.
    SetRoles {
        /// Who.
        user: String,
        /// Their roles from now on.
        roles: Vec<Role>,
    },
    /// Remove a user (or cancel an invitation).
    Remove {
        /// Who.
        user: String,
    },
    /// Bring back a deregistered user.
    Reinstate {
        /// Who.
        user: String,
    },
    /// Unlock a locked user.
    Unlock {
        /// Who.
        user: String,
    },
    /// Invite a removed user again (their old account, a new activation link).
    Reinvite {
        /// Who.
        user: String,
        /// Their roles.
        roles: Vec<Role>,
    },
    /// Name a new accountable person, who must confirm.
    NominateAccountable {
        /// Who.
        user: String,
    },
    /// Withdraw a transfer that has not been confirmed.
    WithdrawNomination,
    /// The nominee confirms.
    ConfirmAccountable {
        /// Who (must be the nominee).
        user: String,
    },
    /// Send an invited user a new activation link.
    Resend {
        /// Who.
        user: String,
    },
    /// Reset another user's second factors (not an invited or removed user's).
    ResetFactors {
        /// Who.
        user: String,
    },
    /// Sign another user out everywhere.
    EndSessions {
        /// Who.
        user: String,
    },
    /// Change the organisation itself (its details, a request to HMCTS): any active
    /// administrator.
    Organisation,
}

/// Why a change is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor is not an active administrator of this organisation.
    #[error("not an administrator of this organisation")]
    NotAdministrator,
    /// The user is not in this organisation.
    #[error("no such user in this organisation")]
    NotMember,
    /// The change would leave no active administrator.
    #[error("the organisation would have no active administrator")]
    LastAdministrator,
    /// The accountable person cannot be removed or lose their place.
    #[error("the accountable person must be transferred first")]
    Accountable,
    /// A user needs at least one role.
    #[error("a user needs at least one role")]
    NoRoles,
    /// Not possible in the user's current status.
    #[error("not possible for a user with this status")]
    WrongStatus,
    /// Administrators act on others; their own account is changed from their account page.
    #[error("not on your own account")]
    Yourself,
    /// The user is already in the organisation.
    #[error("already a user")]
    AlreadyMember,
    /// Only the person named can confirm, and only while the transfer is open.
    #[error("no transfer waiting for this user")]
    NoTransfer,
    /// HMCTS restores an administrator only when the organisation has no active one (who can
    /// reinstate or unlock users themselves).
    #[error("the organisation has an active administrator")]
    HasAdministrator,
}

/// The invariants a snapshot breaks (normally none), each as the refusal that names it.
pub fn broken(org: &Org) -> Vec<Refusal> {
    let mut out = vec![];
    if org.active_admins() == 0 {
        out.push(Refusal::LastAdministrator);
    }
    if let Some(a) = &org.accountable
        && !org.member(a).is_some_and(|m| m.status.is_current())
    {
        out.push(Refusal::Accountable);
    }
    if let Some(p) = &org.pending_accountable
        && !org.member(p).is_some_and(|m| m.status == Status::Active)
    {
        out.push(Refusal::NoTransfer);
    }
    out
}

/// Checks the invariants on a snapshot.
pub fn check(org: &Org) -> Result<(), Refusal> {
    broken(org).first().map_or(Ok(()), |r| Err(*r))
}

/// The organisation after `actor` makes `change`, or why not. `actor` must be an active
/// administrator (except to confirm a transfer, which the nominee does).
pub fn apply(org: &Org, actor: &str, change: &Change) -> Result<Org, Refusal> {
    let confirming = matches!(change, Change::ConfirmAccountable { user } if user == actor);
    if !confirming && !org.member(actor).is_some_and(Member::is_active_admin) {
        return Err(Refusal::NotAdministrator);
    }
    let mut next = org.clone();
    match change {
        Change::Add(m) => {
            if org.member(&m.id).is_some() {
                return Err(Refusal::AlreadyMember);
            }
            if m.roles.is_empty() {
                return Err(Refusal::NoRoles);
            }
            next.members.push(Member {
                status: Status::Invited,
                ..m.clone()
            });
        }
        Change::SetRoles { user, roles } => {
            if roles.is_empty() {
                return Err(Refusal::NoRoles);
            }
            let m = next.member_mut(user).ok_or(Refusal::NotMember)?;
            if !m.status.is_current() {
                return Err(Refusal::WrongStatus);
            }
            m.roles = dedup(roles);
        }
        Change::Remove { user } => {
            // Administrators may remove themselves, as long as another stays.
            let m = next.member_mut(user).ok_or(Refusal::NotMember)?;
            if m.status == Status::Removed {
                return Err(Refusal::WrongStatus);
            }
            m.status = Status::Removed;
            if next.active_admins() == 0 {
                return Err(Refusal::LastAdministrator);
            }
            if org.accountable.as_deref() == Some(user) {
                return Err(Refusal::Accountable);
            }
            if next.pending_accountable.as_deref() == Some(user) {
                next.pending_accountable = None;
            }
        }
        Change::Reinstate { user } => {
            let m = next.member_mut(user).ok_or(Refusal::NotMember)?;
            if m.status != Status::Deregistered {
                return Err(Refusal::WrongStatus);
            }
            m.status = Status::Active;
        }
        Change::Unlock { user } => {
            let m = next.member_mut(user).ok_or(Refusal::NotMember)?;
            if m.status != Status::Locked {
                return Err(Refusal::WrongStatus);
            }
            m.status = Status::Active;
        }
        Change::Reinvite { user, roles } => {
            if roles.is_empty() {
                return Err(Refusal::NoRoles);
            }
            let m = next.member_mut(user).ok_or(Refusal::NotMember)?;
            if m.status != Status::Removed {
                return Err(Refusal::AlreadyMember);
            }
            m.status = Status::Invited;
            m.roles = dedup(roles);
        }
        Change::NominateAccountable { user } => {
            if org.accountable.as_deref() == Some(user) {
                return Err(Refusal::WrongStatus);
            }
            let m = org.member(user).ok_or(Refusal::NotMember)?;
            if m.status != Status::Active {
                return Err(Refusal::WrongStatus);
            }
            next.pending_accountable = Some(user.clone());
        }
        Change::WithdrawNomination => {
            if next.pending_accountable.take().is_none() {
                return Err(Refusal::NoTransfer);
            }
        }
        Change::ConfirmAccountable { user } => {
            if org.pending_accountable.as_deref() != Some(user) || user != actor {
                return Err(Refusal::NoTransfer);
            }
            next.accountable = Some(user.clone());
            next.pending_accountable = None;
        }
        Change::Resend { user } => {
            let m = org.member(user).ok_or(Refusal::NotMember)?;
            if m.status != Status::Invited {
                return Err(Refusal::WrongStatus);
            }
        }
        Change::ResetFactors { user } | Change::EndSessions { user } => {
            let m = org.member(user).ok_or(Refusal::NotMember)?;
            if user == actor {
                return Err(Refusal::Yourself);
            }
            let reset = matches!(change, Change::ResetFactors { .. });
            if m.status == Status::Removed || (reset && m.status == Status::Invited) {
                return Err(Refusal::WrongStatus);
            }
        }
        Change::Organisation => {}
    }
    // No change may break an invariant. One already broken by something outside the
    // administrators' hands (the inactivity job deregistering the accountable person, say) does
    // not stop them working: they go on, and mend it by reinstating or transferring.
    let was = broken(org);
    if let Some(r) = broken(&next).into_iter().find(|r| !was.contains(r)) {
        return Err(r);
    }
    Ok(next)
}

/// The organisation after HMCTS onboarding restores `user`, one of its administrators, to
/// active: only when no administrator is active (all deregistered for inactivity, or locked
/// after reporting their details disclosed), so the organisation can manage itself again. The
/// user must be a deregistered or locked administrator.
pub fn restore(org: &Org, user: &str) -> Result<Org, Refusal> {
    if org.active_admins() > 0 {
        return Err(Refusal::HasAdministrator);
    }
    let mut next = org.clone();
    let m = next.member_mut(user).ok_or(Refusal::NotMember)?;
    if !m.roles.contains(&Role::Administrator)
        || !matches!(m.status, Status::Deregistered | Status::Locked)
    {
        return Err(Refusal::WrongStatus);
    }
    m.status = Status::Active;
    Ok(next)
}

fn dedup(roles: &[Role]) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| roles.contains(r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, roles: &[Role], status: Status) -> Member {
        Member {
            id: id.into(),
            roles: roles.to_vec(),
            status,
        }
    }

    fn firm() -> Org {
        Org {
            accountable: Some("ann".into()),
            pending_accountable: None,
            members: vec![
                m("ann", &[Role::Administrator], Status::Active),
                m(
                    "bob",
                    &[Role::Administrator, Role::Advocate],
                    Status::Active,
                ),
                m("cat", &[Role::User], Status::Active),
                m("dan", &[Role::User], Status::Deregistered),
                m("eve", &[Role::Administrator], Status::Invited),
            ],
        }
    }

    #[test]
    fn an_administrator_removes_a_user_but_not_themselves_or_the_accountable_person() {
        let org = firm();
        let after = apply(&org, "bob", &Change::Remove { user: "cat".into() });
        assert_eq!(
            after.map(|o| o.member("cat").map(|m| m.status)),
            Ok(Some(Status::Removed))
        );
        assert!(apply(&org, "bob", &Change::Remove { user: "bob".into() }).is_ok());
        assert_eq!(
            apply(&org, "bob", &Change::Remove { user: "ann".into() }),
            Err(Refusal::Accountable)
        );
        assert_eq!(
            apply(&org, "cat", &Change::Remove { user: "dan".into() }),
            Err(Refusal::NotAdministrator)
        );
        assert_eq!(
            apply(&org, "bob", &Change::Remove { user: "zed".into() }),
            Err(Refusal::NotMember)
        );
    }

    #[test]
    fn hmcts_restores_an_administrator_only_when_none_is_active() {
        let mut org = firm();
        assert_eq!(restore(&org, "ann"), Err(Refusal::HasAdministrator));
        org.members[0].status = Status::Deregistered; // ann
        org.members[1].status = Status::Locked; // bob
        assert_eq!(org.active_admins(), 0);
        // Not a user, not an administrator, or not in a status an administrator could fix.
        assert_eq!(restore(&org, "zed"), Err(Refusal::NotMember));
        assert_eq!(restore(&org, "dan"), Err(Refusal::WrongStatus));
        assert_eq!(restore(&org, "eve"), Err(Refusal::WrongStatus));
        for who in ["ann", "bob"] {
            let Ok(after) = restore(&org, who) else {
                panic!("{who} can be restored")
            };
            assert_eq!(after.member(who).map(|m| m.status), Some(Status::Active));
            assert_eq!(after.active_admins(), 1);
            // Only the one restored changes.
            let changed: Vec<&str> = after
                .members
                .iter()
                .zip(&org.members)
                .filter(|(a, b)| a != b)
                .map(|(a, _)| a.id.as_str())
                .collect();
            assert_eq!(changed, vec![who]);
            // The restored administrator can then act, and a second restore is refused.
            assert!(apply(&after, who, &Change::Reinstate { user: "dan".into() }).is_ok());
            let other = if who == "ann" { "bob" } else { "ann" };
            assert_eq!(restore(&after, other), Err(Refusal::HasAdministrator));
        }
    }

    #[test]
    fn a_deregistered_accountable_person_does_not_stop_the_administrators() {
        let mut org = firm();
        org.members[0].status = Status::Deregistered; // ann, the accountable person
        assert_eq!(check(&org), Err(Refusal::Accountable));
        // Other work goes on.
        assert!(apply(&org, "bob", &Change::Reinstate { user: "dan".into() }).is_ok());
        assert!(apply(&org, "bob", &Change::Remove { user: "cat".into() }).is_ok());
        // Mended by reinstating her, or by a transfer the nominee confirms.
        let Ok(back) = apply(&org, "bob", &Change::Reinstate { user: "ann".into() }) else {
            panic!("reinstating the accountable person")
        };
        assert_eq!(check(&back), Ok(()));
        let Ok(n) = apply(
            &org,
            "bob",
            &Change::NominateAccountable { user: "cat".into() },
        ) else {
            panic!("nominating someone else")
        };
        let Ok(c) = apply(
            &n,
            "cat",
            &Change::ConfirmAccountable { user: "cat".into() },
        ) else {
            panic!("the nominee confirms")
        };
        assert_eq!(check(&c), Ok(()));
        // But nothing may break another invariant meanwhile.
        let mut alone = org.clone();
        alone.members[1].roles = vec![Role::Administrator]; // bob, the only active administrator
        assert_eq!(
            apply(&alone, "bob", &Change::Remove { user: "bob".into() }),
            Err(Refusal::LastAdministrator)
        );
    }

    #[test]
    fn the_last_active_administrator_keeps_the_role() {
        let mut org = firm();
        org.accountable = Some("cat".into());
        let after = apply(&org, "ann", &Change::Remove { user: "bob".into() });
        let Ok(after) = after else {
            panic!("removing the other administrator is allowed")
        };
        assert_eq!(
            apply(&after, "ann", &Change::Remove { user: "ann".into() }),
            Err(Refusal::LastAdministrator)
        );
        // An invited administrator does not count.
        assert_eq!(
            apply(
                &after,
                "ann",
                &Change::SetRoles {
                    user: "ann".into(),
                    roles: vec![Role::User]
                }
            ),
            Err(Refusal::LastAdministrator)
        );
    }

    #[test]
    fn the_two_orders_of_a_mutual_removal_each_leave_one_administrator() {
        let mut org = firm();
        org.accountable = Some("cat".into());
        // ann removes bob, then bob (now removed) tries to remove ann: refused.
        let a = apply(&org, "ann", &Change::Remove { user: "bob".into() });
        let Ok(a) = a else { panic!("first removal") };
        assert_eq!(
            apply(&a, "bob", &Change::Remove { user: "ann".into() }),
            Err(Refusal::NotAdministrator)
        );
        assert_eq!(a.active_admins(), 1);
    }

    #[test]
    fn roles_are_needed_and_kept_in_order_without_repeats() {
        let org = firm();
        assert_eq!(
            apply(
                &org,
                "ann",
                &Change::SetRoles {
                    user: "cat".into(),
                    roles: vec![]
                }
            ),
            Err(Refusal::NoRoles)
        );
        let after = apply(
            &org,
            "ann",
            &Change::SetRoles {
                user: "cat".into(),
                roles: vec![Role::User, Role::Advocate, Role::User],
            },
        );
        assert_eq!(
            after.map(|o| o.member("cat").map(|m| m.roles.clone())),
            Ok(Some(vec![Role::Advocate, Role::User]))
        );
    }

    #[test]
    fn resets_and_sign_outs_are_for_others_and_invitations_for_the_invited() {
        let org = firm();
        let reset = |u: &str| Change::ResetFactors { user: u.into() };
        let end = |u: &str| Change::EndSessions { user: u.into() };
        let resend = |u: &str| Change::Resend { user: u.into() };
        assert!(apply(&org, "ann", &reset("cat")).is_ok());
        assert_eq!(apply(&org, "ann", &reset("ann")), Err(Refusal::Yourself));
        assert_eq!(apply(&org, "ann", &end("ann")), Err(Refusal::Yourself));
        assert_eq!(apply(&org, "ann", &reset("eve")), Err(Refusal::WrongStatus));
        assert!(apply(&org, "ann", &end("eve")).is_ok());
        assert!(apply(&org, "ann", &resend("eve")).is_ok());
        assert_eq!(
            apply(&org, "ann", &resend("cat")),
            Err(Refusal::WrongStatus)
        );
        assert!(apply(&org, "bob", &Change::Organisation).is_ok());
        assert_eq!(
            apply(&org, "cat", &Change::Organisation),
            Err(Refusal::NotAdministrator)
        );
    }

    #[test]
    fn reinstating_and_unlocking_need_the_matching_status() {
        let org = firm();
        assert!(apply(&org, "ann", &Change::Reinstate { user: "dan".into() }).is_ok());
        assert_eq!(
            apply(&org, "ann", &Change::Reinstate { user: "cat".into() }),
            Err(Refusal::WrongStatus)
        );
        assert_eq!(
            apply(&org, "ann", &Change::Unlock { user: "cat".into() }),
            Err(Refusal::WrongStatus)
        );
    }

    #[test]
    fn the_accountable_person_moves_only_when_the_nominee_confirms() {
        let org = firm();
        assert_eq!(
            apply(
                &org,
                "ann",
                &Change::NominateAccountable { user: "dan".into() }
            ),
            Err(Refusal::WrongStatus)
        );
        let Ok(n) = apply(
            &org,
            "ann",
            &Change::NominateAccountable { user: "cat".into() },
        ) else {
            panic!("nominating an active user")
        };
        assert_eq!(n.accountable.as_deref(), Some("ann"));
        // Only the nominee confirms.
        assert_eq!(
            apply(
                &n,
                "bob",
                &Change::ConfirmAccountable { user: "cat".into() }
            ),
            Err(Refusal::NoTransfer)
        );
        let Ok(c) = apply(
            &n,
            "cat",
            &Change::ConfirmAccountable { user: "cat".into() },
        ) else {
            panic!("the nominee confirms")
        };
        assert_eq!(c.accountable.as_deref(), Some("cat"));
        assert_eq!(c.pending_accountable, None);
        // Removing a nominee withdraws the nomination.
        let Ok(r) = apply(&n, "ann", &Change::Remove { user: "cat".into() }) else {
            panic!("removing the nominee")
        };
        assert_eq!(r.pending_accountable, None);
    }

    /// Every organisation of up to three users (every role set and status for each, with each
    /// choice of accountable person), every actor and every change: a change that is allowed
    /// always leaves the invariants holding, and one that would break them is refused.
    #[test]
    fn no_allowed_change_breaks_an_invariant() {
        let role_sets: Vec<Vec<Role>> = (0u8..8)
            .map(|bits| {
                Role::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, r)| r)
                    .collect()
            })
            .collect();
        let ids = ["a", "b", "c"];
        let people: Vec<(Vec<Role>, Status)> = role_sets
            .iter()
            .filter(|r| !r.is_empty())
            .flat_map(|r| Status::ALL.into_iter().map(move |s| (r.clone(), s)))
            .collect();
        let mut checked = 0u64;
        let mut allowed = 0u64;
        for n in 1..=3usize {
            let mut idx = vec![0usize; n];
            loop {
                let members: Vec<Member> = idx
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| m(ids[i], &people[p].0, people[p].1))
                    .collect();
                for accountable in std::iter::once(None).chain(ids[..n].iter().map(|i| Some(*i))) {
                    let org = Org {
                        accountable: accountable.map(str::to_owned),
                        pending_accountable: None,
                        members: members.clone(),
                    };
                    // Organisations already breaking an invariant are judged too (the
                    // inactivity job can deregister the accountable person), except those
                    // with no active administrator, where nobody can act.
                    let was = broken(&org);
                    if was.contains(&Refusal::LastAdministrator) {
                        continue;
                    }
                    for actor in &ids[..n] {
                        for user in ids {
                            for change in changes(user, &role_sets) {
                                checked += 1;
                                if let Ok(after) = apply(&org, actor, &change) {
                                    allowed += 1;
                                    let now = broken(&after);
                                    assert!(
                                        now.iter().all(|r| was.contains(r)),
                                        "{now:?} newly broken: {org:?} {actor} {change:?}"
                                    );
                                    assert!(after.active_admins() >= 1);
                                    assert!(
                                        org.member(actor).is_some_and(Member::is_active_admin),
                                        "only administrators change things: {org:?} {actor} {change:?}"
                                    );
                                }
                            }
                        }
                    }
                }
                // Next combination.
                let mut i = 0;
                loop {
                    if i == n {
                        break;
                    }
                    idx[i] += 1;
                    if idx[i] < people.len() {
                        break;
                    }
                    idx[i] = 0;
                    i += 1;
                }
                if i == n {
                    break;
                }
            }
        }
        println!("{checked} cases, {allowed} of them allowed");
        assert!(checked > 7_000_000, "{checked}");
        assert!(allowed > 1_200_000, "{allowed}");
    }

    fn changes(user: &str, role_sets: &[Vec<Role>]) -> Vec<Change> {
        let u = || user.to_owned();
        let mut out = vec![
            Change::Remove { user: u() },
            Change::Reinstate { user: u() },
            Change::Unlock { user: u() },
            Change::NominateAccountable { user: u() },
            Change::Resend { user: u() },
            Change::ResetFactors { user: u() },
            Change::EndSessions { user: u() },
            Change::Organisation,
        ];
        for r in role_sets {
            out.push(Change::SetRoles {
                user: u(),
                roles: r.clone(),
            });
        }
        out
    }
}
