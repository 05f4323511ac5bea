//! Accounts: users, registration, activation, sign-in with a second factor, sessions, password
//! reset, throttling, and each user's own account settings. The feature every other builds on:
//! it imports no other feature.
//!
//! Pages and the form handlers behind them are server-only (`ssr`): the service's pages are
//! server HTML and only islands run in the browser.

#[cfg(feature = "ssr")]
pub mod actions;
#[cfg(feature = "ssr")]
pub mod device;
#[cfg(feature = "ssr")]
pub mod enrol;
#[cfg(feature = "ssr")]
pub mod inactivity;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod passkey;
#[cfg(feature = "ssr")]
pub mod passkey_api;
pub mod passkey_button;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod raw;
#[cfg(feature = "ssr")]
pub mod register;
#[cfg(feature = "ssr")]
pub mod register_page;
#[cfg(feature = "ssr")]
pub mod reset;
#[cfg(feature = "ssr")]
mod routes;
#[cfg(feature = "ssr")]
pub use routes::routes;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod token;
#[cfg(feature = "ssr")]
pub mod totp;
pub mod validate;

use serde::{Deserialize, Serialize};

/// A role inside an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the organisation's users and details.
    Administrator,
    /// Can check in for hearings.
    Advocate,
    /// A solicitor or caseworker.
    User,
}

impl Role {
    /// Every role, in the order forms list them.
    pub const ALL: [Role; 3] = [Role::Administrator, Role::Advocate, Role::User];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Advocate => "advocate",
            Role::User => "user",
        }
    }

    /// The role with this code.
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    /// The role's name.
    pub fn label(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            Role::Administrator => Msg::RoleAdministrator,
            Role::Advocate => Msg::RoleAdvocate,
            Role::User => Msg::RoleUser,
        }
    }
}

/// The roles in a spreadsheet cell (`;`, `+`, `|` or `,` between codes), or none if any is
/// not a role.
pub fn roles_from_cell(raw: &str) -> Option<Vec<Role>> {
    let list: Vec<Option<Role>> = raw
        .split([';', '+', '|', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Role::from_code(&s.to_lowercase()))
        .collect();
    if list.is_empty() || list.iter().any(Option::is_none) {
        return None;
    }
    let mut out: Vec<Role> = list.into_iter().flatten().collect();
    out.dedup();
    Some(out)
}

/// Roles from their stored comma list (unknown codes dropped).
pub fn parse_roles(s: &str) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| s.split(',').any(|c| c.trim() == r.code()))
        .collect()
}

/// Roles as their stored comma list: each once, in [`Role::ALL`]'s order, however they came.
pub fn roles_code(roles: &[Role]) -> String {
    Role::ALL
        .into_iter()
        .filter(|r| roles.contains(r))
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(",")
}

/// Role names, in the page's language, comma-separated.
pub fn role_names(roles: &[Role], lang: crate::i18n::Lang) -> String {
    roles
        .iter()
        .map(|r| lang.t(r.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The current version of the terms of use that registrations sign.
pub const TERMS_VERSION: &str = "2026-11";
