//! Who may read a defendant's material: the one rule every download and page goes through.
//!
//! A user reads material only if they are active and their organisation is associated with
//! that defendant (full access), or is instructed for the defendant by the firm on record
//! (counsel: the same access as the firm that instructs them, lapsing when it stops acting), or
//! — for the IDPC alone — after they made the declaration of appointment on the case themselves
//! (a colleague's declaration grants nothing).
//!
//! A defence firm's upload is seen by the court, the prosecution and the firm that served it —
//! never by another defendant's firm unless the uploading firm shares it with that defendant's
//! representatives (co-defendants often run opposing defences): then the firm on record for a
//! defendant it is shared with reads it too, under the same rule. Counsel instructed for a
//! defendant see the instructing firm's uploads for that defendant, and what is shared with it.

/// The reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader<'a> {
    /// The user.
    pub user_id: &'a str,
    /// Their organisation (none for staff).
    pub organisation_id: Option<&'a str>,
    /// Whether their account is active.
    pub active: bool,
}

/// What kind of material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The Initial Details of the Prosecution Case.
    Idpc,
    /// Anything else served or uploaded.
    Other,
}

/// The defendant's side of the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Defendant<'a> {
    /// The organisation associated with the defendant, if any.
    pub associated: Option<&'a str>,
    /// Whether this reader made the declaration of appointment on the defendant's case.
    pub declared_by_reader: bool,
    /// Whether the reader's organisation is instructed for the defendant by the firm on record
    /// (an instruction whose firm has stopped acting counts for nothing: the caller joins it to
    /// the association).
    pub instructed: bool,
}

/// Whether material in this state (`material.status`) may be sent to anyone: only once scanned
/// clean, or marked not scanned where scanning is configured off. Quarantined (`scanning`),
/// `infected` and `scan_failed` documents are never served.
pub fn servable(status: &str) -> bool {
    matches!(status, "clean" | "not_scanned")
}

/// Whether `reader` may read material of `kind` for `defendant`.
pub fn may_read(reader: Reader<'_>, defendant: Defendant<'_>, kind: Kind) -> bool {
    if !reader.active {
        return false;
    }
    let associated = match (reader.organisation_id, defendant.associated) {
        (Some(mine), Some(on_record)) => mine == on_record,
        _ => false,
    };
    associated || defendant.instructed || (kind == Kind::Idpc && defendant.declared_by_reader)
}

/// A defence firm's upload, as one reader's firm stands to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upload<'a> {
    /// The firm that served it.
    pub served_by: &'a str,
    /// The reader's firm is on record for the defendant it was served for.
    pub on_record_for_its_defendant: bool,
    /// The reader's firm acts for a defendant it is shared with: on record, or instructed by
    /// the firm on record.
    pub acts_for_a_sharee: bool,
    /// The reader's firm is instructed for the upload's defendant by the firm that served it,
    /// which is on record for that defendant.
    pub instructed_by_uploader: bool,
}

/// Whether a defence upload is listed for `reader` at all: for the firm that served it (whether
/// or not it still acts), for counsel it instructs for the defendant, and for the firms acting
/// for a defendant it is shared with.
pub fn sees_upload(reader: Reader<'_>, upload: Upload<'_>) -> bool {
    reader.active
        && (reader.organisation_id == Some(upload.served_by)
            || upload.acts_for_a_sharee
            || upload.instructed_by_uploader)
}

/// Whether `reader` may download a defence upload: the firm that served it while it is on
/// record for the defendant, counsel it instructs for the defendant, or a firm acting for a
/// defendant it is shared with.
pub fn reads_upload(reader: Reader<'_>, upload: Upload<'_>) -> bool {
    let Some(mine) = reader.organisation_id else {
        return false;
    };
    let associated = (mine == upload.served_by && upload.on_record_for_its_defendant)
        || upload.acts_for_a_sharee;
    may_read(
        reader,
        Defendant {
            associated: associated.then_some(mine),
            declared_by_reader: false,
            instructed: upload.instructed_by_uploader,
        },
        Kind::Other,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A co-defendant's firm never sees or reads an upload unless it acts for a defendant it
    /// is shared with; the uploader reads it only while on record; counsel it instructs read it.
    #[test]
    fn a_defence_upload_reaches_another_firm_only_by_a_share_or_an_instruction() {
        let mut cases = 0;
        for reader_org in [
            None,
            Some("uploader"),
            Some("co-defendant"),
            Some("counsel"),
        ] {
            for active in [false, true] {
                for on_own in [false, true] {
                    for on_sharee in [false, true] {
                        for instructed in [false, true] {
                            // Only counsel can be instructed, and only by a firm on record.
                            if instructed && (reader_org != Some("counsel") || !on_own) {
                                continue;
                            }
                            cases += 1;
                            let reader = Reader {
                                user_id: "u",
                                organisation_id: reader_org,
                                active,
                            };
                            let upload = Upload {
                                served_by: "uploader",
                                on_record_for_its_defendant: on_own,
                                acts_for_a_sharee: on_sharee,
                                instructed_by_uploader: instructed,
                            };
                            let (sees, reads) =
                                (sees_upload(reader, upload), reads_upload(reader, upload));
                            assert!(!reads || sees, "read but not listed: {reader:?} {upload:?}");
                            assert!(active || !sees, "an inactive user sees nothing");
                            match reader_org {
                                None => assert!(!reads, "staff read no upload through this rule"),
                                Some("uploader") => {
                                    assert_eq!(sees, active);
                                    assert_eq!(reads, active && (on_own || on_sharee));
                                }
                                _ => {
                                    let via = on_sharee || instructed;
                                    assert_eq!(sees, active && via, "{reader:?} {upload:?}");
                                    assert_eq!(reads, active && via, "{reader:?} {upload:?}");
                                }
                            }
                        }
                    }
                }
            }
        }
        // 3 readers × 8, and counsel's 4 instructed ones (active × shared) on top.
        assert_eq!(cases, 4 * 2 * 2 * 2 + 4);
    }

    /// Every combination of a small world: the property, stated independently, holds for all.
    #[test]
    fn material_for_the_firm_on_record_its_counsel_or_the_idpc_after_ones_own_declaration() {
        let orgs = [None, Some("firm-a"), Some("firm-b")];
        let mut allowed = 0;
        let mut cases = 0;
        for user_org in orgs {
            for active in [false, true] {
                for associated in orgs {
                    for declared in [false, true] {
                        for instructed in [false, true] {
                            // An instruction is by the firm on record, of another organisation.
                            if instructed
                                && (associated.is_none()
                                    || user_org.is_none()
                                    || user_org == associated)
                            {
                                continue;
                            }
                            for kind in [Kind::Idpc, Kind::Other] {
                                cases += 1;
                                let reader = Reader {
                                    user_id: "u",
                                    organisation_id: user_org,
                                    active,
                                };
                                let d = Defendant {
                                    associated,
                                    declared_by_reader: declared,
                                    instructed,
                                };
                                let got = may_read(reader, d, kind);
                                let firm_on_record = user_org.is_some() && user_org == associated;
                                let expected = active
                                    && (firm_on_record
                                        || instructed
                                        || (kind == Kind::Idpc && declared));
                                assert_eq!(got, expected, "{reader:?} {d:?} {kind:?}");
                                if got {
                                    allowed += 1;
                                    assert!(active, "never an inactive user");
                                }
                                if kind == Kind::Other && got {
                                    assert!(
                                        firm_on_record || instructed,
                                        "full access only by association or instruction"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        // 3 × 2 × 3 × 2 × 2 without instruction; with one: (firm-a, firm-b) both ways.
        assert_eq!(cases, 3 * 2 * 3 * 2 * 2 + 2 * 2 * 2 * 2);
        assert!(allowed > 0);
    }
}
