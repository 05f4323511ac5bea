//! The cases feature's emails, in English then Welsh like every other (see
//! `crate::email::templates`).

use super::defence::Nature;
use crate::{
    accounts::store::Recipient,
    email::{
        Email, MailSettings,
        templates::{Part, compose},
    },
    i18n::Msg,
};

/// What changed for the LAA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaaChange {
    /// A firm went on record.
    Associated,
    /// A firm came off record.
    Disassociated,
}

/// Tells the Legal Aid Agency that a firm went on or came off record for a defendant.
#[allow(clippy::too_many_arguments)]
pub fn laa_notice(
    settings: &MailSettings,
    to: &str,
    change: LaaChange,
    urn: &str,
    defendant: &str,
    organisation: &str,
    nature: Option<Nature>,
    laa_account: Option<&str>,
) -> Email {
    let (kind, subject, what) = match change {
        LaaChange::Associated => (
            "laa_associated",
            Msg::EmailLaaAssociatedSubject,
            Msg::EmailLaaAssociated,
        ),
        LaaChange::Disassociated => (
            "laa_disassociated",
            Msg::EmailLaaDisassociatedSubject,
            Msg::EmailLaaDisassociated,
        ),
    };
    compose(
        kind,
        to,
        None,
        subject,
        |lang| {
            let mut out = vec![Part::Para(lang.tf(
                what,
                &[
                    ("organisation", organisation),
                    ("defendant", defendant),
                    ("urn", urn),
                ],
            ))];
            if let Some(n) = nature {
                out.push(Part::Para(
                    lang.tf(Msg::EmailLaaNature, &[("nature", lang.t(n.label()))]),
                ));
            }
            if let Some(a) = laa_account {
                out.push(Part::Para(lang.tf(Msg::EmailLaaAccount, &[("account", a)])));
            }
            out
        },
        settings,
    )
}

/// Asks the firm on record (each of its administrators) to release a defendant.
#[allow(clippy::too_many_arguments)]
pub fn release_request(
    settings: &MailSettings,
    to: &Recipient,
    urn: &str,
    defendant: &str,
    from_organisation: &str,
    by_name: &str,
    by_email: &str,
    message: &str,
    case_id: &str,
) -> Email {
    let urn = super::pages::urn_spaced(urn);
    let link = format!("{}/cases/{case_id}/access", settings.public_url);
    compose(
        "release_request",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailReleaseSubject,
        |lang| {
            let mut out = vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    Msg::EmailReleaseAsked,
                    &[
                        ("organisation", from_organisation),
                        ("defendant", defendant),
                        ("urn", &urn),
                    ],
                )),
                Part::Para(lang.tf(
                    Msg::EmailRequestBy,
                    &[("name", by_name), ("email", by_email)],
                )),
            ];
            if !message.is_empty() {
                out.push(Part::Para(message.to_owned()));
            }
            out.push(Part::Para(lang.t(Msg::EmailReleaseHow).to_owned()));
            out.push(Part::Link(link.clone()));
            out
        },
        settings,
    )
}

/// Tells the user who asked that the firm on record has released the defendant.
pub fn released(settings: &MailSettings, to: &Recipient, urn: &str, defendant: &str) -> Email {
    let urn = super::pages::urn_spaced(urn);
    compose(
        "release_done",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailReleasedSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    Msg::EmailReleased,
                    &[("defendant", defendant), ("urn", &urn)],
                )),
            ]
        },
        settings,
    )
}

/// Asks the prosecuting authority for a case's IDPC.
pub fn idpc_request(
    settings: &MailSettings,
    to: &str,
    prosecutor: &str,
    urn: &str,
    organisation: &str,
    by_name: &str,
    by_email: &str,
) -> Email {
    let urn = super::pages::urn_spaced(urn);
    compose(
        "idpc_request",
        to,
        None,
        Msg::EmailIdpcSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", prosecutor)])),
                Part::Para(lang.tf(
                    Msg::EmailIdpcAsked,
                    &[("organisation", organisation), ("urn", &urn)],
                )),
                Part::Para(lang.tf(
                    Msg::EmailRequestBy,
                    &[("name", by_name), ("email", by_email)],
                )),
            ]
        },
        settings,
    )
}

/// Sends the CPS a document a defence firm served with "Send to CPS" ticked: attached (the
/// sender adds it), or, given `link` (with when it expires), as a link.
#[allow(clippy::too_many_arguments)]
pub fn cps_document(
    settings: &MailSettings,
    to: &str,
    urn: &str,
    defendant: &str,
    organisation: &str,
    section: &str,
    title: &str,
    file_name: &str,
    size: i64,
    sha256: &str,
    receipt: &str,
    link: Option<(&str, i64)>,
) -> Email {
    let mut email = compose(
        "cps_document",
        to,
        None,
        Msg::EmailCpsSubject,
        |lang| {
            let size = super::pages::size(size, lang);
            let mut out = vec![
                Part::Para(lang.tf(
                    Msg::EmailDocumentServed,
                    &[
                        ("organisation", organisation),
                        ("defendant", defendant),
                        ("urn", urn),
                    ],
                )),
                Part::Para(lang.tf(
                    Msg::EmailDocumentDetails,
                    &[("section", section), ("title", title), ("receipt", receipt)],
                )),
            ];
            match link {
                None => out.push(Part::Para(lang.tf(
                    Msg::EmailCpsAttached,
                    &[
                        ("file_name", file_name),
                        ("size", &size),
                        ("sha256", sha256),
                    ],
                ))),
                Some((url, expires)) => {
                    out.push(Part::Para(lang.tf(
                        Msg::EmailCpsLink,
                        &[
                            ("file_name", file_name),
                            ("size", &size),
                            ("sha256", sha256),
                            ("expires", &crate::clock::uk_time(expires, lang)),
                        ],
                    )));
                    out.push(Part::Link(url.to_owned()));
                }
            }
            out
        },
        settings,
    );
    email.subject = format!("{} – {urn}", email.subject);
    email
}

/// Tells the HMCTS service centre of a defence document that may need action.
#[allow(clippy::too_many_arguments)]
pub fn service_centre_document(
    settings: &MailSettings,
    to: &str,
    urn: &str,
    defendant: &str,
    organisation: &str,
    section: &str,
    title: &str,
    receipt: &str,
    inbox: &str,
) -> Email {
    let mut email = compose(
        "service_centre_document",
        to,
        None,
        Msg::EmailServiceCentreSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(
                    Msg::EmailDocumentServed,
                    &[
                        ("organisation", organisation),
                        ("defendant", defendant),
                        ("urn", urn),
                    ],
                )),
                Part::Para(lang.tf(
                    Msg::EmailDocumentDetails,
                    &[("section", section), ("title", title), ("receipt", receipt)],
                )),
                Part::Para(lang.t(Msg::EmailServiceCentreHow).to_owned()),
                Part::Link(inbox.to_owned()),
            ]
        },
        settings,
    );
    email.subject = format!("{} – {urn}", email.subject);
    email
}

/// Tells a member of the firm on record that new material is on a case (its titles stay in
/// the service: the email names the case and how many, and links to its material).
pub fn new_material(
    settings: &MailSettings,
    to: &Recipient,
    urn: &str,
    case_id: &str,
    count: usize,
) -> Email {
    let link = format!("{}/cases/{case_id}/material", settings.public_url);
    let urn = super::pages::urn_spaced(urn);
    compose(
        "material_new",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailNewMaterialSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    Msg::EmailNewMaterial,
                    &[
                        (
                            "documents",
                            &lang.tp(crate::i18n::PluralMsg::NewMaterialDocuments, count as u64),
                        ),
                        ("urn", &urn),
                    ],
                )),
                Part::Para(lang.t(Msg::EmailNewMaterialHow).to_owned()),
                Part::Link(link.clone()),
            ]
        },
        settings,
    )
}

/// Tells counsel that a firm instructs their organisation for a defendant, with the case's
/// address (they see it once signed in).
pub fn counsel_instructed(
    settings: &MailSettings,
    to: &Recipient,
    urn: &str,
    defendant: &str,
    firm: &str,
    chambers: &str,
    link: &str,
) -> Email {
    let urn = super::pages::urn_spaced(urn);
    compose(
        "counsel_instructed",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailInstructedSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    Msg::EmailInstructed,
                    &[
                        ("organisation", firm),
                        ("chambers", chambers),
                        ("defendant", defendant),
                        ("urn", &urn),
                    ],
                )),
                Part::Para(lang.t(Msg::EmailInstructedHow).to_owned()),
                Part::Link(link.to_owned()),
            ]
        },
        settings,
    )
}

/// Why an instruction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The firm withdrew it.
    Withdrawn,
    /// The firm stopped acting for the defendant.
    FirmOffRecord,
}

/// Tells whoever at the firm instructed counsel that counsel gave the instruction back.
pub fn instruction_returned(
    settings: &MailSettings,
    to: &Recipient,
    urn: &str,
    defendant: &str,
    chambers: &str,
) -> Email {
    let urn = super::pages::urn_spaced(urn);
    compose(
        "instruction_returned",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailInstructionReturnedSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    Msg::EmailInstructionReturned,
                    &[
                        ("organisation", chambers),
                        ("defendant", defendant),
                        ("urn", &urn),
                    ],
                )),
            ]
        },
        settings,
    )
}

/// Tells counsel that an instruction ended: their organisation no longer sees the defendant's
/// material through it.
pub fn counsel_ended(
    settings: &MailSettings,
    to: &Recipient,
    urn: &str,
    defendant: &str,
    firm: &str,
    why: Ended,
) -> Email {
    let urn = super::pages::urn_spaced(urn);
    compose(
        "counsel_ended",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailInstructionEndedSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    match why {
                        Ended::Withdrawn => Msg::EmailInstructionWithdrawn,
                        Ended::FirmOffRecord => Msg::EmailInstructionLapsed,
                    },
                    &[
                        ("organisation", firm),
                        ("defendant", defendant),
                        ("urn", &urn),
                    ],
                )),
            ]
        },
        settings,
    )
}
