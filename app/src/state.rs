//! What server functions and pages get from the server: the database, the clock, the assets.

use crate::{clock::Clock, db::Db, error::AppError};
use leptos::prelude::*;
use std::sync::Arc;

/// The browser bundle's file names under `/pkg` (hashed, so they can be cached for a year).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assets {
    /// The wasm-bindgen JavaScript module.
    pub js: String,
    /// The WebAssembly module.
    pub wasm: String,
    /// The stylesheet.
    pub css: String,
}

impl Assets {
    /// Reads `pkg/manifest.txt` (lines `js: NAME`, `wasm: NAME`, `css: NAME`) written by the build.
    pub fn parse_manifest(text: &str) -> Result<Assets, String> {
        let get = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty() && !v.contains(['/', '"', '<', '>']))
                .ok_or_else(|| format!("manifest has no valid `{key}` line"))
        };
        Ok(Assets {
            js: get("js")?,
            wasm: get("wasm")?,
            css: get("css")?,
        })
    }
}

/// Shared server state, provided to every render and server function.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The injected clock.
    pub clock: Arc<dyn Clock>,
    /// The built browser bundle.
    pub assets: Arc<Assets>,
    /// The courts list, kept in memory for a minute.
    pub courts: Arc<crate::courts::cache::CourtsCache>,
    /// The email sender address and the public URL for links.
    pub mail: Arc<crate::email::MailSettings>,
    /// Development pages (`/dev/emails`, `/dev/now`) are served: only with `DEV_TOOLS` on a
    /// loopback `PUBLIC_URL`.
    pub dev_tools: bool,
    /// The file outbox, when mail is written to files rather than sent (no SMTP server): the
    /// development page reads delivered messages from there, since the database forgets their
    /// links once they are sent.
    pub mailbox: Option<std::path::PathBuf>,
    /// The keys that seal authenticator keys in the database.
    pub secrets: Arc<crate::secrets::Keys>,
    /// Where case files are kept (`DATA_DIR/files`, named by their SHA-256: `crate::files`).
    pub files: std::path::PathBuf,
    /// Where uploaded documents are kept (`crate::objects`: the filesystem or S3).
    pub objects: crate::objects::Objects,
    /// The virus scanner every upload waits for; none: scanning is configured off.
    pub scanner: Option<crate::scan::Scanner>,
    /// Where the Legal Aid Agency is told of each change of the firm on record for a defendant
    /// (`LAA_EMAIL`: required; the service does not start without it).
    pub laa_address: String,
    /// The largest document an upload may be (`UPLOAD_LIMIT`).
    pub upload_limit: u64,
    /// How often a live stream looks its session up again ([`crate::LIVE_RECHECK`]: 30 s; less in
    /// tests).
    pub live_recheck: std::time::Duration,
    /// Where a served document's notices go: the CPS (`CPS_EMAIL`) and the HMCTS service
    /// centre (`SERVICE_CENTRE_EMAIL`), both required.
    pub notices: Arc<crate::cases::notices::Notices>,
}

impl AppState {
    /// Seals a user's authenticator key for `users.totp_secret`.
    pub fn seal_totp(&self, user_id: &str, key: &str) -> String {
        self.secrets
            .seal(&crate::secrets::totp_context(user_id), key)
    }

    /// Opens a user's stored authenticator key; a value that does not open is an internal error
    /// (logged), never used.
    pub fn open_totp(&self, user_id: &str, sealed: &str) -> Result<String, AppError> {
        self.secrets
            .open(&crate::secrets::totp_context(user_id), sealed)
            .map_err(AppError::internal)
    }

    /// Seals the authenticator key a user is setting up, for `sessions.pending_totp`.
    pub fn seal_pending(&self, user_id: &str, key: &str) -> String {
        self.secrets
            .seal(&crate::secrets::pending_context(user_id), key)
    }

    /// Opens the authenticator key a user is setting up.
    pub fn open_pending(&self, user_id: &str, sealed: &str) -> Result<String, AppError> {
        self.secrets
            .open(&crate::secrets::pending_context(user_id), sealed)
            .map_err(AppError::internal)
    }
}

/// The server state from the reactive context (present in every server render and call).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

/// Server state for tests: a database, a fixed clock at `now`, and placeholder assets.
/// The mail settings tests use.
#[cfg(test)]
pub fn test_mail() -> crate::email::MailSettings {
    crate::email::MailSettings {
        from_address: "no-reply@test.example".into(),
        from_name: "Test".into(),
        public_url: "http://localhost:3000".into(),
    }
}

#[cfg(test)]
pub fn for_tests(db: Db, now: i64) -> AppState {
    AppState {
        db,
        clock: Arc::new(crate::clock::FixedClock(now)),
        assets: Arc::new(Assets {
            js: "a.js".into(),
            wasm: "a.wasm".into(),
            css: "a.css".into(),
        }),
        courts: Arc::default(),
        mail: Arc::new(test_mail()),
        dev_tools: false,
        mailbox: None,
        secrets: Arc::new(crate::secrets::Keys::for_tests()),
        files: std::env::temp_dir().join("caseaccess-test-files"),
        objects: crate::objects::Objects::file_system(
            &std::env::temp_dir().join(format!("caseaccess-test-objects-{}", uuid::Uuid::new_v4())),
        )
        .expect("a test document folder"),
        scanner: None,
        laa_address: "laa-notifications@laa.example".into(),
        upload_limit: crate::cases::upload::DEFAULT_LIMIT,
        live_recheck: crate::LIVE_RECHECK,
        notices: Arc::new(crate::cases::notices::Notices::for_tests()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_manifest() {
        let a = Assets::parse_manifest(
            "js: caseaccess.1a2b.js\nwasm: caseaccess.3c4d.wasm\ncss: caseaccess.5e.css\n",
        )
        .unwrap();
        assert_eq!(a.js, "caseaccess.1a2b.js");
        assert_eq!(a.css, "caseaccess.5e.css");
        assert!(Assets::parse_manifest("js: a.js\nwasm: b.wasm\n").is_err());
        assert!(Assets::parse_manifest("js: ../evil.js\nwasm: b.wasm\ncss: c.css").is_err());
    }
}
