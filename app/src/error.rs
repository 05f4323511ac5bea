//! The one error type server functions return, carrying field errors to the GOV.UK error summary.

use crate::i18n::{Lang, Msg};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// A problem with one form field, shown in the error summary and beside the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The `id` of the field the message belongs to (the summary links to it).
    pub field: String,
    /// The message, already in the user's language.
    pub message: String,
}

/// What went wrong, in terms a page can show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input needs correcting; nothing was saved.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such record (or one the user may not know exists).
    #[error("not found")]
    NotFound,
    /// The service could not be reached (offline, time-out): try again.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A fault on the server, logged under this incident id; its details are never sent.
    #[error("internal error, incident {incident}")]
    Internal {
        /// The id under which the details were logged.
        incident: String,
    },
}

impl AppError {
    /// The message to show a user, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AppError::Invalid(_) => lang.t(Msg::ErrorInvalid).to_owned(),
            AppError::NotFound => lang.t(Msg::NotFoundTitle).to_owned(),
            AppError::Unavailable(_) => lang.t(Msg::ErrorUnavailable).to_owned(),
            AppError::Internal { incident } => {
                lang.tf(Msg::ErrorInternal, &[("incident", incident)])
            }
        }
    }

    /// Logs an internal error under a fresh incident id and returns the error to show for it.
    #[cfg(feature = "ssr")]
    pub fn internal(err: impl std::fmt::Display) -> AppError {
        let incident = new_incident_id();
        tracing::error!(incident = %incident, error = %err, "internal error");
        AppError::Internal { incident }
    }
}

/// A short random id that a user can read out to the service desk.
#[cfg(feature = "ssr")]
pub fn new_incident_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..12].to_uppercase()
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) | ServerFnErrorErr::Response(e) => {
                AppError::Unavailable(e)
            }
            other => {
                #[cfg(feature = "ssr")]
                {
                    AppError::internal(other)
                }
                #[cfg(not(feature = "ssr"))]
                {
                    AppError::Unavailable(other.to_string())
                }
            }
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_show_only_the_incident() {
        let e = AppError::internal("database password is hunter2");
        let shown = e.message(Lang::En);
        assert!(!shown.contains("hunter2"));
        let AppError::Internal { incident } = &e else {
            panic!("not internal")
        };
        assert_eq!(incident.len(), 12);
        assert!(shown.contains(incident.as_str()));
    }
}
