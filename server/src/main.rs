//! The server binary: `serve` (default), `migrate`, `seed`, `courts import`, `staff add`,
//! `audit verify`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod config;
mod http;

use anyhow::Context as _;
use app::{
    clock::{Clock, ShiftedClock, SystemClock, parse_utc},
    courts::{import::parse_courts_csv, store::upsert_all},
    db::{Db, DbOptions},
    demo,
};
use config::{
    AuditCommand, Cli, Command, Config, CourtsCommand, LogFormat, ProsecutorsCommand,
    SecretsCommand, StaffCommand,
};
use std::{process::ExitCode, sync::Arc};
use tracing_subscriber::{EnvFilter, fmt};

/// The courts list shipped with the service, loaded by `seed`.
const BUNDLED_COURTS: &str = include_str!("../data/courts.csv");

/// mimalloc instead of glibc's malloc: rendering a page allocates many small strings, and
/// glibc's allocator spent a third of a signed-in page's CPU (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging(cli.log_format());
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "stopped");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let db = open_db(&args.config).await?;
            let clock = clock(&args.config)?;
            http::serve(*args, db, clock).await
        }
        Command::CleanUp {
            older_than,
            config,
            web,
        } => {
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            let objects = web.objects(&config).map_err(|e| anyhow::anyhow!(e))?;
            let r = app::cases::cleanup::run(&db, &objects, clock.now_unix(), older_than).await?;
            println!(
                "Expired uploads ended: {}; parts of finished uploads removed: {}; objects \
                 without a record removed: {}; unfinished writes removed: {}.",
                r.expired, r.parts, r.orphans, r.staging
            );
            Ok(())
        }
        Command::Migrate(config) => {
            open_db(&config).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::Seed {
            demo_accounts,
            demo_cases,
            bench,
            config,
            secrets,
            mail,
        } => {
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            import_courts(
                &db,
                BUNDLED_COURTS,
                "the bundled courts list",
                clock.as_ref(),
            )
            .await?;
            if demo_accounts {
                let keys = secrets.keys(&config).map_err(|e| anyhow::anyhow!(e))?;
                demo::seed(&db, &keys, clock.now_unix())
                    .await
                    .map_err(|e| anyhow::anyhow!("creating the demo accounts: {e}"))?;
                println!("Demo accounts (password \"{}\"):", demo::PASSWORD);
                for a in &demo::ACCOUNTS {
                    println!("  {:<36} {}", a.email, a.what);
                }
                println!(
                    "Authenticator key for all of them (add it to an authenticator app): {}",
                    demo::TOTP_SECRET
                );
            }
            if let Some(n) = demo_cases {
                seed_cases(
                    &db,
                    &config,
                    &mail.settings(&config),
                    n,
                    bench,
                    clock.as_ref(),
                )
                .await?;
            }
            checkpoint(&db, &config, clock.as_ref()).await
        }
        Command::Secrets {
            command: SecretsCommand::NewKey,
        } => {
            println!("{}", app::secrets::new_key());
            Ok(())
        }
        Command::Secrets {
            command: SecretsCommand::Rotate { config, secrets },
        } => {
            let keys = secrets.keys(&config).map_err(|e| anyhow::anyhow!(e))?;
            let db = open_db(&config).await?;
            let n = app::secrets::reseal_all(&db, &keys).await?;
            println!(
                "{n} stored secret(s) re-sealed under key {}; every value now opens with \
                 SECRETS_KEY alone, so SECRETS_KEY_PREVIOUS can be emptied.",
                keys.current_id()
            );
            Ok(())
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    mut anchors,
                    no_anchors,
                    config,
                },
        } => {
            let db = open_db(&config).await?;
            let keys = app::audit::keys()?;
            if anchors.is_empty() {
                anchors.push(config.audit_anchors());
            }
            let checkpoints = if no_anchors {
                println!("Checking the chain alone: removed newest events would go unnoticed.");
                None
            } else {
                Some(app::audit::anchor::read(&keys, &anchors)?)
            };
            let events = app::audit::verify(&db, &keys, checkpoints.as_deref()).await?;
            match &checkpoints {
                Some(c) => println!(
                    "Audit trail verified: {events} events, chain intact, {} checkpoint(s) matched.",
                    c.len()
                ),
                None => println!("Audit trail verified: {events} events, chain intact."),
            }
            Ok(())
        }
        Command::Staff {
            command:
                StaffCommand::Add {
                    role,
                    court,
                    email,
                    first_name,
                    last_name,
                    config,
                },
        } => {
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            let now = clock.now_unix();
            let who = StaffNames {
                email: &email,
                first_name: &first_name,
                last_name: &last_name,
            };
            let link = add_staff(&db, &config, &role, court.as_deref(), &who, now).await?;
            println!("Staff account created for {email} ({role}).");
            println!("Activation link (works once, for 7 days): {link}");
            checkpoint(&db, &config, clock.as_ref()).await
        }
        Command::Import { file, config, mail } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let db = open_db(&config).await?;
            let sections = {
                let mut conn = db.pool.acquire().await?;
                app::cases::sections::all(&mut conn).await?
            };
            let open = app::cases::sections::codes_open_to(
                &sections,
                app::cases::sections::Party::Prosecution,
            );
            let cases = match app::cases::import::parse(&text, &open) {
                Ok(c) => c,
                Err(problems) => {
                    for p in &problems {
                        eprintln!("{}: {p}", file.display());
                    }
                    anyhow::bail!("{} problem(s): nothing was saved", problems.len());
                }
            };
            let clock = clock(&config)?;
            let who = app::accounts::store::Who {
                actor: "cli".into(),
                organisation_id: None,
                ip: None,
            };
            let files = config.data_dir.join("files");
            use app::cases::store::{ImportError, import};
            match import(
                &db,
                &files,
                &cases,
                &who,
                &mail.settings(&config),
                clock.now_unix(),
            )
            .await
            {
                Ok(s) => println!(
                    "{}: {} case(s) added, {} updated.",
                    file.display(),
                    s.added,
                    s.updated
                ),
                Err(ImportError::Refused(problems)) => {
                    for p in &problems {
                        eprintln!("{}: {p}", file.display());
                    }
                    anyhow::bail!("{} problem(s): nothing was saved", problems.len());
                }
                Err(ImportError::Files(e)) => return Err(e).context("storing the material"),
                Err(ImportError::Db(e)) => return Err(e).context("saving the cases"),
            }
            checkpoint(&db, &config, clock.as_ref()).await
        }
        Command::Prosecutors {
            command:
                ProsecutorsCommand::Add {
                    code,
                    name,
                    email,
                    config,
                },
        } => {
            let email = app::accounts::validate::email(&email)
                .context("that email address is not valid")?;
            let code = code.trim().to_uppercase();
            anyhow::ensure!(
                !code.is_empty()
                    && code.len() <= 20
                    && code.chars().all(|c| c.is_ascii_alphanumeric()),
                "the code must be 1 to 20 letters and digits"
            );
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            app::cases::store::upsert_prosecutor(&db, &code, name.trim(), &email, clock.now_unix())
                .await?;
            println!("Prosecuting authority {code} saved.");
            Ok(())
        }
        Command::Prosecutors {
            command:
                ProsecutorsCommand::KeyCreate {
                    code,
                    label,
                    config,
                },
        } => {
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            let code = code.trim().to_uppercase();
            let Some(k) =
                app::cases::api::create_key(&db, &code, label.trim(), clock.now_unix()).await?
            else {
                anyhow::bail!("no prosecuting authority {code}: add it with `prosecutors add`");
            };
            println!(
                "API key {} for {code} (shown once; keep it secret):\n{}",
                k.id, k.key
            );
            checkpoint(&db, &config, clock.as_ref()).await
        }
        Command::Prosecutors {
            command: ProsecutorsCommand::KeyRevoke { id, config },
        } => {
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            anyhow::ensure!(
                app::cases::api::revoke_key(&db, id.trim(), clock.now_unix()).await?,
                "no live key {id}"
            );
            println!("API key {id} revoked.");
            checkpoint(&db, &config, clock.as_ref()).await
        }
        Command::Prosecutors {
            command: ProsecutorsCommand::Keys { config },
        } => {
            let db = open_db(&config).await?;
            let when = |t: Option<i64>| {
                t.map_or_else(|| "-".to_owned(), |t| app::clock::uk_date(t).to_string())
            };
            for (id, code, label, created, revoked, used) in app::cases::api::keys(&db).await? {
                println!(
                    "{id}  {code}  created {}  revoked {}  last used {}  {label}",
                    when(Some(created)),
                    when(revoked),
                    when(used)
                );
            }
            Ok(())
        }
        Command::Courts {
            command: CourtsCommand::Import { file, config },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let db = open_db(&config).await?;
            let clock = clock(&config)?;
            import_courts(&db, &text, &file.display().to_string(), clock.as_ref()).await?;
            checkpoint(&db, &config, clock.as_ref()).await
        }
    }
}

/// Loads `n` demo cases (generated and saved in batches of 1,000, each all or nothing) and
/// prints one to try.
async fn seed_cases(
    db: &Db,
    config: &Config,
    mail: &app::email::MailSettings,
    n: usize,
    bench: bool,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    use app::cases::{demo, import::Party, store};
    let now = clock.now_unix();
    store::upsert_prosecutor(
        db,
        "CPS",
        "Crown Prosecution Service (demo)",
        "idpc@cps.example",
        now,
    )
    .await?;
    let courts = store::court_names(db).await?;
    anyhow::ensure!(!courts.is_empty(), "no courts to list the demo cases at");
    let today = app::clock::uk_date(now);
    let started = std::time::Instant::now();
    let mut cases = demo::Cases::new(2026, &courts, "CPS", today);
    if bench {
        cases = cases.for_benchmark();
    }
    let mut cases = cases.take(n).peekable();
    let first = cases.peek().cloned();
    let who = app::accounts::store::Who {
        actor: "cli".into(),
        organisation_id: None,
        ip: None,
    };
    let files = config.data_dir.join("files");
    let (mut added, mut updated, mut defendants) = (0, 0, 0);
    // In batches of a thousand (one transaction each), generated as they are saved: memory
    // stays flat however many are asked for.
    loop {
        let batch: Vec<_> = cases.by_ref().take(1000).collect();
        if batch.is_empty() {
            break;
        }
        defendants += batch.iter().map(|c| c.defendants.len()).sum::<usize>();
        match store::import(db, &files, &batch, &who, mail, now).await {
            Ok(s) => {
                added += s.added;
                updated += s.updated;
            }
            Err(store::ImportError::Refused(p)) => {
                anyhow::bail!("the demo cases were refused: {}", p[0])
            }
            Err(store::ImportError::Files(e)) => return Err(e).context("storing the demo IDPCs"),
            Err(store::ImportError::Db(e)) => return Err(e).context("saving the demo cases"),
        }
        let done = added + updated;
        if done % 100_000 == 0 {
            eprintln!("  {done} cases in {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    println!(
        "Demo cases: {added} added, {updated} updated ({defendants} defendants) in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    if let Some(c) = first {
        println!("A case to try: URN {} at {}", c.urn.spaced(), c.court);
        for d in &c.defendants {
            match &d.party {
                Party::Person {
                    first_name,
                    last_name,
                    date_of_birth,
                } => println!(
                    "  defendant: first name {first_name:?}, last name {last_name:?}, born {date_of_birth}"
                ),
                Party::Company { name } => println!("  defendant (company): {name:?}"),
            }
        }
    }
    Ok(())
}

/// A new staff member's email address and name.
struct StaffNames<'a> {
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
}

/// Creates a staff account (invited) and returns its activation link. Court staff name their
/// court, which must be on the courts list; no other role has one.
async fn add_staff(
    db: &Db,
    config: &Config,
    role: &str,
    court: Option<&str>,
    names: &StaffNames<'_>,
    now: i64,
) -> anyhow::Result<String> {
    use app::accounts::{store, token::lifetime, validate};
    let email = validate::email(names.email).context("that email address is not valid")?;
    let first = validate::name(names.first_name).context("the first name is not valid")?;
    let last = validate::name(names.last_name).context("the last name is not valid")?;
    let court = match (role, court) {
        ("court", Some(c)) => Some(c.trim().to_owned()),
        ("court", None) => anyhow::bail!("court staff need --court"),
        (_, Some(_)) => anyhow::bail!("only court staff (--role court) have a court"),
        (_, None) => None,
    };
    let mut tx = db.begin().await?;
    let id = store::insert_user(
        &mut tx,
        &store::NewUser {
            organisation_id: None,
            staff_role: Some(role),
            email: &email,
            first_name: &first,
            last_name: &last,
            roles: "",
            status: "invited",
            password_hash: None,
        },
        now,
    )
    .await
    .context("creating the account (is the email already registered?)")?;
    if let Some(c) = &court {
        anyhow::ensure!(
            store::set_staff_court(&mut tx, &id, c).await?,
            "{c:?} is not on the courts list (`courts import` adds it)"
        );
    }
    let token = store::issue_token(&mut tx, &id, "activate", now, lifetime::ACTIVATE_SECS).await?;
    store::Who {
        actor: "cli".into(),
        organisation_id: None,
        ip: None,
    }
    .audit(
        &mut tx,
        "staff.added",
        Some(format!("user:{id}")),
        serde_json::json!({ "role": role, "court": court }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "{}/activate?token={token}",
        config.public_url.trim_end_matches('/')
    ))
}

/// Installs the audit keys, then opens the configured database and brings its schema up to
/// date: with MIGRATION_DATABASE_URL, as the owner, granting DATABASE_URL's role its rights;
/// otherwise over DATABASE_URL itself.
async fn open_db(config: &Config) -> anyhow::Result<Db> {
    app::audit::install_keys(config.audit_keys().map_err(|e| anyhow::anyhow!(e))?)
        .map_err(|e| anyhow::anyhow!(e))?;
    let url = config.database_url();
    let options = DbOptions {
        max_connections: config.database_max_connections,
        ..DbOptions::default()
    };
    if let Some(owner_url) = config
        .migration_database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        let owner = Db::connect(owner_url, &DbOptions::default())
            .await
            .context("opening the database as its owner (check MIGRATION_DATABASE_URL)")?;
        owner.migrate().await.context("migrating the database")?;
        let role = user_of(&url).context("DATABASE_URL names no user to grant rights to")?;
        owner
            .grant_service(&role)
            .await
            .with_context(|| format!("granting the service role {role} its rights"))?;
        owner.pool.close().await;
        return Db::connect(&url, &options)
            .await
            .context("opening the database (check DATABASE_URL)");
    }
    let db = Db::connect(&url, &options)
        .await
        .context("opening the database (check DATABASE_URL)")?;
    db.migrate().await.context("migrating the database")?;
    Ok(db)
}

/// The user a `postgres://USER:PASSWORD@HOST/NAME` URL connects as.
fn user_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (credentials, _) = rest.rsplit_once('@')?;
    let user = credentials.split(':').next()?;
    (!user.is_empty()).then(|| user.to_owned())
}

/// Writes a checkpoint of the audit chain after a command that recorded events.
async fn checkpoint(db: &Db, config: &Config, clock: &dyn Clock) -> anyhow::Result<()> {
    let mut last = 0;
    app::audit::anchor::checkpoint(
        db,
        &config.audit_anchors(),
        &mut last,
        clock.now_unix() * 1000,
    )
    .await
    .map_err(|e| anyhow::anyhow!("writing the audit checkpoint: {e}"))?;
    Ok(())
}

fn clock(config: &Config) -> anyhow::Result<Arc<dyn Clock>> {
    Ok(match &config.fixed_now {
        Some(s) => {
            let at = parse_utc(s)
                .with_context(|| format!("FIXED_NOW {s:?} is not like 2026-11-21T09:00:00Z"))?;
            tracing::warn!(fixed_now = %s, "the clock starts at FIXED_NOW: for tests and demos only");
            Arc::new(ShiftedClock::starting_at(at))
        }
        None => Arc::new(SystemClock),
    })
}

async fn import_courts(db: &Db, text: &str, source: &str, clock: &dyn Clock) -> anyhow::Result<()> {
    let courts = match parse_courts_csv(text) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                eprintln!("{source}: {e}");
            }
            anyhow::bail!(
                "{} problem(s) in {source}; nothing was imported",
                errors.len()
            );
        }
    };
    let s = upsert_all(db, &courts, clock.now_unix(), "cli", source)
        .await
        .context("saving courts")?;
    println!(
        "Imported {} courts from {source}: {} added, {} updated, {} unchanged.",
        courts.len(),
        s.added,
        s.updated,
        s.unchanged
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::user_of;

    #[test]
    fn the_service_role_is_read_from_the_url() {
        assert_eq!(
            user_of("postgres://svc:p%40ss@db.internal:5432/caseaccess").as_deref(),
            Some("svc")
        );
        assert_eq!(
            user_of("postgres://svc@db/caseaccess").as_deref(),
            Some("svc")
        );
        assert_eq!(user_of("postgres://db/caseaccess"), None);
        assert_eq!(user_of("sqlite://data/x.db"), None);
    }
}
