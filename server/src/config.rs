//! Configuration: command-line flags, each also readable from the environment, with defaults
//! that run on one machine.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::{net::SocketAddr, path::PathBuf};

/// Defence access to criminal cases: the web server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line; with no command, `serve` is meant (`server --port …` too).
    pub fn parse_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Cli, clap::Error> {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
        let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
        let named = <Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .any(|c| c.get_name() == first)
            || matches!(first, "help" | "-h" | "--help" | "-V" | "--version");
        if !named {
            args.insert(1.min(args.len()), "serve".into());
        }
        Cli::try_parse_from(args)
    }

    /// The log format the command asked for.
    pub fn log_format(&self) -> LogFormat {
        self.command
            .config()
            .map_or(LogFormat::Text, |c| c.log_format)
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrating the database first). The default.
    Serve(Box<ServeArgs>),
    /// Bring the database schema up to date, then exit.
    Migrate(Config),
    /// Migrate and load the demo data (the courts list shipped with the service). Idempotent.
    Seed {
        /// Also create demo accounts with a published password and authenticator key. For demos
        /// and tests only: never on a live service.
        #[arg(long)]
        demo_accounts: bool,
        /// Also load this many synthetic demo cases (deterministic; hearings from today on, an
        /// IDPC PDF per defendant), prosecuted by a demo CPS. Cases already there are updated.
        #[arg(long, value_name = "N")]
        demo_cases: Option<usize>,
        /// Shape the demo cases for the benchmark's million (docs/benchmarks.md): two
        /// defendants per case on average, and one generic IDPC PDF shared by every defendant
        /// (one stored file instead of millions).
        #[arg(long, requires = "demo_cases")]
        bench: bool,
        #[command(flatten)]
        config: Config,
        #[command(flatten)]
        secrets: SecretsArgs,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Add or update cases from a prosecution import (docs/prosecution-import.md): one case, or
    /// {"cases": [...]}. Either the whole document is valid and saved, or every problem is
    /// listed (JSON path and reason) and nothing is saved.
    Import {
        /// The JSON file.
        file: PathBuf,
        #[command(flatten)]
        config: Config,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Manage the prosecuting authorities that may send cases.
    Prosecutors {
        #[command(subcommand)]
        command: ProsecutorsCommand,
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
    /// One pass of the document store's clean-up (the server runs it every 10 minutes): ends
    /// expired resumable uploads, removes the parts of finished ones, and removes objects no
    /// record points at and writes a crash left unfinished, once older than the grace period.
    CleanUp {
        /// The grace period in seconds: an object without a record is removed only once this
        /// old (a write on its way to being recorded is younger).
        #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
        older_than: i64,
        #[command(flatten)]
        config: Config,
        #[command(flatten)]
        web: Box<WebConfig>,
    },
}

impl Command {
    /// The database settings the command runs with (none for `secrets new-key`).
    pub fn config(&self) -> Option<&Config> {
        match self {
            Command::Serve(a) => Some(&a.config),
            Command::Migrate(config)
            | Command::Seed { config, .. }
            | Command::Courts {
                command: CourtsCommand::Import { config, .. },
            }
            | Command::Import { config, .. }
            | Command::Prosecutors {
                command:
                    ProsecutorsCommand::Add { config, .. }
                    | ProsecutorsCommand::KeyCreate { config, .. }
                    | ProsecutorsCommand::KeyRevoke { config, .. }
                    | ProsecutorsCommand::Keys { config },
            }
            | Command::Audit {
                command: AuditCommand::Verify { config, .. },
            }
            | Command::Secrets {
                command: SecretsCommand::Rotate { config, .. },
            }
            | Command::Staff {
                command: StaffCommand::Add { config, .. },
            }
            | Command::CleanUp { config, .. } => Some(config),
            Command::Secrets {
                command: SecretsCommand::NewKey,
            } => None,
        }
    }
}

/// Everything the web server reads.
#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: Config,
    #[command(flatten)]
    pub secrets: SecretsArgs,
    #[command(flatten)]
    pub web: WebConfig,
}

/// Secrets subcommands.
// Parsed once at start-up: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Print a new random key for SECRETS_KEY.
    NewKey,
    /// Re-seal every stored secret under SECRETS_KEY (after moving the old key to
    /// SECRETS_KEY_PREVIOUS); then the old key can be dropped.
    Rotate {
        #[command(flatten)]
        config: Config,
        #[command(flatten)]
        secrets: SecretsArgs,
    },
}

/// Staff subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create an HMCTS staff account and print a one-time activation link for it.
    Add {
        /// The staff role.
        #[arg(long, value_parser = ["onboarding", "laa", "service_centre", "court"])]
        role: String,
        /// Court staff: the court they work at (its name, as the courts list has it).
        #[arg(long, required_if_eq("role", "court"))]
        court: Option<String>,
        /// Their email address.
        #[arg(long)]
        email: String,
        /// First name.
        #[arg(long)]
        first_name: String,
        /// Last name.
        #[arg(long)]
        last_name: String,
        #[command(flatten)]
        config: Config,
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
        #[command(flatten)]
        config: Config,
    },
}

/// Prosecuting authority subcommands.
#[derive(Debug, Subcommand)]
pub enum ProsecutorsCommand {
    /// Add a prosecuting authority (or change its name and email).
    Add {
        /// Its code, as imports name it (e.g. CPS).
        code: String,
        /// Its name.
        name: String,
        /// Where defence requests to it (the IDPC, for example) are emailed.
        email: String,
        #[command(flatten)]
        config: Config,
    },
    /// Make an API key for an authority's system to send cases (POST /api/prosecution/cases).
    /// The key is printed once; only a hash of it is kept.
    KeyCreate {
        /// The authority's code.
        code: String,
        /// What the key is for, e.g. "CPS case management, production".
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        config: Config,
    },
    /// Revoke an API key at once (by the id `key-create` printed, or `keys` lists).
    KeyRevoke {
        /// The key's id.
        id: String,
        #[command(flatten)]
        config: Config,
    },
    /// List the API keys: id, authority, label, created, revoked, last used.
    Keys {
        #[command(flatten)]
        config: Config,
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
        #[command(flatten)]
        config: Config,
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

/// Settings of every command that opens the database: where it is, how to reach it, the audit
/// trail's keys, and the public address (links, and whether the development tools may run).
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Folder for the service's own files: the SQLite database and, later, documents and mail.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/NAME. Default: SQLite in DATA_DIR.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL: the owner's connection, used only to migrate and to grant DATABASE_URL's
    /// role what it needs (on the audit table, INSERT and SELECT only). Unset: DATABASE_URL
    /// migrates itself.
    #[arg(long, env = "MIGRATION_DATABASE_URL", hide_env_values = true)]
    pub migration_database_url: Option<String>,

    /// Most database connections to keep open.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 8)]
    pub database_max_connections: u32,

    /// The address users reach the service at; https:// turns on HSTS.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://localhost:3000")]
    pub public_url: String,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Start the clock at this instant (RFC 3339, UTC), for tests and reproducible demos only.
    #[arg(long, env = "FIXED_NOW")]
    pub fixed_now: Option<String>,

    /// Development tools: /dev/emails lists every email written (activation and reset links
    /// included) and /dev/now shows the clock, to anyone. For a developer's machine and the
    /// browser tests only: refused unless PUBLIC_URL is a loopback address.
    #[arg(
        long,
        env = "DEV_TOOLS",
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub dev_tools: bool,

    /// The key of the audit trail's MACs: 32 bytes in base64 (`server secrets new-key` makes
    /// one). Keep it outside the database. Required, except with DEV_TOOLS, where a key is kept
    /// in DATA_DIR/dev-audit.key.
    #[arg(long, env = "AUDIT_KEY", hide_env_values = true)]
    pub audit_key: Option<String>,

    /// Earlier audit keys, comma-separated: events they made still verify.
    #[arg(
        long,
        env = "AUDIT_KEY_PREVIOUS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub audit_key_previous: Vec<String>,

    /// The append-only file the audit chain's checkpoints are written to (and `audit verify`
    /// reads). Default: DATA_DIR/audit-anchors.log. Keep it where the database's users cannot
    /// write, and back it up apart from the database.
    #[arg(long, env = "AUDIT_ANCHORS")]
    pub audit_anchors: Option<PathBuf>,
}

/// The key that seals secrets in the database (the web server, the demo seed, rotation).
#[derive(Clone, Debug, Args)]
pub struct SecretsArgs {
    /// The key that seals authenticator keys in the database: 32 bytes in base64 (`server
    /// secrets new-key` makes one). Keep it outside the database and its backups. Required,
    /// except with DEV_TOOLS, where a key is kept in DATA_DIR/dev-secrets.key.
    #[arg(long, env = "SECRETS_KEY", hide_env_values = true)]
    pub secrets_key: Option<String>,

    /// Earlier keys, comma-separated, that still open what they sealed until `server secrets
    /// rotate` (and every start) re-seals it under SECRETS_KEY.
    #[arg(
        long,
        env = "SECRETS_KEY_PREVIOUS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub secrets_key_previous: Vec<String>,
}

/// How emails are addressed, for the commands that write to the outbox (the service, and the
/// imports that tell firms of new material).
#[derive(Clone, Debug, Args)]
pub struct MailArgs {
    /// The address emails come from (named to users so they can find it and allow it).
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "no-reply@caseaccess.localhost"
    )]
    pub mail_from: String,
}

impl MailArgs {
    /// The settings emails are composed with; their links start with PUBLIC_URL.
    pub fn settings(&self, config: &Config) -> app::email::MailSettings {
        app::email::MailSettings {
            from_address: self.mail_from.clone(),
            from_name: "Defence access to criminal cases".into(),
            public_url: config.public_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// The web server's own settings.
#[derive(Clone, Debug, Args)]
pub struct WebConfig {
    #[command(flatten)]
    pub mail: MailArgs,
    /// Where uploaded documents are kept: `filesystem` (under DATA_DIR/objects, the default) or
    /// `s3`, an S3-compatible store, for several instances without a shared disk (then
    /// S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are all
    /// required).
    #[arg(long, env = "STORAGE", default_value = "filesystem")]
    pub storage: String,

    /// ClamAV's daemon, which scans every upload before it is served: `host:port` or
    /// `unix:/path/to/clamd.ctl`. Required unless SCANNING=off (or the development tools are
    /// on, where scanning is off without it).
    #[arg(long, env = "CLAMD_ADDRESS")]
    pub clamd_address: Option<String>,

    /// `off` to run without virus scanning (uploads are then marked "not checked for viruses"
    /// wherever they are shown). Any other value is refused.
    #[arg(long, env = "SCANNING")]
    pub scanning: Option<String>,

    /// The S3-compatible store's endpoint (`https://…`; plain `http://` only on loopback).
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The bucket documents are kept in.
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The store's region.
    #[arg(long, env = "S3_REGION")]
    pub s3_region: Option<String>,

    /// The access key id.
    #[arg(long, env = "S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,

    /// The secret access key.
    #[arg(long, env = "S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// Address and port to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,

    /// Folder holding the built site (pkg/ with the browser bundle, assets/, favicon).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Where the Legal Aid Agency is emailed each change of the firm on record for a defendant.
    /// Required (the service does not start without it), except with DEV_TOOLS, where
    /// `laa@caseaccess.localhost` is used.
    #[arg(long, env = "LAA_EMAIL")]
    pub laa_email: Option<String>,

    /// Where documents a defence firm serves with "Send to CPS" ticked are emailed. Required,
    /// except with DEV_TOOLS, where `cps@caseaccess.localhost` is used.
    #[arg(long, env = "CPS_EMAIL")]
    pub cps_email: Option<String>,

    /// Where the HMCTS service centre is emailed of defence documents that may need action
    /// (plea, applications, general correspondence). Required, except with DEV_TOOLS, where
    /// `service-centre@caseaccess.localhost` is used.
    #[arg(long, env = "SERVICE_CENTRE_EMAIL")]
    pub service_centre_email: Option<String>,

    /// Documents sent to the CPS up to this many bytes go attached; larger ones as a link that
    /// works for 14 days.
    #[arg(long, env = "CPS_ATTACH_MAX", default_value_t = app::cases::notices::ATTACH_MAX)]
    pub cps_attach_max: u64,

    /// The largest document an upload may be: bytes, or a number with KiB, MiB or GiB
    /// (from 1 MiB to 64 GiB).
    #[arg(long, env = "UPLOAD_LIMIT", default_value = "512MiB", value_parser = upload_limit)]
    pub upload_limit: u64,

    /// SMTP server for outgoing email: `smtp://host:port` (plain, loopback only),
    /// `smtp://user:pass@host:587?tls=required` or `smtps://host:465`. Without it, emails are
    /// written as `.eml` files under DATA_DIR/outbox.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,

    /// A folder holding a country database in MaxMind's GeoLite2-Country CSV format
    /// (`GeoLite2-Country-Blocks-IPv4.csv`, `-Blocks-IPv6.csv`, `-Locations-en.csv`). When set,
    /// only addresses in ALLOWED_COUNTRIES (or TRUSTED_NETWORKS, or loopback) may use the service.
    #[arg(long, env = "GEOIP_DIR")]
    pub geoip_dir: Option<PathBuf>,

    /// ISO country codes allowed when GEOIP_DIR is set (default: the UK and the EEA).
    #[arg(long, env = "ALLOWED_COUNTRIES", value_delimiter = ',')]
    pub allowed_countries: Vec<String>,

    /// Networks that always pass the country check, e.g. `10.0.0.0/8,2001:db8::/32`.
    #[arg(long, env = "TRUSTED_NETWORKS", value_delimiter = ',')]
    pub trusted_networks: Vec<String>,

    /// Where to serve Prometheus metrics (`GET /metrics`), e.g. `127.0.0.1:9464`: a listen
    /// address of its own, for the monitoring system only. Unset: no metrics listener.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Proxies and load balancers in front of the service, e.g. `10.0.0.0/8`: from a peer in
    /// these networks, `Forwarded` / `X-Forwarded-For` name the client (the rightmost hop not in
    /// them). Unset: the headers are ignored and the peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
}

impl WebConfig {
    /// The virus scanner: CLAMD_ADDRESS; none only with SCANNING=off or, without either, the
    /// development tools. A production configuration that names neither does not start.
    pub fn scanner(&self, config: &Config) -> Result<Option<app::scan::Scanner>, String> {
        let address = self
            .clamd_address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        match (address, self.scanning.as_deref().map(str::trim)) {
            (Some(_), Some("off")) => {
                Err("CLAMD_ADDRESS and SCANNING=off contradict each other: set one".into())
            }
            (Some(a), None) => app::scan::Address::parse(a)
                .map(|a| Some(app::scan::Scanner::new(a)))
                .map_err(|e| format!("CLAMD_ADDRESS: {e}")),
            (None, Some("off")) => Ok(None),
            (_, Some(other)) => Err(format!("SCANNING may only be off, not {other:?}")),
            (None, None) if config.dev_tools()? => Ok(None),
            (None, None) => Err(
                "CLAMD_ADDRESS is not set: every upload is scanned by ClamAV's clamd before it is \
                 served (set SCANNING=off to run without scanning)"
                    .into(),
            ),
        }
    }

    /// The document store STORAGE names. `s3` with any of its settings missing, or any other
    /// value, is refused: the service does not start on a store half-configured.
    pub fn objects(&self, config: &Config) -> Result<app::objects::Objects, String> {
        match self.storage.trim() {
            "filesystem" => app::objects::Objects::file_system(&config.data_dir.join("objects"))
                .map_err(|e| format!("the document folder: {e}")),
            "s3" => {
                let need = |v: &Option<String>, name: &str| {
                    v.as_deref()
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                        .ok_or_else(|| format!("STORAGE=s3 needs {name}"))
                };
                let settings = app::objects::S3Settings {
                    endpoint: need(&self.s3_endpoint, "S3_ENDPOINT")?,
                    bucket: need(&self.s3_bucket, "S3_BUCKET")?,
                    region: need(&self.s3_region, "S3_REGION")?,
                    access_key_id: need(&self.s3_access_key_id, "S3_ACCESS_KEY_ID")?,
                    secret_access_key: need(&self.s3_secret_access_key, "S3_SECRET_ACCESS_KEY")?,
                };
                if !settings.endpoint.starts_with("https://")
                    && !["http://127.0.0.1", "http://localhost", "http://[::1]"]
                        .iter()
                        .any(|p| settings.endpoint.starts_with(p))
                {
                    return Err(
                        "S3_ENDPOINT must be https:// (plain http:// only on loopback)".into(),
                    );
                }
                app::objects::Objects::s3(&settings).map_err(|e| format!("the S3 store: {e}"))
            }
            other => Err(format!("STORAGE must be filesystem or s3, not {other:?}")),
        }
    }

    /// The LAA's address: LAA_EMAIL, which must be a valid address; only the development tools
    /// may do without it.
    pub fn laa_address(&self, config: &Config) -> Result<String, String> {
        required_address(
            &self.laa_email,
            "LAA_EMAIL",
            "laa@caseaccess.localhost",
            "the Legal Aid Agency is told at this address of every change of the firm \
             representing a defendant",
            config,
        )
    }

    /// Where a served document's notices go: CPS_EMAIL and SERVICE_CENTRE_EMAIL, both valid
    /// addresses, required but for the development tools.
    pub fn notices(
        &self,
        config: &Config,
        mail: std::sync::Arc<app::email::MailSettings>,
    ) -> Result<app::cases::notices::Notices, String> {
        Ok(app::cases::notices::Notices {
            mail,
            cps_address: required_address(
                &self.cps_email,
                "CPS_EMAIL",
                "cps@caseaccess.localhost",
                "documents defence firms send to the CPS go to this address",
                config,
            )?,
            service_centre_address: required_address(
                &self.service_centre_email,
                "SERVICE_CENTRE_EMAIL",
                "service-centre@caseaccess.localhost",
                "the HMCTS service centre is told at this address of documents that may need \
                 action",
                config,
            )?,
            attach_max: self.cps_attach_max,
        })
    }
}

/// `UPLOAD_LIMIT`: `536870912`, `512MiB`, `2 GiB` (binary units; the range in
/// `app::cases::upload::LIMIT_RANGE`).
fn upload_limit(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "kib" => 10,
        "mib" => 20,
        "gib" => 30,
        other => {
            return Err(format!(
                "\"{other}\" is not a unit: give bytes, or a number with KiB, MiB or GiB"
            ));
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("\"{value}\" is not a size, such as 512MiB"))?;
    let bytes = n
        .checked_mul(1 << shift)
        .filter(|b| app::cases::upload::LIMIT_RANGE.contains(b))
        .ok_or_else(|| format!("\"{value}\" is not from 1 MiB to 64 GiB"))?;
    Ok(bytes)
}

/// A required address: valid when set; a development default only with the development tools.
fn required_address(
    value: &Option<String>,
    name: &str,
    dev_default: &str,
    why: &str,
    config: &Config,
) -> Result<String, String> {
    match value.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => app::accounts::validate::email(a)
            .ok_or_else(|| format!("{name} {a:?} is not an email address")),
        None if config.dev_tools()? => Ok(dev_default.into()),
        None => Err(format!("{name} is not set: {why}")),
    }
}

impl SecretsArgs {
    /// The keys that seal secrets in the database. Without SECRETS_KEY the service refuses to
    /// start, unless the development tools are on: then a key kept in the data folder is used
    /// (made on first use).
    pub fn keys(&self, config: &Config) -> Result<app::secrets::Keys, String> {
        let current = match self.secrets_key.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(k) => k.to_owned(),
            None if config.dev_tools()? => config.dev_key("dev-secrets.key")?,
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

    /// The web server's settings from these arguments (`server ARGS…`).
    fn serve(args: &[&str]) -> ServeArgs {
        let argv = std::iter::once("server")
            .chain(args.iter().copied())
            .map(Into::into);
        match Cli::parse_args(argv).unwrap().command {
            Command::Serve(a) => *a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_upload_limit_is_a_size_in_range() {
        assert_eq!(serve(&[]).web.upload_limit, 512 << 20);
        assert_eq!(upload_limit("536870912"), Ok(512 << 20));
        assert_eq!(upload_limit("2GiB"), Ok(2 << 30));
        assert_eq!(upload_limit(" 100 MiB "), Ok(100 << 20));
        assert_eq!(upload_limit("1024kib"), Ok(1 << 20));
        assert!(
            upload_limit("1023KiB")
                .unwrap_err()
                .contains("from 1 MiB to 64 GiB")
        );
        assert!(upload_limit("65GiB").is_err());
        assert!(upload_limit("99999999999999999999GiB").is_err());
        assert!(upload_limit("5MB").unwrap_err().contains("not a unit"));
        assert!(upload_limit("lots").is_err());
        let argv = ["server", "serve", "--upload-limit", "0"].map(Into::into);
        assert!(
            Cli::parse_args(argv.into_iter()).is_err(),
            "refused at start"
        );
    }

    #[test]
    fn scanning_and_storage_fail_closed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().display().to_string();
        let scanner = |extra: &[&str]| {
            let a = serve(&[&["--data-dir", data.as_str()], extra].concat());
            a.web.scanner(&a.config)
        };
        assert!(
            scanner(&[])
                .unwrap_err()
                .contains("CLAMD_ADDRESS is not set")
        );
        assert!(scanner(&["--scanning", "off"]).unwrap().is_none());
        assert!(scanner(&["--scanning", "no"]).is_err());
        assert!(
            scanner(&["--clamd-address", "127.0.0.1:3310"])
                .unwrap()
                .is_some()
        );
        assert!(
            scanner(&["--clamd-address", "unix:/run/clamav/clamd.ctl"])
                .unwrap()
                .is_some()
        );
        assert!(scanner(&["--clamd-address", "nonsense"]).is_err());
        assert!(scanner(&["--clamd-address", "127.0.0.1:3310", "--scanning", "off"]).is_err());
        assert!(scanner(&["--dev-tools"]).unwrap().is_none());
        let objects = |extra: &[&str]| {
            let a = serve(&[&["--data-dir", data.as_str()], extra].concat());
            a.web.objects(&a.config).map(|o| o.backend)
        };
        assert_eq!(objects(&[]).unwrap(), app::objects::Backend::FileSystem);
        assert!(dir.path().join("objects").is_dir());
        let s3 = [
            "--storage",
            "s3",
            "--s3-endpoint",
            "https://s3.eu-west-2.amazonaws.com",
            "--s3-bucket",
            "b",
            "--s3-region",
            "eu-west-2",
            "--s3-access-key-id",
            "k",
            "--s3-secret-access-key",
            "s",
        ];
        assert_eq!(objects(&s3).unwrap(), app::objects::Backend::S3);
        assert!(
            objects(&s3[..10])
                .unwrap_err()
                .contains("S3_SECRET_ACCESS_KEY")
        );
        let mut plain = s3;
        plain[3] = "http://s3.example";
        assert!(objects(&plain).unwrap_err().contains("https"));
        assert!(objects(&["--storage", "ftp"]).is_err());
    }

    #[test]
    fn the_cps_and_service_centre_addresses_fail_closed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().display().to_string();
        let mail = std::sync::Arc::new(app::email::MailSettings {
            from_address: "no-reply@x.example".into(),
            from_name: "X".into(),
            public_url: "https://x.example".into(),
        });
        let notices = |extra: &[&str]| {
            let a = serve(&[&["--data-dir", data.as_str()], extra].concat());
            a.web.notices(&a.config, mail.clone())
        };
        assert!(notices(&[]).unwrap_err().contains("CPS_EMAIL is not set"));
        let cps = ["--cps-email", "defence@cps.example"];
        assert!(
            notices(&cps)
                .unwrap_err()
                .contains("SERVICE_CENTRE_EMAIL is not set")
        );
        assert!(
            notices(&["--cps-email", "not an address"])
                .unwrap_err()
                .contains("not an email address")
        );
        let both = [&cps[..], &["--service-centre-email", "sc@hmcts.example"]].concat();
        let n = notices(&both).unwrap();
        assert_eq!(
            (n.cps_address.as_str(), n.service_centre_address.as_str()),
            ("defence@cps.example", "sc@hmcts.example")
        );
        assert_eq!(n.attach_max, app::cases::notices::ATTACH_MAX);
        let dev = notices(&["--dev-tools"]).unwrap();
        assert_eq!(dev.cps_address, "cps@caseaccess.localhost");
    }

    #[test]
    fn a_missing_secrets_key_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().display().to_string();
        let a = serve(&["--data-dir", &data]);
        assert!(
            a.secrets
                .keys(&a.config)
                .unwrap_err()
                .contains("SECRETS_KEY is not set")
        );
        let key = app::secrets::new_key();
        // `=`: a key may start with `-`, which would read as an option.
        let a = serve(&["--data-dir", &data, &format!("--secrets-key={key}")]);
        assert!(a.secrets.keys(&a.config).is_ok());
        let a = serve(&["--data-dir", &data, "--secrets-key", "short"]);
        assert!(a.secrets.keys(&a.config).is_err());
        // With the development tools, a key is made once in the data folder and kept.
        let a = serve(&["--data-dir", &data, "--dev-tools"]);
        let first = a.secrets.keys(&a.config).unwrap();
        let again = a.secrets.keys(&a.config).unwrap();
        assert_eq!(first.current_id(), again.current_id());
        assert!(dir.path().join("dev-secrets.key").is_file());
        // The audit key likewise.
        let a = serve(&["--data-dir", &data]);
        assert!(
            a.config
                .audit_keys()
                .unwrap_err()
                .contains("AUDIT_KEY is not set")
        );
        let a = serve(&["--data-dir", &data, "--dev-tools"]);
        let audit = a.config.audit_keys().unwrap();
        assert_ne!(audit.current.id(), first.current_id(), "a key of its own");
    }

    #[test]
    fn development_tools_are_off_unless_asked_for() {
        // No SMTP server is configured here: that alone once turned the tools on.
        assert_eq!(serve(&[]).config.dev_tools(), Ok(false));
        assert_eq!(serve(&["--dev-tools"]).config.dev_tools(), Ok(true));
        assert_eq!(serve(&["--dev-tools=false"]).config.dev_tools(), Ok(false));
        for url in [
            "https://caseaccess.example",
            "http://10.0.0.1:3000",
            "http://localhost@evil.example",
            "http://localhost.evil.example",
        ] {
            let a = serve(&["--dev-tools", "--public-url", url]);
            assert!(a.config.dev_tools().is_err(), "{url}");
        }
        for url in [
            "http://localhost:3000",
            "http://127.0.0.1:8080/",
            "http://[::1]:3000",
        ] {
            let a = serve(&["--dev-tools", "--public-url", url]);
            assert_eq!(a.config.dev_tools(), Ok(true), "{url}");
        }
    }

    #[test]
    fn defaults_run_on_one_machine() {
        let a = serve(&[]);
        assert_eq!(a.web.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(a.config.database_url(), "sqlite://data/caseaccess.db");
        assert!(!a.config.is_https());
        let named = serve(&["serve", "--site-addr", "127.0.0.1:4000"]);
        assert_eq!(named.web.site_addr.to_string(), "127.0.0.1:4000");
        let flags_only = serve(&["--site-addr", "127.0.0.1:4001"]);
        assert_eq!(flags_only.web.site_addr.to_string(), "127.0.0.1:4001");
    }

    #[test]
    fn flags_and_subcommands() {
        let argv = [
            "server",
            "courts",
            "import",
            "x.csv",
            "--database-url",
            "postgres://u@localhost/db",
        ];
        let cli = Cli::parse_args(argv.map(Into::into)).unwrap();
        let Command::Courts {
            command: CourtsCommand::Import { config, .. },
        } = &cli.command
        else {
            panic!("{:?}", cli.command);
        };
        assert_eq!(config.database_url(), "postgres://u@localhost/db");
    }

    /// Each command lists only the options it uses: `staff add --help` once showed every one of
    /// the web server's.
    #[test]
    fn each_command_shows_only_its_own_options() {
        let cli = <Cli as clap::CommandFactory>::command();
        let options = |path: &[&str]| -> Vec<String> {
            let mut c = &cli;
            for p in path {
                c = c.find_subcommand(p).unwrap();
            }
            c.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect()
        };
        let web_only = ["site-addr", "smtp-url", "geoip-dir", "trusted-proxies"];
        for path in [
            &["staff", "add"][..],
            &["courts", "import"],
            &["audit", "verify"],
            &["migrate"],
            &["seed"],
            &["secrets", "rotate"],
        ] {
            let o = options(path);
            assert!(o.contains(&"database-url".to_owned()), "{path:?}: {o:?}");
            for w in web_only {
                assert!(!o.contains(&w.to_owned()), "{path:?} shows --{w}");
            }
        }
        assert!(!options(&["staff", "add"]).contains(&"secrets-key".to_owned()));
        assert!(options(&["seed"]).contains(&"secrets-key".to_owned()));
        assert!(options(&["secrets", "new-key"]).is_empty());
        // The imports tell firms of new material by email; the rest write no email.
        for path in [&["import"][..], &["seed"], &["serve"]] {
            assert!(options(path).contains(&"mail-from".to_owned()), "{path:?}");
        }
        assert!(!options(&["courts", "import"]).contains(&"mail-from".to_owned()));
        let serve = options(&["serve"]);
        for o in web_only
            .iter()
            .chain(&["database-url", "secrets-key", "audit-key"])
        {
            assert!(serve.contains(&(*o).to_owned()), "serve lacks --{o}");
        }
    }
}
