//! Accounts: organisations, users, registration and onboarding, activation, sign-in with a
//! second factor, sessions, password reset, throttling.
//!
//! Pages and the form handlers behind them are server-only (`ssr`): the service's pages are
//! server HTML and only islands run in the browser.

#[cfg(feature = "ssr")]
pub mod actions;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod device;
#[cfg(feature = "ssr")]
pub mod enrol;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod inactivity;
#[cfg(feature = "ssr")]
pub mod onboarding;
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
pub mod register;
#[cfg(feature = "ssr")]
pub mod register_page;
#[cfg(feature = "ssr")]
pub mod reset;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod throttle;
pub mod timeout;
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

/// The current version of the terms of use that registrations sign.
pub const TERMS_VERSION: &str = "2026-11";
