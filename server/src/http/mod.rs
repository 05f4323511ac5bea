//! The HTTP side: router, middleware, static files, health checks, graceful shutdown.

mod client_ip;
mod features;
mod geo;
mod health;
mod lang;
pub mod metrics;
mod page_cache;
mod panic;
mod security;
mod session;
mod streams;

use crate::config::{ServeArgs, WebConfig};
use anyhow::Context as _;
use app::{
    App,
    clock::Clock,
    db::Db,
    shell,
    state::{AppState, Assets},
};
use axum::{
    Router,
    http::{HeaderValue, header},
    middleware,
    routing::get,
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::{path::Path, sync::Arc};
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer, services::ServeDir,
    set_header::SetResponseHeaderLayer, trace::TraceLayer,
};

/// Everything the router needs, decided once at start-up.
#[derive(Clone)]
pub struct HttpSettings {
    /// Send HSTS (the public URL is https).
    pub https: bool,
    /// The public origin (scheme://host[:port]) that state-changing requests must come from.
    pub public_origin: String,
    /// The country check, when a country database is configured.
    pub geo: Option<Arc<geo::Geo>>,
    /// The proxies whose forwarding headers name the client.
    pub trusted_proxies: client_ip::TrustedProxies,
}

impl HttpSettings {
    fn from_config(args: &ServeArgs) -> anyhow::Result<HttpSettings> {
        let (config, web) = (&args.config, &args.web);
        let url = config.public_url.trim_end_matches('/');
        let origin = match url.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest))
            }
            None => url.to_owned(),
        };
        Ok(HttpSettings {
            https: config.is_https(),
            public_origin: origin,
            geo: None,
            trusted_proxies: client_ip::TrustedProxies::parse(&web.trusted_proxies)
                .map_err(|e| anyhow::anyhow!(e))?,
        })
    }
}

/// Loads the country database named by the configuration, if any.
fn load_geo(config: &WebConfig) -> anyhow::Result<Option<Arc<geo::Geo>>> {
    let Some(dir) = &config.geoip_dir else {
        tracing::warn!("GEOIP_DIR is not set: requests are not checked against the UK and EEA");
        return Ok(None);
    };
    let allowed: Vec<String> = if config.allowed_countries.is_empty() {
        geo::UK_AND_EEA.iter().map(|c| (*c).to_owned()).collect()
    } else {
        config.allowed_countries.clone()
    };
    let trusted = config
        .trusted_networks
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| geo::Network::parse(n).map_err(|e| anyhow::anyhow!("TRUSTED_NETWORKS: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let g = geo::Geo::load(dir, &allowed, trusted).context("loading the country database")?;
    tracing::info!(
        networks = g.len(),
        countries = allowed.len(),
        "country check on"
    );
    Ok(Some(Arc::new(g)))
}

/// Reads the build's asset manifest from the site root.
pub fn load_assets(site_root: &Path) -> anyhow::Result<Assets> {
    let path = site_root.join("pkg/manifest.txt");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (build the site first: scripts/build)",
            path.display()
        )
    })?;
    Assets::parse_manifest(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The whole application as an axum router.
pub fn router(state: AppState, site_root: &Path, settings: HttpSettings) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("caseaccess")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let routes = generate_route_list(App);
    let mut known: std::collections::HashSet<String> =
        routes.iter().map(|r| r.path().to_owned()).collect();

    let context_state = state.clone();
    let provide = move || provide_context(context_state.clone());
    let shell_options = leptos_options.clone();
    let render_404 = leptos_axum::render_app_to_stream_with_context(provide.clone(), {
        let o = leptos_options.clone();
        move || shell(o.clone())
    });

    // Hashed bundle files never change: cache for a year. Other assets: a day.
    let immutable = HeaderValue::from_static("public, max-age=31536000, immutable");
    let day = HeaderValue::from_static("public, max-age=86400");
    let pkg = static_dir(site_root.join("pkg"), immutable);
    let assets = static_dir(site_root.join("assets"), day.clone());
    let root_files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            day,
        ))
        .service(
            ServeDir::new(site_root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .not_found_service(tower::service_fn(move |req| {
                    let render = render_404.clone();
                    async move { Ok::<_, std::convert::Infallible>(render(req).await) }
                })),
        );

    let db = state.db.clone();
    let css = format!("/pkg/{}", state.assets.css);
    let pages = Arc::new(page_cache::PageCache::new(state.clock.clone()));
    // The features' declarations (checked at start-up, in `serve`): their forms and handlers
    // here, their pages in the Leptos routes above, their access in the gate.
    let declared = app::routes().unwrap_or_default();
    known.extend(declared.iter().map(|r| r.path.to_owned()));
    known.extend(["/healthz", "/readyz", "/favicon.ico", "/robots.txt"].map(str::to_owned));
    let table = app::web::routes::AccessTable::new(declared);
    let known = metrics::KnownRoutes(Arc::new(known), table.clone());
    let access = (table, state.dev_tools);
    let handlers = features::router(declared, &state, &leptos_options);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).with_state(db))
        .leptos_routes_with_context(&leptos_options, routes, provide, move || {
            shell(shell_options.clone())
        })
        .merge(handlers)
        .nest_service("/pkg", pkg)
        .nest_service("/assets", assets)
        .fallback_service(root_files)
        .with_state(leptos_options)
        .layer(middleware::from_fn_with_state(pages, page_cache::serve))
        .layer(middleware::from_fn_with_state(access, app::web::gate))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(tower::util::option_layer(
            settings
                .geo
                .clone()
                .map(|g| middleware::from_fn_with_state(g, geo::restrict)),
        ))
        .layer(middleware::from_fn_with_state(
            settings.trusted_proxies.clone(),
            client_ip::resolve,
        ))
        .layer(middleware::from_fn(lang::negotiate))
        // Pages are compressed as they are sent, at level 1: small and many, and level 4 cost more
        // than twice the CPU for little (docs/benchmarks.md, "Signed-in pages and compression").
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(tower_http::CompressionLevel::Precise(1))
                .compress_when(compressible()),
        )
        .layer(middleware::from_fn_with_state(settings, security::headers))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic::PanicPage::new(css)))
        .layer(middleware::from_fn_with_state(known, metrics::record))
}

/// What is worth compressing: not what is compressed already (case files: PDFs, archives,
/// images, audio, video, or bytes of a type the service does not vouch for), nor what is small.
fn compressible() -> impl tower_http::compression::Predicate {
    use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
    DefaultPredicate::new()
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotForContentType::const_new(
            "application/vnd.openxmlformats",
        ))
        .and(NotForContentType::const_new("audio/"))
        .and(NotForContentType::const_new("video/"))
}

/// A folder of static files, sent precompressed where a `.br` or `.gz` copy exists, with the
/// given `Cache-Control`.
fn static_dir(
    dir: std::path::PathBuf,
    cache_control: HeaderValue,
) -> tower_http::set_header::SetResponseHeader<ServeDir, HeaderValue> {
    use tower::Layer as _;
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, cache_control)
        .layer(ServeDir::new(dir).precompressed_br().precompressed_gzip())
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(args: ServeArgs, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let (config, web) = (&args.config, &args.web);
    let declared = app::routes().map_err(|e| anyhow::anyhow!("the features' addresses: {e}"))?;
    tracing::info!(addresses = declared.len(), "routes declared");
    let assets = load_assets(&web.site_root)?;
    let secrets = Arc::new(args.secrets.keys(config).map_err(|e| anyhow::anyhow!(e))?);
    let resealed = app::secrets::reseal_all(&db, &secrets)
        .await
        .context("sealing stored secrets under SECRETS_KEY")?;
    if resealed > 0 {
        tracing::info!(
            resealed,
            key = secrets.current_id(),
            "stored secrets re-sealed"
        );
    }
    // Leptos spawns rendering work on a global executor: make it tokio's.
    let _ = any_spawner::Executor::init_tokio();
    let mail = Arc::new(web.mail.settings(config));
    let transport =
        app::email::sender::Transport::new(web.smtp_url.as_deref(), config.data_dir.join("outbox"))
            .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(transport = ?transport, from = %mail.from_address, "email");
    app::accounts::password::preload();
    let (db_for_checkpoint, clock_for_checkpoint) = (db.clone(), clock.clone());
    let state = AppState {
        db: db.clone(),
        clock: clock.clone(),
        assets: Arc::new(assets),
        courts: Arc::default(),
        mail: mail.clone(),
        dev_tools: config.dev_tools().map_err(|e| anyhow::anyhow!(e))?,
        secrets,
        mailbox: match &transport {
            app::email::sender::Transport::Files(dir) => Some(dir.clone()),
            app::email::sender::Transport::Smtp(_) => None,
        },
        files: config.data_dir.join("files"),
        objects: web.objects(config).map_err(|e| anyhow::anyhow!(e))?,
        scanner: web.scanner(config).map_err(|e| anyhow::anyhow!(e))?,
        laa_address: web.laa_address(config).map_err(|e| anyhow::anyhow!(e))?,
        upload_limit: web.upload_limit,
        live_recheck: app::LIVE_RECHECK,
        notices: Arc::new(
            web.notices(config, mail.clone())
                .map_err(|e| anyhow::anyhow!(e))?,
        ),
    };
    match &state.scanner {
        Some(scanner) => {
            tracing::info!(address = ?scanner.address, "uploads are scanned by clamd");
            let (db, objects, scanner, clock, notices) = (
                db.clone(),
                state.objects.clone(),
                scanner.clone(),
                clock.clone(),
                state.notices.clone(),
            );
            tokio::spawn(async move {
                loop {
                    match app::cases::upload::scan_waiting(
                        &db,
                        &objects,
                        &notices,
                        &scanner,
                        20,
                        clock.now_unix(),
                    )
                    .await
                    {
                        Ok(r) if r.waiting > 0 => {
                            tracing::warn!(
                                waiting = r.waiting,
                                "documents wait for the virus scanner"
                            )
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "scanning uploads"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
            });
        }
        None => tracing::warn!(
            "virus scanning is OFF: uploads are served without a scan and marked as not checked \
             (set CLAMD_ADDRESS to scan them)"
        ),
    }
    if state.dev_tools {
        tracing::warn!(
            "DEV_TOOLS is on: /dev/emails (every email, with its links) and /dev/now are served \
             to anyone who can reach this server"
        );
    }
    tokio::spawn(app::cases::cleanup::every_interval(
        db.clone(),
        state.objects.clone(),
        clock.clone(),
    ));
    tokio::spawn(app::audit::anchor::every_minute(
        db.clone(),
        config.audit_anchors(),
        clock.clone(),
    ));
    let (sessions, db_for_sessions) = (db.sessions.clone(), db.clone());
    tokio::spawn(async move { sessions.run(db_for_sessions).await });
    // Live pages: woken by every instance's writes through LISTEN/NOTIFY on PostgreSQL, and
    // read every few seconds in any case.
    tokio::spawn(db.live.clone().run(db.clone(), Some(config.database_url())));
    tokio::spawn(app::accounts::inactivity::every_hour(
        db.clone(),
        mail.clone(),
        clock.clone(),
    ));
    tokio::spawn(
        app::email::sender::Sender {
            db,
            clock,
            settings: mail,
            transport,
            objects: Some(state.objects.clone()),
        }
        .run(),
    );
    let settings = HttpSettings {
        geo: load_geo(web)?,
        ..HttpSettings::from_config(&args)?
    };
    if !settings.trusted_proxies.0.is_empty() {
        tracing::info!(
            proxies = settings.trusted_proxies.0.len(),
            "forwarding headers from TRUSTED_PROXIES name the client"
        );
    }
    let routes = router(state, &web.site_root, settings);
    let listener = tokio::net::TcpListener::bind(web.site_addr)
        .await
        .with_context(|| format!("listening on {}", web.site_addr))?;
    tracing::info!(address = %web.site_addr, public_url = %config.public_url, "serving");
    // The boards' event streams on connections of their own (streams.rs); the rest to axum.
    // (`tap_io` only so that axum gives each request its `ConnectInfo`; TCP_NODELAY is set when
    // the connection is accepted.)
    let listener = axum::serve::ListenerExt::tap_io(
        streams::split(listener, routes.clone()).context("listening")?,
        |_| {},
    );
    let app = routes.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Some(addr) = web.metrics_addr {
        let metrics_listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening for metrics on {addr}"))?;
        tracing::info!(address = %addr, "metrics at /metrics");
        let metrics_app = metrics::router(db_for_checkpoint.clone(), clock_for_checkpoint.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics_listener, metrics_app).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let live = db_for_checkpoint.live.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Live streams never end by themselves: end them, so the shutdown can finish.
            live.close();
        })
        .await?;
    // A last checkpoint, so what was recorded since the previous one is anchored too.
    let mut last = 0;
    if let Err(e) = app::audit::anchor::checkpoint(
        &db_for_checkpoint,
        &config.audit_anchors(),
        &mut last,
        clock_for_checkpoint.now_unix() * 1000,
    )
    .await
    {
        tracing::error!(error = %e, "the last audit checkpoint failed");
    }
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod authorisation_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use app::{clock::FixedClock, courts::Court, courts::Region};
    use axum::{body::Body, http::Request, http::StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn app() -> (Router, tempfile::TempDir) {
        app_with(None).await
    }

    pub(super) async fn app_with(geo: Option<Arc<geo::Geo>>) -> (Router, tempfile::TempDir) {
        let (router, dir, _) = app_and_state(geo).await;
        (router, dir)
    }

    /// The router, its temporary folder and its state (for tests that seed the database), on
    /// SQLite.
    pub(super) async fn app_and_state(
        geo: Option<Arc<geo::Geo>>,
    ) -> (Router, tempfile::TempDir, AppState) {
        let (db, dir) = app::db::testing::sqlite().await;
        app_on(db, dir, geo).await
    }

    /// The same on every engine this run has: SQLite and, with the test command, PostgreSQL.
    pub(super) async fn apps_and_states() -> Vec<(Router, tempfile::TempDir, AppState)> {
        let mut out = vec![];
        for (db, dir) in app::db::testing::all().await {
            let dir = match dir {
                Some(d) => d,
                None => tempfile::tempdir().unwrap(),
            };
            out.push(app_on(db, dir, None).await);
        }
        out
    }

    /// Two instances (each its own pool, feed and router) on one fresh PostgreSQL database, and
    /// its URL; none when the test run has no PostgreSQL.
    pub(super) async fn two_instances_on_postgres() -> Option<(
        (Router, tempfile::TempDir, AppState),
        (Router, tempfile::TempDir, AppState),
        String,
    )> {
        let (a, url) = app::db::testing::postgres_with_url().await?;
        let b = Db::connect(&url, &app::db::DbOptions::default())
            .await
            .unwrap();
        let a = app_on(a, tempfile::tempdir().unwrap(), None).await;
        let b = app_on(b, tempfile::tempdir().unwrap(), None).await;
        Some((a, b, url))
    }

    async fn app_on(
        db: Db,
        dir: tempfile::TempDir,
        geo: Option<Arc<geo::Geo>>,
    ) -> (Router, tempfile::TempDir, AppState) {
        let _ = any_spawner::Executor::init_tokio();
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(
            site.join("pkg/manifest.txt"),
            "js: a.1.js\nwasm: a.1.wasm\ncss: a.1.css\n",
        )
        .unwrap();
        std::fs::write(site.join("pkg/a.1.css"), "body{}").unwrap();
        let court = Court {
            name: "Cardiff Magistrates' Court".into(),
            region: Region::Wales,
            go_live: "2026-10-05".parse().unwrap(),
        };
        app::courts::store::upsert_all(&db, &[court], 0, "cli", "test")
            .await
            .unwrap();
        let state_mail = Arc::new(app::email::MailSettings {
            from_address: "no-reply@test.example".into(),
            from_name: "Test".into(),
            public_url: "http://localhost:3000".into(),
        });
        let state = AppState {
            db,
            clock: Arc::new(FixedClock(1_795_251_600)),
            mail: state_mail.clone(),
            dev_tools: false,
            mailbox: None,
            secrets: Arc::new(app::secrets::Keys::new(&app::secrets::new_key(), &[]).unwrap()),
            assets: Arc::new(load_assets(&site).unwrap()),
            courts: Arc::default(),
            files: dir.path().join("files"),
            objects: app::objects::Objects::file_system(&dir.path().join("objects")).unwrap(),
            scanner: None,
            laa_address: "laa@test.example".into(),
            upload_limit: app::cases::upload::DEFAULT_LIMIT,
            // A removed user's stream ends within this (30 s in service).
            live_recheck: std::time::Duration::from_millis(300),
            notices: Arc::new(app::cases::notices::Notices {
                mail: state_mail.clone(),
                cps_address: "cps@test.example".into(),
                service_centre_address: "service-centre@test.example".into(),
                attach_max: app::cases::notices::ATTACH_MAX,
            }),
        };
        let settings = HttpSettings {
            https: false,
            public_origin: "http://localhost:3000".into(),
            geo,
            trusted_proxies: client_ip::TrustedProxies::default(),
        };
        (router(state.clone(), &site, settings), dir, state)
    }

    async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = app.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn get(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn only_the_uk_and_eea_get_in_with_a_country_database() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/geo");
        let allowed: Vec<String> = geo::UK_AND_EEA.iter().map(|c| (*c).to_owned()).collect();
        let g = geo::Geo::load(&fixture, &allowed, vec![]).unwrap();
        let (app, _dir) = app_with(Some(Arc::new(g))).await;
        let from = |ip: &str, uri: &str| {
            let mut req = get(uri);
            let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
            req
        };
        assert_eq!(send(&app, from("192.0.2.10", "/")).await.0, StatusCode::OK);
        assert_eq!(send(&app, from("127.0.0.1", "/")).await.0, StatusCode::OK);
        let (status, headers, body) = send(&app, from("203.0.113.5", "/courts")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(
            body.contains("only available in the UK and the EEA"),
            "{body}"
        );
        let (status, _, body) = send(&app, from("203.0.113.5", "/sign-in?lang=cy")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("lang=\"cy\""), "{body}");
        assert_eq!(
            send(&app, from("100.64.0.1", "/")).await.0,
            StatusCode::FORBIDDEN,
            "an address in no listed network is refused"
        );
        assert_eq!(
            send(&app, from("203.0.113.5", "/healthz")).await.0,
            StatusCode::OK,
            "load balancers' health checks pass"
        );
    }

    #[tokio::test]
    async fn development_tools_are_not_served_unless_switched_on() {
        let (app, dir, state) = app_and_state(None).await;
        let (status, _, body) = send(&app, get("/dev/emails")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(send(&app, get("/dev/now")).await.0, StatusCode::NOT_FOUND);
        let on = AppState {
            dev_tools: true,
            ..state
        };
        let settings = HttpSettings {
            https: false,
            public_origin: "http://localhost:3000".into(),
            geo: None,
            trusted_proxies: client_ip::TrustedProxies::default(),
        };
        let app = router(on, &dir.path().join("site"), settings);
        let (status, _, body) = send(&app, get("/dev/emails")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _, body) = send(&app, get("/dev/now")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "1795251600"));
    }

    /// Behind a trusted proxy, the client named by `X-Forwarded-For` is who the audit trail
    /// (and so the throttles) see; from anyone else the header is ignored.
    #[tokio::test]
    async fn the_client_behind_a_trusted_proxy_is_audited() {
        for (_, dir, state) in apps_and_states().await {
            let settings = HttpSettings {
                https: false,
                public_origin: "http://localhost:3000".into(),
                geo: None,
                trusted_proxies: client_ip::TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap(),
            };
            let app = router(state.clone(), &dir.path().join("site"), settings);
            let sign_in = |peer: &str| {
                let mut req = Request::post("/sign-in")
                    .header(header::ORIGIN, "http://localhost:3000")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header("x-forwarded-for", "203.0.113.99, 198.51.100.7")
                    .body(Body::from("email=nobody%40example.com&password=wrong"))
                    .unwrap();
                let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(addr));
                req
            };
            assert_eq!(send(&app, sign_in("127.0.0.1")).await.0, StatusCode::OK);
            assert_eq!(send(&app, sign_in("192.0.2.50")).await.0, StatusCode::OK);
            let ips: Vec<(Option<String>,)> = sqlx::query_as(
            "SELECT client_ip FROM audit_events WHERE action = 'auth.sign_in.failed' ORDER BY seq",
        )
        .fetch_all(&state.db.pool)
        .await
        .unwrap();
            assert_eq!(
                ips,
                vec![
                    (Some("198.51.100.7".to_owned()),),
                    (Some("192.0.2.50".to_owned()),)
                ]
            );
        }
    }

    /// Requests are counted by route (junk paths under one label), and the metrics listener
    /// serves them with the outbox read from the database.
    #[tokio::test]
    async fn requests_are_measured_and_served_apart() {
        let (app, _dir, state) = app_and_state(None).await;
        for _ in 0..3 {
            assert_eq!(send(&app, get("/courts")).await.0, StatusCode::OK);
        }
        for i in 0..5 {
            send(&app, get(&format!("/junk-{i}"))).await;
        }
        let metrics = metrics::router(state.db.clone(), state.clock.clone());
        let (status, headers, text) = send(&metrics, get("/metrics")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let courts = text
            .lines()
            .find(|l| {
                l.starts_with("caseaccess_http_requests_total{")
                    && l.contains("route=\"/courts\"")
                    && l.contains("status=\"200\"")
            })
            .unwrap_or_else(|| panic!("{text}"));
        let n: u64 = courts.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n >= 3, "{courts}");
        assert!(!text.contains("junk-"), "junk paths make no series");
        assert!(text.contains("route=\"other\""), "{text}");
        assert!(text.contains("caseaccess_outbox_waiting 0"), "{text}");
        assert!(text.contains("caseaccess_http_request_duration_seconds_bucket"));
        // The public router does not serve them.
        assert_eq!(send(&app, get("/metrics")).await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn health_and_readiness() {
        let (app, _dir) = app().await;
        assert_eq!(send(&app, get("/healthz")).await.0, StatusCode::OK);
        let (status, _, body) = send(&app, get("/readyz")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ready"));
    }

    #[tokio::test]
    async fn courts_page_is_complete_html_with_nonce_csp() {
        for (app, _dir, _) in apps_and_states().await {
            let (status, headers, body) = send(&app, get("/courts")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                body.contains("Cardiff Magistrates&#x27;") || body.contains("Cardiff Magistrates'"),
                "{body}"
            );
            assert!(
                body.contains("<time datetime=\"2026-10-05\">5 October 2026"),
                "{body}"
            );
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|s| s.split('\'').next())
                .unwrap();
            assert!(body.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")));
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
        }
    }

    #[tokio::test]
    async fn a_stored_page_is_sent_with_a_fresh_nonce_each_time() {
        let (app, _dir) = app().await;
        let nonce = |headers: &axum::http::HeaderMap| {
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            csp.split("'nonce-")
                .nth(1)
                .unwrap()
                .split('\'')
                .next()
                .unwrap()
                .to_owned()
        };
        let (_, h1, b1) = send(&app, get("/courts")).await;
        let (_, h2, b2) = send(&app, get("/courts")).await;
        let (n1, n2) = (nonce(&h1), nonce(&h2));
        assert_ne!(n1, n2);
        assert!(b1.contains(&format!("nonce=\"{n1}\"")));
        assert!(b2.contains(&format!("nonce=\"{n2}\"")) && !b2.contains(&n1));
        assert_eq!(b1.replace(&n1, ""), b2.replace(&n2, ""), "the same page");
    }

    #[tokio::test]
    async fn welsh_by_query_sets_the_cookie() {
        let (app, _dir) = app().await;
        let (_, headers, body) = send(&app, get("/courts?lang=cy")).await;
        assert!(body.contains("<html lang=\"cy\""));
        assert!(body.contains("5 Hydref 2026"));
        assert!(
            headers[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .starts_with("lang=cy;")
        );
        let req = Request::get("/")
            .header(header::ACCEPT_LANGUAGE, "cy-GB,en;q=0.5")
            .body(Body::empty())
            .unwrap();
        assert!(send(&app, req).await.2.contains("<html lang=\"cy\""));
    }

    #[tokio::test]
    async fn unknown_address_is_a_404_page() {
        let (app, _dir) = app().await;
        let (status, _, body) = send(&app, get("/no/such/page")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("Page not found"));
    }

    #[tokio::test]
    async fn bundle_files_are_cached_for_a_year() {
        let (app, _dir) = app().await;
        let (status, headers, _) = send(&app, get("/pkg/a.1.css")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }

    #[tokio::test]
    async fn server_functions_answer_and_refuse_cross_site_posts() {
        for (app, _dir, _) in apps_and_states().await {
            let (status, _, body) = send(&app, get("/api/courts")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(body.contains("\"today\":\"2026-11-21\""), "{body}");
            let forged = Request::post("/api/courts")
                .header(header::ORIGIN, "https://evil.example")
                .body(Body::empty())
                .unwrap();
            assert_eq!(send(&app, forged).await.0, StatusCode::FORBIDDEN);
        }
    }
}
