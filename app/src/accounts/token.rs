//! One-time secrets for links and session cookies: 256 random bits, of which only a SHA-256 is
//! stored, so a copy of the database cannot be used to sign in or activate an account.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// A fresh random token, URL-safe (43 characters).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random identifier for a record.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How long a link lasts.
pub mod lifetime {
    /// Activation links: 7 days, as firms activate in their own time after onboarding.
    pub const ACTIVATE_SECS: i64 = 7 * 24 * 3600;
    /// Password reset links: 1 hour.
    pub const RESET_SECS: i64 = 3600;
    /// Links to set up a second factor again after an administrator reset them: 3 days.
    pub const ENROL_SECS: i64 = 3 * 24 * 3600;
}

/// Why a link cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    /// No such link (mistyped, or never issued).
    Unknown,
    /// Already used once.
    Used,
    /// Past its expiry time.
    Expired,
}

/// Decides whether a stored link can be used at `now`.
pub fn check_link(expires_at: i64, used_at: Option<i64>, now: i64) -> Result<(), LinkProblem> {
    if used_at.is_some() {
        Err(LinkProblem::Used)
    } else if now >= expires_at {
        Err(LinkProblem::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
        assert_eq!(hash_token(&a), hash_token(&a));
    }

    #[test]
    fn links_expire_and_work_once() {
        assert_eq!(check_link(100, None, 99), Ok(()));
        assert_eq!(check_link(100, None, 100), Err(LinkProblem::Expired));
        assert_eq!(check_link(100, Some(50), 60), Err(LinkProblem::Used));
        assert_eq!(
            check_link(100, Some(50), 200),
            Err(LinkProblem::Used),
            "used wins over expired"
        );
    }
}
