//! The background sender: delivers due outbox messages, at least once, retrying with backoff.
//!
//! Each message is first claimed with a conditional update (so two server processes never send
//! the same message at once), then sent, then marked sent. With the SMTP server down, messages
//! stay in the outbox and go out once it is back.

use super::{MailSettings, OutboxRow};
use crate::{clock::Clock, db::Db};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Attachment as LettreAttachment, Mailbox, MultiPart, header::ContentType},
};
use std::{path::PathBuf, sync::Arc, sync::LazyLock, time::Duration};
use tokio::sync::Notify;

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Tells the sender there is new mail (it also looks every few seconds).
pub fn wake() {
    WAKE.notify_one();
}

/// How messages leave.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server (`smtp://host:port`, `smtps://…`, or `smtp://…?tls=required`).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder: the default with no SMTP server, for development and demos.
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Files(p) => write!(f, "Transport::Files({})", p.display()),
        }
    }
}

impl Transport {
    /// SMTP when a URL is given, otherwise files under `dir`.
    pub fn new(smtp_url: Option<&str>, dir: PathBuf) -> Result<Transport, String> {
        match smtp_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Transport::Smtp(b.timeout(Some(Duration::from_secs(15))).build()))
                .map_err(|e| format!("SMTP_URL: {e}")),
            None => Ok(Transport::Files(dir)),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Transport::Smtp(_) => "smtp",
            Transport::Files(_) => "file",
        }
    }
}

/// Seconds to wait before attempt `attempts + 1`: 30 s doubling to an hour.
pub fn backoff(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 8) - 1;
    (30_i64 << exp).min(3600)
}

/// How long a claimed message is left alone before another sender may try it.
const CLAIM_SECS: i64 = 120;

/// The sender.
#[derive(Clone, Debug)]
pub struct Sender {
    /// The database holding the outbox.
    pub db: Db,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The sender address and public URL.
    pub settings: Arc<MailSettings>,
    /// How messages leave.
    pub transport: Transport,
    /// Where attached documents are read from.
    pub objects: Option<crate::objects::Objects>,
}

/// The most bytes an attachment may have when it is read to be sent (the CPS limit is
/// checked when the email is written; this guards the sender's memory whatever the setting).
const ATTACHMENT_READ_MAX: usize = 64 << 20;

impl Sender {
    /// Delivers due messages until the process ends.
    pub async fn run(self) {
        loop {
            let result = self.deliver_due().await;
            crate::metrics::metrics().job("outbox_sender", result.is_ok());
            match result {
                Ok(n) if n > 0 => tracing::info!(delivered = n, "outbox"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox: could not read the outbox"),
            }
            tokio::select! {
                () = WAKE.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    }

    /// One pass: tries every due message once; returns how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let now = self.clock.now_unix();
        let due: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, created_at LIMIT 50",
        )
        .bind(now)
        .fetch_all(&self.db.pool)
        .await?;
        let mut delivered = 0;
        for (id,) in due {
            let claimed = sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1 \
                 WHERE id = $2 AND sent_at IS NULL AND next_attempt_at <= $3",
            )
            .bind(now + CLAIM_SECS)
            .bind(&id)
            .bind(now)
            .execute(&self.db.pool)
            .await?
            .rows_affected();
            if claimed != 1 {
                continue;
            }
            let Some(row) = super::get(&self.db, &id).await? else {
                continue;
            };
            match self.deliver(&row, now).await {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE outbox SET sent_at = $1, delivered_via = $2, \
                         attempts = attempts + 1, last_error = NULL, text_body = $3, \
                         html_body = $4 WHERE id = $5",
                    )
                    .bind(self.clock.now_unix())
                    .bind(self.transport.name())
                    .bind(super::redact_links(&row.text_body))
                    .bind(super::redact_links(&row.html_body))
                    .bind(&id)
                    .execute(&self.db.pool)
                    .await?;
                    if row.attachment_key.is_some() {
                        crate::accounts::store::Who::system()
                            .audit_alone(
                                &self.db,
                                "email.document_delivered",
                                Some(format!("outbox:{id}")),
                                serde_json::json!({ "kind": row.kind, "to": row.to_address,
                                    "sha256": row.attachment_sha256, "via": self.transport.name() }),
                                self.clock.now_unix(),
                            )
                            .await?;
                    }
                    delivered += 1;
                }
                Err(Failure::Retry(e)) => {
                    let next = now + backoff(row.attempts + 1);
                    tracing::warn!(id = %id, attempt = row.attempts + 1, error = %e, "outbox: delivery failed; will retry");
                    sqlx::query(
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, \
                         last_error = $2 WHERE id = $3",
                    )
                    .bind(next)
                    .bind(e)
                    .bind(&id)
                    .execute(&self.db.pool)
                    .await?;
                }
                Err(Failure::Permanent(e)) => {
                    tracing::error!(id = %id, error = %e, "outbox: message cannot be delivered");
                    sqlx::query(
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, \
                         last_error = $2, text_body = $3, html_body = $4 WHERE id = $5",
                    )
                    .bind(i64::from(i32::MAX))
                    .bind(format!("undeliverable: {e}"))
                    .bind(super::redact_links(&row.text_body))
                    .bind(super::redact_links(&row.html_body))
                    .bind(&id)
                    .execute(&self.db.pool)
                    .await?;
                }
            }
        }
        Ok(delivered)
    }

    /// The attached document's bytes, read from the store and checked against its SHA-256.
    async fn attachment(&self, row: &OutboxRow) -> Result<Option<Vec<u8>>, Failure> {
        use futures_util::StreamExt as _;
        use sha2::{Digest, Sha256};
        let Some(key) = &row.attachment_key else {
            return Ok(None);
        };
        let objects = self.objects.as_ref().ok_or_else(|| {
            Failure::Retry("no document store to read the attachment from".into())
        })?;
        let mut stream = objects
            .get(key, None)
            .await
            .map_err(|e| Failure::Retry(format!("the attachment: {e}")))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Failure::Retry(format!("the attachment: {e}")))?;
            if bytes.len() + chunk.len() > ATTACHMENT_READ_MAX {
                return Err(Failure::Permanent("the attachment is too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if Some(digest.as_str()) != row.attachment_sha256.as_deref() {
            return Err(Failure::Permanent(
                "the stored document's SHA-256 is not the receipt's: not sent".into(),
            ));
        }
        Ok(Some(bytes))
    }

    async fn deliver(&self, row: &OutboxRow, now: i64) -> Result<(), Failure> {
        let attachment = self.attachment(row).await?;
        let message = build(&self.settings, row, attachment, now).map_err(Failure::Permanent)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| Failure::Retry(e.to_string())),
            Transport::Files(dir) => {
                let bytes = message.formatted();
                let dir = dir.clone();
                let (eml, txt) = (file_name(row, "eml"), file_name(row, "txt"));
                let text = row.text_body.clone().into_bytes();
                tokio::task::spawn_blocking(move || {
                    // The text copy first: the `.eml` is what marks the message delivered.
                    write_atomically(&dir, &txt, &text)?;
                    write_atomically(&dir, &eml, &bytes)
                })
                .await
                .map_err(|e| Failure::Retry(e.to_string()))?
                .map_err(|e| Failure::Retry(e.to_string()))
            }
        }
    }
}

enum Failure {
    Retry(String),
    Permanent(String),
}

/// The name of a delivered message's file in the file outbox.
pub fn file_name(row: &OutboxRow, extension: &str) -> String {
    format!("{}-{}.{extension}", row.created_at, row.id)
}

fn write_atomically(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, dir.join(name))
}

/// The message as sent: plain text and HTML alternatives, with `Message-ID`, `Date` and `From`,
/// and the attached document's bytes after them when there is one.
pub fn build(
    settings: &MailSettings,
    row: &OutboxRow,
    attachment: Option<Vec<u8>>,
    now: i64,
) -> Result<Message, String> {
    let from = Mailbox::new(
        Some(settings.from_name.clone()),
        settings
            .from_address
            .parse()
            .map_err(|e| format!("from address: {e}"))?,
    );
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| format!("to address: {e}"))?;
    let date = std::time::UNIX_EPOCH + Duration::from_secs(now.max(0) as u64);
    let body = MultiPart::alternative_plain_html(row.text_body.clone(), row.html_body.clone());
    let body = match attachment {
        None => body,
        Some(bytes) => {
            let content_type = ContentType::parse(
                row.attachment_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
            )
            .map_err(|e| format!("attachment type: {e}"))?;
            let name = row
                .attachment_name
                .clone()
                .unwrap_or_else(|| "document".into());
            MultiPart::mixed()
                .multipart(body)
                .singlepart(LettreAttachment::new(name).body(bytes, content_type))
        }
    };
    Message::builder()
        .message_id(Some(row.message_id.clone()))
        .date(date)
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .multipart(body)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        clock::ManualClock,
        db::testing,
        email::{Email, enqueue},
    };
    use std::{
        net::{Ipv4Addr, TcpListener, TcpStream},
        path::Path,
        process::{Child, Command, Stdio},
        time::Instant,
    };

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(3), 120);
        assert_eq!(backoff(7), 1920);
        assert_eq!(backoff(8), 3600);
        assert_eq!(backoff(50), 3600);
    }

    const T0: i64 = 1_795_251_600; // 21 November 2026, 09:00 UTC

    /// A Python interpreter that can import `aiosmtpd` (Debian's `python3-aiosmtpd`), if any.
    /// `/usr/bin/python3` is tried too, in case another `python3` (pyenv, a venv) comes first.
    fn python_with_aiosmtpd() -> Option<&'static str> {
        ["python3", "/usr/bin/python3"].into_iter().find(|py| {
            Command::new(py)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
    }

    /// A port nothing listens on (just now).
    fn free_port() -> u16 {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
        l.local_addr().expect("local address").port()
    }

    /// A real SMTP server on loopback, storing what it receives in a maildir; killed on drop,
    /// so also when an assertion fails.
    struct SmtpServer(Child);

    impl SmtpServer {
        fn start(python: &str, port: u16, maildir: &Path) -> SmtpServer {
            let child = Command::new(python)
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start aiosmtpd");
            let mut server = SmtpServer(child);
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
                if let Ok(Some(status)) = server.0.try_wait() {
                    panic!("aiosmtpd exited before listening on port {port}: {status}");
                }
                assert!(
                    Instant::now() < deadline,
                    "aiosmtpd did not listen on port {port} within 10 s"
                );
                std::thread::sleep(Duration::from_millis(25));
            }
            server
        }
    }

    impl Drop for SmtpServer {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// The messages delivered to a maildir, as raw text.
    fn mailbox(maildir: &Path) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.expect("maildir entry").path()).expect("read"))
            .collect()
    }

    /// A header's value (unfolded), by case-insensitive name.
    fn header(message: &str, name: &str) -> Option<String> {
        let head = message.replace("\r\n", "\n");
        let head = head
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .replace("\n ", " ");
        let head = head.replace("\n\t", " ");
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    async fn next_attempt_at(db: &Db, id: &str) -> i64 {
        sqlx::query_as::<_, (i64,)>("SELECT next_attempt_at FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .0
    }

    /// The defect review found: outbox rows kept working activation and reset links forever.
    /// Once a message is delivered, the row keeps it without the link's token; the mailbox (here
    /// the file outbox) has the whole message.
    #[tokio::test]
    async fn a_sent_message_keeps_no_working_link() {
        let (db, dir) = testing::sqlite().await;
        let files = dir.path().join("outbox");
        let settings = Arc::new(MailSettings {
            from_address: "no-reply@test.example".into(),
            from_name: "Test".into(),
            public_url: "https://caseaccess.test".into(),
        });
        let sender = Sender {
            db: db.clone(),
            clock: Arc::new(ManualClock::new(T0)),
            settings: settings.clone(),
            transport: Transport::new(None, files.clone()).expect("file transport"),
            objects: None,
        };
        let token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
        let link = format!("https://caseaccess.test/activate?token={token}");
        let mut tx = db.begin().await.unwrap();
        let id = enqueue(
            &mut tx,
            &settings,
            &Email {
                kind: "activation",
                to: "ann.example@example.com".into(),
                user_id: None,
                subject: "Activate your account".into(),
                text: format!("Open this link:\n{link}\nIt lasts 7 days."),
                html: format!("<p><a href=\"{link}\">{link}</a></p>"),
            },
            T0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(sender.deliver_due().await.unwrap(), 1);
        let row = super::super::get(&db, &id).await.unwrap().unwrap();
        assert!(row.sent_at.is_some());
        for body in [&row.text_body, &row.html_body] {
            assert!(!body.contains(token), "{body}");
            assert!(
                body.contains(&format!("activate?token={}", super::super::REDACTED)),
                "{body}"
            );
        }
        assert!(
            row.text_body.ends_with("It lasts 7 days."),
            "the rest is kept"
        );
        let copy = std::fs::read_to_string(files.join(file_name(&row, "txt"))).unwrap();
        assert!(copy.contains(&link), "{copy}");
        assert!(files.join(file_name(&row, "eml")).is_file());
    }

    #[tokio::test]
    async fn no_email_is_lost_while_the_smtp_server_is_down() {
        let Some(python) = python_with_aiosmtpd() else {
            assert!(
                std::env::var_os("REQUIRE_SMTP_TEST").is_none(),
                "REQUIRE_SMTP_TEST is set but python3 cannot import aiosmtpd: \
                 install python3-aiosmtpd (scripts/setup --test does)"
            );
            eprintln!("python3-aiosmtpd not installed: SMTP delivery test skipped");
            return;
        };
        let (db, dir) = testing::sqlite().await;
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let clock = Arc::new(ManualClock::new(T0));
        let settings = Arc::new(MailSettings {
            from_address: "no-reply@test.example".into(),
            from_name: "Test".into(),
            public_url: "https://caseaccess.test".into(),
        });
        let transport = Transport::new(
            Some(&format!("smtp://127.0.0.1:{port}")),
            dir.path().join("unused"),
        )
        .expect("SMTP transport");
        let sender = Sender {
            db: db.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
            transport,
            objects: None,
        };
        let mut tx = db.begin().await.unwrap();
        let id = enqueue(
            &mut tx,
            &settings,
            &Email {
                kind: "activation",
                to: "ann.example@example.com".into(),
                user_id: None,
                subject: "Activate your account".into(),
                text: "Follow the link.".into(),
                html: "<p>Follow the link.</p>".into(),
            },
            T0,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        // 1. The server is down: the attempt fails and the message stays, due again later.
        assert_eq!(sender.deliver_due().await.unwrap(), 0);
        let row = super::super::get(&db, &id)
            .await
            .unwrap()
            .expect("row kept");
        assert_eq!(row.attempts, 1);
        assert_eq!(row.sent_at, None);
        assert_eq!(row.delivered_via, None);
        assert!(row.last_error.is_some(), "the failure is recorded");
        let retry_at = next_attempt_at(&db, &id).await;
        assert_eq!(retry_at, T0 + backoff(1), "retried after the backoff");
        assert!(retry_at > clock.now_unix());
        // Not due yet: another pass leaves it alone.
        clock.advance(backoff(1) - 1);
        assert_eq!(sender.deliver_due().await.unwrap(), 0);
        assert_eq!(
            super::super::get(&db, &id).await.unwrap().unwrap().attempts,
            1
        );
        assert!(mailbox(&maildir).is_empty());

        // 2. The server is back and the backoff has passed: delivered, once.
        let _server = SmtpServer::start(python, port, &maildir);
        clock.advance(1);
        assert_eq!(sender.deliver_due().await.unwrap(), 1);
        let row = super::super::get(&db, &id).await.unwrap().unwrap();
        assert_eq!(row.sent_at, Some(T0 + backoff(1)));
        assert_eq!(row.delivered_via.as_deref(), Some("smtp"));
        assert_eq!(row.attempts, 2);
        assert_eq!(row.last_error, None);
        let received = mailbox(&maildir);
        assert_eq!(received.len(), 1, "exactly one message: {received:?}");
        let m = &received[0];
        assert_eq!(header(m, "To").as_deref(), Some("ann.example@example.com"));
        assert_eq!(
            header(m, "Subject").as_deref(),
            Some("Activate your account")
        );
        assert_eq!(header(m, "Message-ID"), Some(row.message_id.clone()));
        assert!(row.message_id.ends_with("@test.example>"));
        assert!(m.contains("Follow the link."));

        // 3. Later passes do not send it again.
        clock.advance(3600);
        assert_eq!(sender.deliver_due().await.unwrap(), 0);
        clock.advance(86_400);
        assert_eq!(sender.deliver_due().await.unwrap(), 0);
        assert_eq!(mailbox(&maildir).len(), 1, "sent once");
        assert_eq!(
            super::super::get(&db, &id).await.unwrap().unwrap().attempts,
            2
        );
    }
}
