//! The emails' words, in English then Welsh (the service does not know a recipient's language
//! before they first sign in). Plain text and simple HTML, links written out in full, no images,
//! no tracking.

use super::{Email, MailSettings};
use crate::i18n::{Lang, Msg};

/// A block of an email.
pub(crate) enum Part {
    /// A paragraph.
    Para(String),
    /// A link written out in full.
    Link(String),
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn compose(
    kind: &'static str,
    to: &str,
    user_id: Option<&str>,
    subject: Msg,
    body: impl Fn(Lang) -> Vec<Part>,
    settings: &MailSettings,
) -> Email {
    let subject = format!("{} / {}", Lang::En.t(subject), Lang::Cy.t(subject));
    let mut text = String::new();
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #0b0c0c\">",
    );
    for (i, lang) in [Lang::En, Lang::Cy].into_iter().enumerate() {
        if i > 0 {
            text.push_str("\n----------\n\n");
            html.push_str("<hr>");
        }
        html.push_str(&format!("<div lang=\"{}\">", lang.code()));
        let mut parts = body(lang);
        parts.push(Part::Para(lang.tf(
            Msg::EmailFooter,
            &[
                ("from", &settings.from_address),
                ("url", &settings.public_url),
            ],
        )));
        for part in parts {
            match part {
                Part::Para(p) => {
                    text.push_str(&p);
                    text.push_str("\n\n");
                    html.push_str(&format!("<p>{}</p>", escape(&p)));
                }
                Part::Link(url) => {
                    text.push_str(&url);
                    text.push_str("\n\n");
                    html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape(&url)));
                }
            }
        }
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    Email {
        kind,
        to: to.to_owned(),
        user_id: user_id.map(str::to_owned),
        subject,
        text,
        html,
    }
}

/// The activation email sent when onboarding approves an organisation (or an administrator adds
/// a user).
pub fn activation(
    settings: &MailSettings,
    user_id: &str,
    to: &str,
    first_name: &str,
    organisation: &str,
    token: &str,
    expires: i64,
) -> Email {
    let link = format!("{}/activate?token={token}", settings.public_url);
    compose(
        "activation",
        to,
        Some(user_id),
        Msg::EmailActivationSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", first_name)])),
                Part::Para(lang.tf(Msg::EmailActivationBody, &[("organisation", organisation)])),
                Part::Link(link.clone()),
                Part::Para(lang.tf(
                    Msg::EmailActivationExpires,
                    &[("date", &crate::clock::uk_date(expires).long(lang))],
                )),
                Part::Para(lang.t(Msg::EmailActivationNext).to_owned()),
            ]
        },
        settings,
    )
}

/// Tells the accountable person the registration was received.
pub fn registration_received(
    settings: &MailSettings,
    to: &str,
    name: &str,
    organisation: &str,
) -> Email {
    compose(
        "registration_received",
        to,
        None,
        Msg::EmailReceivedSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", name)])),
                Part::Para(lang.tf(Msg::EmailReceivedBody, &[("organisation", organisation)])),
            ]
        },
        settings,
    )
}

/// Tells the accountable person the registration was rejected, and why.
pub fn registration_rejected(
    settings: &MailSettings,
    to: &str,
    name: &str,
    organisation: &str,
    reason: &str,
) -> Email {
    compose(
        "registration_rejected",
        to,
        None,
        Msg::EmailRejectedSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", name)])),
                Part::Para(lang.tf(Msg::EmailRejectedBody, &[("organisation", organisation)])),
                Part::Para(reason.to_owned()),
                Part::Para(lang.t(Msg::EmailRejectedNext).to_owned()),
            ]
        },
        settings,
    )
}

/// A password reset link.
pub fn reset(
    settings: &MailSettings,
    user_id: &str,
    to: &str,
    first_name: &str,
    token: &str,
) -> Email {
    let link = format!("{}/reset-password?token={token}", settings.public_url);
    compose(
        "password_reset",
        to,
        Some(user_id),
        Msg::EmailResetSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", first_name)])),
                Part::Para(lang.t(Msg::EmailResetBody).to_owned()),
                Part::Link(link.clone()),
                Part::Para(lang.t(Msg::EmailResetIgnore).to_owned()),
            ]
        },
        settings,
    )
}

/// Warns that an unused account will be deregistered on `on` (a Unix time) unless the user
/// signs in before then.
pub fn inactivity_warning(
    settings: &MailSettings,
    user_id: &str,
    to: &str,
    first_name: &str,
    on: i64,
) -> Email {
    let sign_in = format!("{}/sign-in", settings.public_url);
    compose(
        "inactivity_warning",
        to,
        Some(user_id),
        Msg::EmailInactivitySubject,
        |lang| {
            let date = crate::clock::uk_date(on).long(lang);
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", first_name)])),
                Part::Para(lang.tf(Msg::EmailInactivityBody, &[("date", &date)])),
                Part::Link(sign_in.clone()),
                Part::Para(lang.t(Msg::EmailInactivityNoLonger).to_owned()),
            ]
        },
        settings,
    )
}

/// Tells a user their account was deregistered after 90 days unused.
pub fn deregistered(settings: &MailSettings, user_id: &str, to: &str, first_name: &str) -> Email {
    compose(
        "deregistered",
        to,
        Some(user_id),
        Msg::EmailDeregisteredSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", first_name)])),
                Part::Para(lang.t(Msg::EmailDeregisteredBody).to_owned()),
            ]
        },
        settings,
    )
}

/// A short email to a user: a greeting, paragraphs, perhaps a link.
fn simple(
    settings: &MailSettings,
    kind: &'static str,
    user_id: Option<&str>,
    (to, first_name): (&str, &str),
    subject: Msg,
    paras: &[(Msg, &[(&str, &str)])],
    link: Option<String>,
) -> Email {
    compose(
        kind,
        to,
        user_id,
        subject,
        |lang| {
            let mut out = vec![Part::Para(
                lang.tf(Msg::EmailGreeting, &[("name", first_name)]),
            )];
            for (m, args) in paras {
                out.push(Part::Para(lang.tf(*m, args)));
            }
            if let Some(l) = &link {
                out.push(Part::Link(l.clone()));
            }
            out
        },
        settings,
    )
}

/// Tells a user an administrator reinstated their account.
pub fn reinstated(settings: &MailSettings, user_id: &str, to: &str, first_name: &str) -> Email {
    simple(
        settings,
        "reinstated",
        Some(user_id),
        (to, first_name),
        Msg::EmailReinstatedSubject,
        &[(Msg::EmailReinstatedBody, &[])],
        Some(format!("{}/sign-in", settings.public_url)),
    )
}

/// Tells an administrator HMCTS restored their account because their organisation had no
/// active administrator; `new_password` when they must choose a new password at sign-in.
pub fn restored(
    settings: &MailSettings,
    user_id: &str,
    to: &str,
    first_name: &str,
    new_password: bool,
) -> Email {
    let mut paras: Vec<(Msg, &[(&str, &str)])> = vec![(Msg::EmailRestoredBody, &[])];
    if new_password {
        paras.push((Msg::EmailRestoredNewPassword, &[]));
    }
    paras.push((Msg::EmailRestoredDuty, &[]));
    simple(
        settings,
        "restored",
        Some(user_id),
        (to, first_name),
        Msg::EmailRestoredSubject,
        &paras,
        Some(format!("{}/sign-in", settings.public_url)),
    )
}

/// Tells a user an administrator reset their second factors, with the link (and its expiry) to
/// set up a new one.
pub fn factor_reset(
    settings: &MailSettings,
    user_id: &str,
    to: &str,
    first_name: &str,
    token: &str,
    expires: i64,
) -> Email {
    let link = format!("{}/enrol?token={token}", settings.public_url);
    compose(
        "factor_reset",
        to,
        Some(user_id),
        Msg::EmailFactorResetSubject,
        |lang| {
            vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", first_name)])),
                Part::Para(lang.t(Msg::EmailFactorResetBody).to_owned()),
                Part::Link(link.clone()),
                Part::Para(lang.tf(
                    Msg::EmailFactorResetExpires,
                    &[("date", &crate::clock::uk_date(expires).long(lang))],
                )),
                Part::Para(lang.t(Msg::EmailFactorResetNotYou).to_owned()),
            ]
        },
        settings,
    )
}

/// Asks a user to confirm they are their organisation's new accountable person.
pub fn accountable_nominated(
    settings: &MailSettings,
    user_id: &str,
    to: &str,
    first_name: &str,
    organisation: &str,
) -> Email {
    simple(
        settings,
        "accountable_nominated",
        Some(user_id),
        (to, first_name),
        Msg::EmailAccountableSubject,
        &[(Msg::EmailAccountableBody, &[("organisation", organisation)])],
        Some(format!("{}/account/accountable", settings.public_url)),
    )
}

/// Tells a user's administrators (or HMCTS) that the user reported their sign-in details as
/// disclosed and the account is locked.
pub fn disclosure_reported(
    settings: &MailSettings,
    to: &str,
    first_name: &str,
    user_name: &str,
    user_email: &str,
    organisation: &str,
) -> Email {
    simple(
        settings,
        "disclosure_reported",
        None,
        (to, first_name),
        Msg::EmailDisclosureSubject,
        &[
            (
                Msg::EmailDisclosureBody,
                &[
                    ("user", user_name),
                    ("email", user_email),
                    ("organisation", organisation),
                ],
            ),
            (Msg::EmailDisclosureNext, &[]),
        ],
        None,
    )
}

/// A closing or merging request from an organisation, to HMCTS onboarding.
pub fn organisation_request(
    settings: &MailSettings,
    to: &crate::accounts::store::Recipient,
    organisation: &str,
    by_name: &str,
    by_email: &str,
    req: &crate::organisation::ops::Request,
) -> Email {
    let what = if req.kind == "merge" {
        Msg::EmailRequestMerge
    } else {
        Msg::EmailRequestClose
    };
    let merge_with = req.merge_with.clone().unwrap_or_default();
    let date = req.effective_on.parse::<crate::date::Date>().ok();
    compose(
        "organisation_request",
        &to.email,
        to.user_id.as_deref(),
        Msg::EmailRequestSubject,
        |lang| {
            let when = date.map_or_else(|| req.effective_on.clone(), |d| d.long(lang));
            let mut out = vec![
                Part::Para(lang.tf(Msg::EmailGreeting, &[("name", &to.first_name)])),
                Part::Para(lang.tf(
                    what,
                    &[
                        ("organisation", organisation),
                        ("date", &when),
                        ("other", &merge_with),
                    ],
                )),
                Part::Para(lang.tf(
                    Msg::EmailRequestBy,
                    &[("name", by_name), ("email", by_email)],
                )),
            ];
            if !req.details.is_empty() {
                out.push(Part::Para(req.details.clone()));
            }
            out
        },
        settings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MailSettings {
        MailSettings {
            from_address: "no-reply@defence.example".into(),
            from_name: "Defence access".into(),
            public_url: "https://defence.example".into(),
        }
    }

    #[test]
    fn activation_has_both_languages_the_full_link_and_the_sender() {
        let e = activation(
            &settings(),
            "u1",
            "a@b.example",
            "Ann <b>",
            "Firm & Co",
            "TOKEN",
            1_795_860_000, // 28 November 2026
        );
        assert!(e.text.contains("28 November 2026"), "the English date");
        assert!(e.text.contains("28 Tachwedd 2026"), "the Welsh date");
        assert!(
            e.text
                .contains("https://defence.example/activate?token=TOKEN")
        );
        assert!(
            e.html
                .contains("href=\"https://defence.example/activate?token=TOKEN\"")
        );
        assert!(e.text.contains("no-reply@defence.example"));
        assert!(
            e.html.contains("Ann &lt;b&gt;"),
            "names are escaped in HTML"
        );
        assert!(e.html.contains("lang=\"cy\""));
        assert!(e.subject.contains(" / "));
        assert!(!e.html.contains("<img"), "no tracking pixels");
    }
}
