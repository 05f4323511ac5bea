//! The features' declared addresses as axum routes: each form post and raw handler with its own
//! body limit (a form's enforced as it is read, a raw handler's by `RequestBodyLimitLayer`). Pages are the Leptos router's (built from the same declarations in `app::App`).

use app::{
    forms::Posted,
    shell,
    state::AppState,
    web::{
        Ctx, Outcome, Route, Upload,
        routes::{Form, Raw},
        set_cookies,
    },
};
use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{MethodFilter, on, post},
};
use leptos::prelude::*;
use tower_http::limit::RequestBodyLimitLayer;

/// The form posts and raw handlers of `routes`.
pub fn router<S: Clone + Send + Sync + 'static>(
    routes: &[Route],
    state: &AppState,
    options: &LeptosOptions,
) -> Router<S> {
    let mut router = Router::new();
    for r in routes {
        if let Some(form) = r.form {
            let (state, options, path) = (state.clone(), options.clone(), r.path);
            router = router.route(
                r.path,
                // The limit is the read's (`form_post`), so an oversized form gets the message.
                post(move |req: Request| {
                    form_post(state.clone(), options.clone(), form, path, req)
                }),
            );
        }
        for raw in &r.raw {
            let Raw {
                method,
                handler,
                limit,
            } = raw.clone();
            let Ok(filter) = MethodFilter::try_from(method.clone()) else {
                tracing::error!(path = r.path, %method, "a declared method axum cannot route");
                continue;
            };
            let state = state.clone();
            router = router.route(
                r.path,
                on(filter, move |req: Request| handler(state.clone(), req))
                    .layer(RequestBodyLimitLayer::new(limit.max(1))),
            );
        }
    }
    router
}

/// A form post: the body read (URL-encoded, or multipart with files as bytes) up to the
/// route's limit, the feature's handler called, and its redirect or page sent.
async fn form_post(
    state: AppState,
    options: LeptosOptions,
    form: Form,
    pattern: &'static str,
    req: Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Ok(bytes) = axum::body::to_bytes(body, form.limit).await else {
        return too_large(&parts);
    };
    let (fields, files) = match boundary {
        Some(boundary) => match multipart(bytes, boundary).await {
            Ok(parsed) => parsed,
            Err(status) => return status.into_response(),
        },
        None => (
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
            vec![],
        ),
    };
    let lang = parts
        .extensions
        .get::<app::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    let ctx = Ctx::from_parts(state.clone(), &parts, fields, files)
        .with_params(pattern, parts.uri.path());
    match (form.handler)(ctx).await {
        Ok(Outcome::Redirect { to, cookies }) => {
            let mut res = Redirect::to(&to).into_response();
            set_cookies(&mut res, cookies);
            res
        }
        Ok(Outcome::Render(posted)) => render(state, options, posted, &mut parts).await,
        Err(app::error::AppError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.message(lang)).into_response(),
    }
}

/// The page at the post's address again, with what was posted: rendered whole before it is sent
/// (not streamed), so that a page posted by the page script (a check-in, `app::hearings::offline`)
/// can be swapped in as it is, with no streamed parts left for scripts to put in place.
async fn render(
    state: AppState,
    options: LeptosOptions,
    posted: Posted,
    parts: &mut axum::http::request::Parts,
) -> Response {
    parts.method = axum::http::Method::GET;
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(state.clone());
            provide_context(posted.clone());
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts.clone(), Body::empty())).await
}

/// 413, said plainly.
fn too_large(parts: &axum::http::request::Parts) -> Response {
    let lang = parts
        .extensions
        .get::<app::i18n::Lang>()
        .copied()
        .unwrap_or_default();
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        lang.t(app::i18n::Msg::FormTooLarge),
    )
        .into_response()
}

/// The text fields and files of a `multipart/form-data` body. A field with a file name is a
/// file (its bytes kept as they came); any other is text.
async fn multipart(
    bytes: axum::body::Bytes,
    boundary: String,
) -> Result<(Vec<(String, String)>, Vec<Upload>), StatusCode> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let (mut fields, mut files) = (vec![], vec![]);
    loop {
        let field = match parts.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(StatusCode::BAD_REQUEST),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field
            .content_type()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let data = field.bytes().await.map_err(|_| StatusCode::BAD_REQUEST)?;
        match file_name {
            Some(file_name) => files.push(Upload {
                field: name,
                file_name,
                content_type,
                bytes: data.to_vec(),
            }),
            None => fields.push((name, String::from_utf8_lossy(&data).into_owned())),
        }
    }
    Ok((fields, files))
}
