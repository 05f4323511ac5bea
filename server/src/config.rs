//! Configuration: command-line flags, each also readable from the environment, with defaults
//! that run on one machine.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::{net::SocketAddr, path::PathBuf};

/// Defence access to criminal cases: the web server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do (serving is the default).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrating the database first).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Migrate and load the demo data (the courts list shipped with the service). Idempotent.
    Seed {
        /// Also create demo accounts with a published password and authenticator key. For demos
        /// and tests only: never on a live service.
        #[arg(long)]
        demo_accounts: bool,
    },
    /// Manage the list of courts using the service.
    Courts {
        #[command(subcommand)]
        command: CourtsCommand,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The key that seals authenticator keys in the database.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Manage HMCTS staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

/// Secrets subcommands.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Print a new random key for SECRETS_KEY.
    NewKey,
    /// Re-seal every stored secret under SECRETS_KEY (after moving the old key to
    /// SECRETS_KEY_PREVIOUS); then the old key can be dropped.
    Rotate,
}

/// Staff subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create an HMCTS staff account and print a one-time activation link for it.
    Add {
        /// The staff role.
        #[arg(long, value_parser = ["onboarding"])]
        role: String,
        /// Their email address.
        #[arg(long)]
        email: String,
        /// First name.
        #[arg(long)]
        first_name: String,
        /// Last name.
        #[arg(long)]
        last_name: String,
    },
}

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that the audit trail is whole and unaltered: every event's MAC under AUDIT_KEY,
    /// every link, and the checkpoints written outside the database (so removed events are
    /// found). Names the first problem and exits with status 1 if there is one.
    Verify {
        /// Checkpoint files to check against (default: AUDIT_ANCHORS). Give one per instance.
        #[arg(long = "anchors")]
        anchors: Vec<PathBuf>,
        /// Check the chain alone, without checkpoints (removed newest events go unnoticed).
        #[arg(long)]
        no_anchors: bool,
    },
}

/// Courts subcommands.
#[derive(Debug, Subcommand)]
pub enum CourtsCommand {
    /// Add or update courts from a CSV file with columns name,region,go_live_date. Either every
    /// row is valid and all are saved, or every problem is listed and nothing is saved.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Settings shared by every subcommand.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub site_addr: SocketAddr,

    /// Folder holding the built site (pkg/ with the browser bundle, assets/, favicon).
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,

    /// Folder for the service's own files: the SQLite database and, later, documents and mail.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/NAME. Default: SQLite in DATA_DIR.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL: the owner's connection, used only to migrate and to grant DATABASE_URL's
    /// role what it needs (on the audit table, INSERT and SELECT only). Unset: DATABASE_URL
    /// migrates itself.
    #[arg(
        long,
        env = "MIGRATION_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub migration_database_url: Option<String>,

    /// Most database connections to keep open.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 8,
        global = true
    )]
    pub database_max_connections: u32,

    /// The address users reach the service at; https:// turns on HSTS.
    #[arg(
        long,
        env = "PUBLIC_URL",
        default_value = "http://localhost:3000",
        global = true
    )]
    pub public_url: String,

    /// Log format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Start the clock at this instant (RFC 3339, UTC), for tests and reproducible demos only.
    #[arg(long, env = "FIXED_NOW", global = true)]
    pub fixed_now: Option<String>,

    /// The address emails come from (named to users so they can find it and allow it).
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "no-reply@caseaccess.localhost",
        global = true
    )]
    pub mail_from: String,

    /// SMTP server for outgoing email: `smtp://host:port` (plain, loopback only),
    /// `smtp://user:pass@host:587?tls=required` or `smtps://host:465`. Without it, emails are
    /// written as `.eml` files under DATA_DIR/outbox.
    #[arg(long, env = "SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// Development tools: /dev/emails lists every email written (activation and reset links
    /// included) and /dev/now shows the clock, to anyone. For a developer's machine and the
    /// browser tests only: refused unless PUBLIC_URL is a loopback address.
    #[arg(
        long,
        env = "DEV_TOOLS",
        global = true,
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub dev_tools: bool,

    /// A folder holding a country database in MaxMind's GeoLite2-Country CSV format
    /// (`GeoLite2-Country-Blocks-IPv4.csv`, `-Blocks-IPv6.csv`, `-Locations-en.csv`). When set,
    /// only addresses in ALLOWED_COUNTRIES (or TRUSTED_NETWORKS, or loopback) may use the service.
    #[arg(long, env = "GEOIP_DIR", global = true)]
    pub geoip_dir: Option<PathBuf>,

    /// ISO country codes allowed when GEOIP_DIR is set (default: the UK and the EEA).
    #[arg(long, env = "ALLOWED_COUNTRIES", value_delimiter = ',', global = true)]
    pub allowed_countries: Vec<String>,

    /// The key that seals authenticator keys in the database: 32 bytes in base64 (`server
    /// secrets new-key` makes one). Keep it outside the database and its backups. Required,
    /// except with DEV_TOOLS, where a key is kept in DATA_DIR/dev-secrets.key.
    #[arg(long, env = "SECRETS_KEY", global = true, hide_env_values = true)]
    pub secrets_key: Option<String>,

    /// The key of the audit trail's MACs: 32 bytes in base64 (`server secrets new-key` makes
    /// one). Keep it outside the database. Required, except with DEV_TOOLS, where a key is kept
    /// in DATA_DIR/dev-audit.key.
    #[arg(long, env = "AUDIT_KEY", global = true, hide_env_values = true)]
    pub audit_key: Option<String>,

    /// Earlier audit keys, comma-separated: events they made still verify.
    #[arg(
        long,
        env = "AUDIT_KEY_PREVIOUS",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub audit_key_previous: Vec<String>,

    /// The append-only file the audit chain's checkpoints are written to (and `audit verify`
    /// reads). Default: DATA_DIR/audit-anchors.log. Keep it where the database's users cannot
    /// write, and back it up apart from the database.
    #[arg(long, env = "AUDIT_ANCHORS", global = true)]
    pub audit_anchors: Option<PathBuf>,

    /// Earlier keys, comma-separated, that still open what they sealed until `server secrets
    /// rotate` (and every start) re-seals it under SECRETS_KEY.
    #[arg(
        long,
        env = "SECRETS_KEY_PREVIOUS",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub secrets_key_previous: Vec<String>,

    /// Proxies and load balancers in front of the service, e.g. `10.0.0.0/8`: from a peer in
    /// these networks, `Forwarded` / `X-Forwarded-For` name the client (the rightmost hop not in
    /// them). Unset: the headers are ignored and the peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<String>,

    /// Networks that always pass the country check, e.g. `10.0.0.0/8,2001:db8::/32`.
    #[arg(long, env = "TRUSTED_NETWORKS", value_delimiter = ',', global = true)]
    pub trusted_networks: Vec<String>,
}

impl Config {
    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", self.data_dir.join("caseaccess.db").display())
        })
    }

    /// Whether the development tools are served: only when asked for, and only when the service
    /// is reached at a loopback address (anything else refuses to start).
    pub fn dev_tools(&self) -> Result<bool, String> {
        if !self.dev_tools {
            return Ok(false);
        }
        if !is_loopback_url(&self.public_url) {
            return Err(format!(
                "DEV_TOOLS would show every email (with activation and reset links) to anyone: \
                 it is only allowed when PUBLIC_URL is a loopback address, not {}",
                self.public_url
            ));
        }
        Ok(true)
    }

    /// The keys that seal secrets in the database. Without SECRETS_KEY the service refuses to
    /// start, unless the development tools are on: then a key kept in the data folder is used
    /// (made on first use).
    pub fn secret_keys(&self) -> Result<app::secrets::Keys, String> {
        let current = match self.secrets_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(k) => k.to_owned(),
            None if self.dev_tools()? => self.dev_secrets_key()?,
            None => {
                return Err(
                    "SECRETS_KEY is not set: authenticator keys are sealed with it. \
                     Make one with `server secrets new-key` and keep it outside the database"
                        .into(),
                );
            }
        };
        app::secrets::Keys::new(&current, &self.secrets_key_previous)
            .map_err(|e| format!("SECRETS_KEY: {e}"))
    }

    /// The audit trail's keys: like [`Config::secret_keys`], required unless the development
    /// tools are on.
    pub fn audit_keys(&self) -> Result<app::audit::AuditKeys, String> {
        let current = match self.audit_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(k) => k.to_owned(),
            None if self.dev_tools()? => self.dev_key("dev-audit.key")?,
            None => {
                return Err(
                    "AUDIT_KEY is not set: the audit trail's MACs are made with it. \
                     Make one with `server secrets new-key` and keep it outside the database"
                        .into(),
                );
            }
        };
        app::audit::AuditKeys::new(&current, &self.audit_key_previous)
            .map_err(|e| format!("AUDIT_KEY: {e}"))
    }

    /// Where the audit checkpoints go.
    pub fn audit_anchors(&self) -> PathBuf {
        self.audit_anchors
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-anchors.log"))
    }

    fn dev_secrets_key(&self) -> Result<String, String> {
        self.dev_key("dev-secrets.key")
    }

    fn dev_key(&self, name: &str) -> Result<String, String> {
        let path = self.data_dir.join(name);
        if let Ok(k) = std::fs::read_to_string(&path) {
            return Ok(k.trim().to_owned());
        }
        let k = app::secrets::new_key();
        std::fs::create_dir_all(&self.data_dir)
            .and_then(|()| std::fs::write(&path, &k))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(k)
    }

    /// Whether the service is served over HTTPS (and so sends HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Whether `url`'s host is `localhost` or a loopback address.
fn is_loopback_url(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // No credentials in the authority: `http://localhost@evil.example` is evil.example.
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secrets_key_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().display().to_string();
        let cli = Cli::try_parse_from(["server", "--data-dir", &data]).unwrap();
        assert!(
            cli.config
                .secret_keys()
                .unwrap_err()
                .contains("SECRETS_KEY is not set")
        );
        let key = app::secrets::new_key();
        let cli =
            Cli::try_parse_from(["server", "--data-dir", &data, "--secrets-key", &key]).unwrap();
        assert!(cli.config.secret_keys().is_ok());
        let cli =
            Cli::try_parse_from(["server", "--data-dir", &data, "--secrets-key", "short"]).unwrap();
        assert!(cli.config.secret_keys().is_err());
        // With the development tools, a key is made once in the data folder and kept.
        let cli = Cli::try_parse_from(["server", "--data-dir", &data, "--dev-tools"]).unwrap();
        let first = cli.config.secret_keys().unwrap();
        let again = cli.config.secret_keys().unwrap();
        assert_eq!(first.current_id(), again.current_id());
        assert!(dir.path().join("dev-secrets.key").is_file());
        // The audit key likewise.
        let cli = Cli::try_parse_from(["server", "--data-dir", &data]).unwrap();
        assert!(
            cli.config
                .audit_keys()
                .unwrap_err()
                .contains("AUDIT_KEY is not set")
        );
        let cli = Cli::try_parse_from(["server", "--data-dir", &data, "--dev-tools"]).unwrap();
        let audit = cli.config.audit_keys().unwrap();
        assert_ne!(audit.current.id(), first.current_id(), "a key of its own");
    }

    #[test]
    fn development_tools_are_off_unless_asked_for() {
        // No SMTP server is configured here: that alone once turned the tools on.
        let cli = Cli::try_parse_from(["server"]).unwrap();
        assert_eq!(cli.config.dev_tools(), Ok(false));
        let cli = Cli::try_parse_from(["server", "--dev-tools"]).unwrap();
        assert_eq!(cli.config.dev_tools(), Ok(true));
        let cli = Cli::try_parse_from(["server", "--dev-tools=false"]).unwrap();
        assert_eq!(cli.config.dev_tools(), Ok(false));
        for url in [
            "https://caseaccess.example",
            "http://10.0.0.1:3000",
            "http://localhost@evil.example",
            "http://localhost.evil.example",
        ] {
            let cli = Cli::try_parse_from(["server", "--dev-tools", "--public-url", url]).unwrap();
            assert!(cli.config.dev_tools().is_err(), "{url}");
        }
        for url in [
            "http://localhost:3000",
            "http://127.0.0.1:8080/",
            "http://[::1]:3000",
        ] {
            let cli = Cli::try_parse_from(["server", "--dev-tools", "--public-url", url]).unwrap();
            assert_eq!(cli.config.dev_tools(), Ok(true), "{url}");
        }
    }

    #[test]
    fn defaults_run_on_one_machine() {
        let cli = Cli::try_parse_from(["server"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.config.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(cli.config.database_url(), "sqlite://data/caseaccess.db");
        assert!(!cli.config.is_https());
    }

    #[test]
    fn flags_and_subcommands() {
        let cli = Cli::try_parse_from([
            "server",
            "courts",
            "import",
            "x.csv",
            "--database-url",
            "postgres://u@localhost/db",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Courts {
                command: CourtsCommand::Import { .. }
            })
        ));
        assert_eq!(cli.config.database_url(), "postgres://u@localhost/db");
    }
}
