//! Email: a transactional outbox and a background sender.
//!
//! A change that causes an email writes the message into `outbox` in its own database
//! transaction ([`enqueue`]), so either both happen or neither does. The [`sender`] then delivers
//! due messages over SMTP (or, with no SMTP server configured, writes `.eml` files, and a `.txt`
//! copy of the text for the development page `/dev/emails`, under the data folder), retrying
//! with backoff until delivered. Once a message is sent (or cannot ever be), the one-time tokens
//! in its links are removed from the row ([`redact_links`]): the outbox keeps what was sent to
//! whom, not working activation or reset links.

pub mod sender;
pub mod templates;

use sqlx::AnyConnection;

/// Where mail comes from and how links in it start.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The sender, e.g. `no-reply@defence-access.example`: named in emails and on pages so users
    /// know what to look for (and can allow it through their junk filter).
    pub from_address: String,
    /// The display name for the sender.
    pub from_name: String,
    /// The service's public URL, without a trailing slash: links in emails start with it.
    pub public_url: String,
}

impl MailSettings {
    /// The domain of the sender address, used in `Message-ID`s.
    pub fn domain(&self) -> &str {
        self.from_address
            .rsplit_once('@')
            .map_or("localhost", |(_, d)| d)
    }
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// What kind of message (for the audit and the development page): `activation`, …
    pub kind: &'static str,
    /// The recipient's address.
    pub to: String,
    /// The user it is about, if any.
    pub user_id: Option<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

/// Writes a message into the outbox inside the caller's transaction; returns its id.
pub async fn enqueue(
    conn: &mut AnyConnection,
    settings: &MailSettings,
    email: &Email,
    now: i64,
) -> Result<String, sqlx::Error> {
    insert(conn, settings, email, None, now).await
}

/// A document from the document store ([`crate::objects`]) sent with a message. The sender
/// reads it when the message goes and sends it only if its SHA-256 is still this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Its key in the document store.
    pub key: String,
    /// The file name it is sent under.
    pub name: String,
    /// Its type.
    pub content_type: String,
    /// The hex SHA-256 its bytes must have.
    pub sha256: String,
}

/// Like [`enqueue`], with a document attached.
pub async fn enqueue_with_attachment(
    conn: &mut AnyConnection,
    settings: &MailSettings,
    email: &Email,
    attachment: &Attachment,
    now: i64,
) -> Result<String, sqlx::Error> {
    insert(conn, settings, email, Some(attachment), now).await
}

async fn insert(
    conn: &mut AnyConnection,
    settings: &MailSettings,
    email: &Email,
    attachment: Option<&Attachment>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4().simple(), settings.domain());
    sqlx::query(
        "INSERT INTO outbox (id, message_id, kind, to_address, user_id, subject, text_body, \
         html_body, created_at, attempts, next_attempt_at, attachment_key, attachment_name, \
         attachment_type, attachment_sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $9, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(&message_id)
    .bind(email.kind)
    .bind(&email.to)
    .bind(email.user_id.as_deref())
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .bind(now)
    .bind(attachment.map(|a| a.key.as_str()))
    .bind(attachment.map(|a| a.name.as_str()))
    .bind(attachment.map(|a| a.content_type.as_str()))
    .bind(attachment.map(|a| a.sha256.as_str()))
    .execute(&mut *conn)
    .await?;
    sender::wake();
    Ok(id)
}

/// What stands in a link's token once the message has gone.
pub const REDACTED: &str = "removed-once-sent";

/// `body` with the value of every `token=` parameter replaced by [`REDACTED`].
pub fn redact_links(body: &str) -> String {
    const KEY: &str = "token=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str(REDACTED);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// An outbox row as the development page and the tests see it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    /// The row's id.
    pub id: String,
    /// The `Message-ID` header.
    pub message_id: String,
    /// The kind of message.
    pub kind: String,
    /// The recipient.
    pub to_address: String,
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    pub text_body: String,
    /// The HTML part.
    pub html_body: String,
    /// When it was written.
    pub created_at: i64,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was delivered, if it has been.
    pub sent_at: Option<i64>,
    /// `smtp` or `file`.
    pub delivered_via: Option<String>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// The attached document's key in the document store, if one goes with it.
    pub attachment_key: Option<String>,
    /// Its file name.
    pub attachment_name: Option<String>,
    /// Its type.
    pub attachment_type: Option<String>,
    /// The SHA-256 its bytes must have.
    pub attachment_sha256: Option<String>,
}

const ROW: &str = "SELECT id, message_id, kind, to_address, subject, text_body, html_body, created_at, \
                   attempts, sent_at, delivered_via, last_error, attachment_key, attachment_name, \
                   attachment_type, attachment_sha256 FROM outbox";

/// The newest messages first.
pub async fn recent(db: &crate::db::Db, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query_as::<_, OutboxRow>(&format!("{ROW} ORDER BY created_at DESC, id LIMIT $1"))
        .bind(limit)
        .fetch_all(&db.pool)
        .await
}

/// One message by id.
pub async fn get(db: &crate::db::Db, id: &str) -> Result<Option<OutboxRow>, sqlx::Error> {
    sqlx::query_as::<_, OutboxRow>(&format!("{ROW} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_lose_their_tokens() {
        assert_eq!(
            redact_links("a https://x/activate?token=abc_D-9 b token= c ?token=x&lang=cy"),
            format!("a https://x/activate?token={REDACTED} b token= c ?token={REDACTED}&lang=cy")
        );
        assert_eq!(redact_links("no links here"), "no links here");
        assert_eq!(redact_links("token=end"), format!("token={REDACTED}"));
    }
}
