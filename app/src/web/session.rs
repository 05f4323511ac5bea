//! Who is asking: the session a request carries, its stage and its user. The accounts feature
//! creates and ends sessions (`accounts::session`); everything else only reads them.

/// A full session ends after this long without a request.
pub const IDLE_SECS: i64 = 30 * 60;
/// The time-out warning appears this long before the idle time-out.
pub const WARN_SECS: i64 = 2 * 60;
/// Any session ends this long after it began.
pub const ABSOLUTE_SECS: i64 = 12 * 3600;
/// A half-finished sign-in (password given, second factor not yet) or set-up lasts this long.
pub const PENDING_SECS: i64 = 15 * 60;
/// `last_seen_at` is written at most this often.
pub const TOUCH_SECS: i64 = 30;

/// How far a session has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The password (or link) is done; the second factor is not.
    SecondFactor,
    /// Setting up a password or factor (after an activation or reset link).
    Setup,
    /// Fully signed in.
    Full,
}

impl Stage {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Stage::SecondFactor => "second_factor",
            Stage::Setup => "setup",
            Stage::Full => "full",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<Stage> {
        [Stage::SecondFactor, Stage::Setup, Stage::Full]
            .into_iter()
            .find(|st| st.code() == s)
    }
}

/// The session a request carries.
#[derive(Clone, Debug)]
pub struct Current {
    /// The stored hash of the cookie's id.
    pub id_hash: String,
    /// The public id shown on the sessions page.
    pub handle: String,
    /// Its stage.
    pub stage: Stage,
    /// `sign_in`, `activate` or `reset`.
    pub purpose: String,
    /// An authenticator key being set up.
    pub pending_totp: Option<String>,
    /// When it began.
    pub created_at: i64,
    /// Its last request.
    pub last_seen_at: i64,
    /// When the user last re-entered their password in it.
    pub confirmed_at: Option<i64>,
    /// The user.
    pub user: User,
}

/// A re-entered password lets the user change how they sign in for this long.
pub const CONFIRM_SECS: i64 = 10 * 60;

impl Current {
    /// Whether the user re-entered their password in this session within [`CONFIRM_SECS`].
    pub fn recently_confirmed(&self, now: i64) -> bool {
        self.confirmed_at
            .is_some_and(|t| now >= t && now - t < CONFIRM_SECS)
    }

    /// When the session ends if nothing else happens.
    pub fn expires_at(&self) -> i64 {
        match self.stage {
            Stage::Full => (self.last_seen_at + IDLE_SECS).min(self.created_at + ABSOLUTE_SECS),
            _ => self.created_at + PENDING_SECS,
        }
    }
}

/// A user row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// Id.
    pub id: String,
    /// The organisation (none for HMCTS staff).
    pub organisation_id: Option<String>,
    /// HMCTS and LAA staff: `onboarding`, `service_centre`, `laa` or `court`.
    pub staff_role: Option<String>,
    /// Lower-case email.
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Comma-separated role codes.
    pub roles: String,
    /// invited, active, locked, deregistered, removed.
    pub status: String,
    /// Argon2id hash.
    pub password_hash: Option<String>,
    /// Why a password change is due, if one is.
    pub change_password: Option<String>,
    /// Authenticator key (base32).
    pub totp_secret: Option<String>,
    /// The last accepted authenticator time step.
    pub totp_last_step: Option<i64>,
    /// Created.
    pub created_at: i64,
    /// Activation or last sign-in.
    pub last_active_at: i64,
    /// The last completed sign-in.
    pub last_sign_in_at: Option<i64>,
    /// When an administrator reset the user's second factors (until they set one up again).
    pub factor_reset_at: Option<i64>,
    /// Court staff: the court they work at.
    pub staff_court: Option<String>,
}

impl User {
    /// Whether the user is HMCTS onboarding staff.
    pub fn is_onboarding(&self) -> bool {
        self.staff_role.as_deref() == Some("onboarding")
    }

    /// Whether they are active staff with this role (`laa`, `service_centre`, `onboarding`,
    /// `court`).
    pub fn is_staff(&self, role: &str) -> bool {
        self.status == "active" && self.staff_role.as_deref() == Some(role)
    }

    /// Whether the user is an active administrator of their organisation (who may use its
    /// settings).
    pub fn is_active_admin(&self) -> bool {
        self.status == "active"
            && self.organisation_id.is_some()
            && self.roles.split(',').any(|r| r.trim() == "administrator")
    }

    /// The user's full name.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Where a user lands on signing in: a defence organisation's member on their cases, HMCTS
/// staff on their account (their work has its own pages).
pub fn home(user: &User) -> &'static str {
    match user.staff_role.as_deref() {
        None if user.organisation_id.is_some() => "/cases",
        Some("laa") => "/staff/laa",
        Some("service_centre") => "/staff/service-centre",
        Some("court") => "/court",
        _ => "/account",
    }
}
