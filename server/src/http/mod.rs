//! The HTTP side: router, middleware, static files, health checks, graceful shutdown.

mod health;
mod lang;
mod panic;
mod security;

use crate::config::Config;
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
}

impl HttpSettings {
    fn from_config(config: &Config) -> HttpSettings {
        let url = config.public_url.trim_end_matches('/');
        let origin = match url.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest))
            }
            None => url.to_owned(),
        };
        HttpSettings {
            https: config.is_https(),
            public_origin: origin,
        }
    }
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
    let pkg = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            immutable,
        ))
        .service(
            ServeDir::new(site_root.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    let assets = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            day.clone(),
        ))
        .service(
            ServeDir::new(site_root.join("assets"))
                .precompressed_br()
                .precompressed_gzip(),
        );
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
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz).with_state(db))
        .leptos_routes_with_context(&leptos_options, routes, provide, move || {
            shell(shell_options.clone())
        })
        .nest_service("/pkg", pkg)
        .nest_service("/assets", assets)
        .fallback_service(root_files)
        .with_state(leptos_options)
        .layer(middleware::from_fn(lang::negotiate))
        .layer(CompressionLayer::new().br(true).gzip(true))
        .layer(middleware::from_fn_with_state(settings, security::headers))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic::PanicPage::new(css)))
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let assets = load_assets(&config.site_root)?;
    // Leptos spawns rendering work on a global executor: make it tokio's.
    let _ = any_spawner::Executor::init_tokio();
    let state = AppState {
        db,
        clock,
        assets: Arc::new(assets),
    };
    let app = router(state, &config.site_root, HttpSettings::from_config(&config));
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .with_context(|| format!("listening on {}", config.site_addr))?;
    tracing::info!(address = %config.site_addr, public_url = %config.public_url, "serving");
    // Without TCP_NODELAY, responses written in parts wait on delayed ACKs (~40 ms each).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
