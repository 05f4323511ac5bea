//! Secrets kept in the database (authenticator keys, and the key being set up), sealed with
//! AES-256-GCM under a key from configuration (`SECRETS_KEY`), never from the database: a copy of
//! the database alone gives no one's authenticator codes. Each sealed value is bound to the row it
//! belongs to (the user's id is the associated data), so sealed values cannot be swapped between
//! accounts, and names the key that sealed it, so keys can be rotated: the new key becomes
//! `SECRETS_KEY`, the old one moves to `SECRETS_KEY_PREVIOUS`, and [`reseal_all`] (run at every
//! start, or `server secrets rotate`) re-seals every value under the new key. Values written before
//! sealing existed are sealed by the same pass. A value that does not open is an error, never
//! taken as it is.

use aes_gcm::{
    Aes256Gcm, Nonce,
    aead::{Aead, KeyInit, Payload},
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1.";

/// One key and its short id (the first 8 hex digits of its SHA-256).
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// A key's short id, written beside what it made: the first 8 hex digits of its SHA-256.
pub fn key_id(bytes: &[u8; 32]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Key {
        Key {
            id: key_id(bytes),
            cipher: Aes256Gcm::new(bytes.into()),
        }
    }
}

/// The current key (which seals) and the previous ones (which only open).
pub struct Keys {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        write!(
            f,
            "Keys {{ current: {}, previous: {previous:?} }}",
            self.current.id
        )
    }
}

/// Why a sealed value did not open.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a sealed value at all (written before sealing, or tampered with).
    #[error("not a sealed value")]
    NotSealed,
    /// Sealed with a key that is not configured.
    #[error("sealed with key {0}, which is not configured")]
    UnknownKey(String),
    /// The key is right but the value, or the row it was moved to, is not.
    #[error("the sealed value does not open for this record")]
    Tampered,
}

/// Reads a key written as 32 bytes in base64 (URL-safe or standard, padding optional).
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim().trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(t)
        .or_else(|_| STANDARD.decode(format!("{t}{}", "=".repeat((4 - t.len() % 4) % 4))))
        .map_err(|_| "a key is 32 bytes in base64 (server secrets new-key makes one)".to_owned())?;
    bytes
        .try_into()
        .map_err(|_| "a key is exactly 32 bytes (server secrets new-key makes one)".to_owned())
}

/// A fresh random key, written for `SECRETS_KEY`.
pub fn new_key() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

impl Keys {
    /// The keys from their written forms.
    pub fn new(current: &str, previous: &[String]) -> Result<Keys, String> {
        Ok(Keys {
            current: Key::new(&parse_key(current)?),
            previous: previous
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| parse_key(p).map(|k| Key::new(&k)))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The current key's id (as written into every value it seals).
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plain` for the record named by `context`.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let nonce_bytes = rand::random::<[u8; 12]>();
        let nonce = Nonce::from(nonce_bytes);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // AES-GCM refuses only messages over 64 GiB; an authenticator key is 32 characters.
            .unwrap_or_else(|_| unreachable!("AES-256-GCM seals any message under 64 GiB"));
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// Opens a value sealed for the record named by `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, SealError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(SealError::NotSealed)?;
        let (id, data) = rest.split_once('.').ok_or(SealError::NotSealed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(data)
            .map_err(|_| SealError::Tampered)?;
        if bytes.len() < 12 + 16 {
            return Err(SealError::Tampered);
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| SealError::Tampered)?;
        let plain = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Tampered)?;
        String::from_utf8(plain).map_err(|_| SealError::Tampered)
    }

    /// Whether `sealed` is sealed under the current key.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .strip_prefix(PREFIX)
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(id, _)| id == self.current.id)
    }

    /// Keys for tests: fixed, so values sealed in one test open in the next step.
    #[cfg(test)]
    pub fn for_tests() -> Keys {
        Keys::new(&URL_SAFE_NO_PAD.encode([7u8; 32]), &[]).expect("test key")
    }
}

/// The record an authenticator key belongs to.
pub fn totp_context(user_id: &str) -> String {
    format!("users.totp_secret:{user_id}")
}

/// The record an authenticator key being set up belongs to.
pub fn pending_context(user_id: &str) -> String {
    format!("sessions.pending_totp:{user_id}")
}

/// Re-seals, under the current key, every stored secret that is not yet: those sealed with a
/// previous key, and any written before sealing existed. Each row is rewritten only if it still
/// holds what was read, so two instances starting at once do no harm. Returns how many were
/// re-sealed; fails on a value no configured key opens (the key that sealed it is missing).
pub async fn reseal_all(db: &crate::db::Db, keys: &Keys) -> Result<usize, ResealError> {
    let mut count = 0;
    let users: Vec<(String, String)> =
        sqlx::query_as("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")
            .fetch_all(&db.pool)
            .await?;
    let sessions: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id_hash, user_id, pending_totp FROM sessions WHERE pending_totp IS NOT NULL",
    )
    .fetch_all(&db.pool)
    .await?;
    let jobs = users
        .into_iter()
        .map(|(id, v)| {
            (
                "users",
                "totp_secret",
                "id",
                id.clone(),
                totp_context(&id),
                v,
            )
        })
        .chain(sessions.into_iter().map(|(h, user, v)| {
            (
                "sessions",
                "pending_totp",
                "id_hash",
                h,
                pending_context(&user),
                v,
            )
        }));
    for (table, column, key_column, key, context, value) in jobs {
        if keys.is_current(&value) {
            continue;
        }
        let plain = match keys.open(&context, &value) {
            Ok(p) => p,
            Err(SealError::NotSealed) => value.clone(),
            Err(e) => return Err(ResealError::Open(format!("{table}.{column} {key}: {e}"))),
        };
        let n = sqlx::query(&format!(
            "UPDATE {table} SET {column} = $1 WHERE {key_column} = $2 AND {column} = $3"
        ))
        .bind(keys.seal(&context, &plain))
        .bind(&key)
        .bind(&value)
        .execute(&db.pool)
        .await?
        .rows_affected();
        count += usize::try_from(n).unwrap_or(0);
    }
    Ok(count)
}

/// Why re-sealing stopped.
#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    /// The database failed.
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    /// A stored value does not open with any configured key.
    #[error("{0} (is the key that sealed it in SECRETS_KEY_PREVIOUS?)")]
    Open(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    fn key(n: u8) -> String {
        URL_SAFE_NO_PAD.encode([n; 32])
    }

    #[test]
    fn sealed_values_open_only_for_their_record() {
        let keys = Keys::for_tests();
        let sealed = keys.seal("users.totp_secret:u1", "JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with("v1.") && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            keys.seal("users.totp_secret:u1", "JBSWY3DPEHPK3PXP"),
            "fresh nonce"
        );
        assert_eq!(
            keys.open("users.totp_secret:u1", &sealed).as_deref(),
            Ok("JBSWY3DPEHPK3PXP")
        );
        assert_eq!(
            keys.open("users.totp_secret:u2", &sealed),
            Err(SealError::Tampered),
            "moved to another user's row"
        );
        let mut bad = sealed.clone();
        bad.pop();
        bad.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            keys.open("users.totp_secret:u1", &bad),
            Err(SealError::Tampered)
        );
        assert_eq!(
            keys.open("users.totp_secret:u1", "JBSWY3DPEHPK3PXP"),
            Err(SealError::NotSealed),
            "a plain value is never taken as it is"
        );
    }

    #[test]
    fn keys_are_read_strictly() {
        assert!(parse_key(&new_key()).is_ok());
        assert!(parse_key(&STANDARD.encode([1u8; 32])).is_ok());
        assert!(parse_key("too short").is_err());
        assert!(parse_key(&URL_SAFE_NO_PAD.encode([1u8; 31])).is_err());
        assert!(Keys::new(&key(1), &["".into(), key(2)]).is_ok());
        assert!(Keys::new(&key(1), &["nonsense".into()]).is_err());
        let debug = format!("{:?}", Keys::new(&key(1), &[key(2)]).unwrap());
        assert!(!debug.contains(&key(1)), "{debug}");
    }

    /// Rotation: values sealed under the old key still open once it is a previous key;
    /// re-sealing moves every value (and any plain one) to the new key, and without the old key
    /// the old values do not open at all.
    #[tokio::test]
    async fn rotating_the_key_reseals_everything() {
        for (db, _guard) in testing::all().await {
            let name = format!("{:?}", db.backend);
            let old = Keys::new(&key(1), &[]).unwrap();
            let mut conn = db.pool.acquire().await.unwrap();
            let mut ids = vec![];
            for (i, plain) in [true, false, false].into_iter().enumerate() {
                let id = crate::accounts::store::insert_user(
                    &mut conn,
                    &crate::accounts::store::NewUser {
                        organisation_id: None,
                        staff_role: Some("onboarding"),
                        email: &format!("k{i}@example.com"),
                        first_name: "K",
                        last_name: "Ey",
                        roles: "",
                        status: "active",
                        password_hash: None,
                    },
                    0,
                )
                .await
                .unwrap();
                let value = if plain {
                    "PLAINKEYFROMBEFORE".to_owned()
                } else {
                    old.seal(&totp_context(&id), &format!("SECRET{i}"))
                };
                sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
                    .bind(value)
                    .bind(&id)
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                ids.push(id);
            }
            drop(conn);
            let rotated = Keys::new(&key(2), &[key(1)]).unwrap();
            assert_eq!(reseal_all(&db, &rotated).await.unwrap(), 3, "{name}");
            assert_eq!(reseal_all(&db, &rotated).await.unwrap(), 0, "{name}");
            let only_new = Keys::new(&key(2), &[]).unwrap();
            for (i, id) in ids.iter().enumerate() {
                let (v,): (String,) = sqlx::query_as("SELECT totp_secret FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
                let want = if i == 0 {
                    "PLAINKEYFROMBEFORE".to_owned()
                } else {
                    format!("SECRET{i}")
                };
                assert_eq!(only_new.open(&totp_context(id), &v), Ok(want), "{name}");
                assert!(matches!(
                    old.open(&totp_context(id), &v),
                    Err(SealError::UnknownKey(_))
                ));
            }
            // A value sealed under a key that is not configured stops the pass.
            let stray = Keys::new(&key(3), &[]).unwrap();
            sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
                .bind(stray.seal(&totp_context(&ids[1]), "X"))
                .bind(&ids[1])
                .execute(&db.pool)
                .await
                .unwrap();
            assert!(matches!(
                reseal_all(&db, &only_new).await,
                Err(ResealError::Open(_))
            ));
        }
    }
}
