//! Passwords: the rules (NIST SP 800-63B rev 4), the common-password list, and Argon2id hashing
//! on the blocking pool with a cap, so a storm of sign-ins cannot starve other requests.

use crate::i18n::Msg;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};
use std::{collections::HashSet, sync::LazyLock};
use tokio::sync::Semaphore;

/// The shortest password accepted (a second factor is always required as well).
pub const MIN_CHARS: usize = 8;
/// The longest accepted; far above the 64 NIST asks for, and bounded so hashing stays cheap.
pub const MAX_CHARS: usize = 256;

/// The 100,000 most common passwords (see `server/data/common-passwords-SOURCES.md`), in lower
/// case so that "PASSWORD1" is caught as well as "password1".
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../../server/data/common-passwords.txt")
        .lines()
        .map(str::to_lowercase)
        .collect()
});

/// Loads the common-password list now (at start-up) rather than on the first password.
pub fn preload() -> usize {
    COMMON.len()
}

/// Whether a password is on the common list.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(&password.to_lowercase())
}

/// Words that must not appear in a user's password: the service's own name and the user's.
#[derive(Clone, Debug, Default)]
pub struct Context<'a> {
    /// The user's first name.
    pub first_name: &'a str,
    /// The user's last name.
    pub last_name: &'a str,
    /// The user's email address.
    pub email: &'a str,
}

const SERVICE_WORDS: [&str; 4] = [
    "caseaccess",
    "case access",
    "defence access",
    "commonplatform",
];

/// Checks a new password against the rules. No composition rules, no truncation; any Unicode.
pub fn check(password: &str, ctx: &Context<'_>) -> Result<(), Msg> {
    let chars = password.chars().count();
    if password.trim().is_empty() {
        return Err(Msg::PasswordMissing);
    }
    if chars < MIN_CHARS {
        return Err(Msg::PasswordTooShort);
    }
    if chars > MAX_CHARS {
        return Err(Msg::PasswordTooLong);
    }
    if is_common(password) {
        return Err(Msg::PasswordCommon);
    }
    let lower = password.to_lowercase();
    let squashed: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let local = ctx.email.split('@').next().unwrap_or_default();
    let personal = [ctx.first_name, ctx.last_name, local, ctx.email];
    for word in personal {
        let word: String = word
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if word.chars().count() >= 3 && squashed.contains(&word) {
            return Err(Msg::PasswordPersonal);
        }
    }
    for word in SERVICE_WORDS {
        let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
        if squashed.contains(&word) {
            return Err(Msg::PasswordService);
        }
    }
    Ok(())
}

/// Argon2id with the OWASP parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most this many hashes run at once (one per core): the rest wait their turn, and the async
/// workers stay free for other requests.
static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));

/// A valid hash of a password nobody has, verified against when an email is unknown so that the
/// answer takes as long as for a known one.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_now("not a real password, used to even out timing").unwrap_or_default());

fn hash_now(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| e.to_string())?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

async fn on_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let _slot = SLOTS.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())
}

/// Hashes a password (Argon2id, random salt) on the capped blocking pool.
pub async fn hash(password: String) -> Result<String, String> {
    on_pool(move || hash_now(&password)).await?
}

/// Checks a password against a stored hash; with no hash (unknown account) it checks against a
/// dummy so the time taken does not reveal whether the account exists.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, String> {
    on_pool(move || match hash {
        Some(h) => verify_now(&password, &h),
        None => {
            let _ = verify_now(&password, &DUMMY_HASH);
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            first_name: "Aled",
            last_name: "Pritchard",
            email: "aled.pritchard@example.org",
        }
    }

    #[test]
    fn list_is_large_enough() {
        assert!(preload() >= 95_000, "the list holds {}", preload());
        assert!(is_common("password"));
        assert!(
            is_common("PASSWORD"),
            "case does not hide a common password"
        );
        assert!(is_common("123456789"));
        assert!(!is_common("tidal marmalade gondolier"));
    }

    #[test]
    fn length_rules_count_characters_not_bytes() {
        assert_eq!(check("", &ctx()), Err(Msg::PasswordMissing));
        assert_eq!(check("        ", &ctx()), Err(Msg::PasswordMissing));
        assert_eq!(check("x7#kq2!", &ctx()), Err(Msg::PasswordTooShort));
        // Eight Welsh characters with diacritics: 8 characters, more bytes.
        assert_eq!(check("ŵŷâêîôûŵ", &ctx()), Ok(()));
        assert_eq!(
            check(&"ab3$".repeat(16), &ctx()),
            Ok(()),
            "64 characters are fine"
        );
        assert_eq!(check(&"a".repeat(257), &ctx()), Err(Msg::PasswordTooLong));
    }

    #[test]
    fn no_composition_rules() {
        assert_eq!(check("tidal marmalade gondolier", &ctx()), Ok(()));
        assert_eq!(
            check("zqxwvkjhgf", &ctx()),
            Ok(()),
            "letters only are allowed"
        );
    }

    #[test]
    fn common_and_context_words_are_refused() {
        assert_eq!(check("password1", &ctx()), Err(Msg::PasswordCommon));
        assert_eq!(check("qwertyuiop", &ctx()), Err(Msg::PasswordCommon));
        assert_eq!(check("Pritchard-2026", &ctx()), Err(Msg::PasswordPersonal));
        assert_eq!(
            check("aled.pritchard!!", &ctx()),
            Err(Msg::PasswordPersonal)
        );
        assert_eq!(
            check("my CaseAccess pw 9", &ctx()),
            Err(Msg::PasswordService)
        );
    }

    #[tokio::test]
    async fn hashes_verify_and_salts_differ() {
        let a = hash("tidal marmalade gondolier".into()).await.unwrap();
        let b = hash("tidal marmalade gondolier".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(
            verify("tidal marmalade gondolier".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("tidal marmalade gondolieR".into(), Some(a))
                .await
                .unwrap()
        );
        assert!(!verify("anything".into(), None).await.unwrap());
        assert!(
            !verify("anything".into(), Some("not a hash".into()))
                .await
                .unwrap()
        );
    }
}
