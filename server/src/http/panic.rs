//! The "Sorry, there is a problem" page for a request that panicked.

use app::{
    error::new_incident_id,
    i18n::{Lang, Msg},
};
use axum::{
    body::Body,
    http::{HeaderValue, Response, StatusCode, header},
};
use std::any::Any;

/// Turns a panic into a logged incident and a GOV.UK-style 500 page (in English and Welsh, as the
/// request's language is not known here) that shows only the incident id.
#[derive(Clone)]
pub struct PanicPage {
    css: String,
}

impl PanicPage {
    /// A page that links the site's stylesheet at `css`.
    pub fn new(css: String) -> PanicPage {
        PanicPage { css }
    }

    fn html(&self, incident: &str) -> String {
        let section = |lang: Lang| {
            format!(
                "<div lang=\"{code}\"><h1 class=\"govuk-heading-l\">{title}</h1><p class=\"govuk-body\">{body}</p></div>",
                code = lang.code(),
                title = lang.t(Msg::ServerErrorTitle),
                body = lang.tf(Msg::ErrorInternal, &[("incident", incident)]),
            )
        };
        format!(
            "<!DOCTYPE html><html lang=\"en\" class=\"govuk-template\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} – {service}</title><link rel=\"stylesheet\" href=\"{css}\">\
             <link rel=\"icon\" href=\"/assets/images/favicon.svg\" type=\"image/svg+xml\"></head>\
             <body class=\"govuk-template__body\"><div class=\"govuk-width-container\">\
             <main class=\"govuk-main-wrapper\" id=\"main-content\">{en}{cy}\
             <p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/\">{home}</a></p></main></div></body></html>",
            title = Lang::En.t(Msg::ServerErrorTitle),
            service = Lang::En.t(Msg::ServiceName),
            css = self.css,
            en = section(Lang::En),
            cy = section(Lang::Cy),
            home = Lang::En.t(Msg::NotFoundHome),
        )
    }
}

impl tower_http::catch_panic::ResponseForPanic for PanicPage {
    type ResponseBody = Body;

    fn response_for_panic(&mut self, err: Box<dyn Any + Send + 'static>) -> Response<Body> {
        let detail = err
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| err.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        let incident = new_incident_id();
        tracing::error!(incident = %incident, panic = %detail, "request panicked");
        let mut response = Response::new(Body::from(self.html(&incident)));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_shows_incident_not_detail() {
        let mut page = PanicPage::new("/pkg/x.css".into());
        use tower_http::catch_panic::ResponseForPanic;
        let r = page.response_for_panic(Box::new("secret detail".to_owned()));
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let html = page.html("ABC123");
        assert!(html.contains("ABC123"));
        assert!(html.contains("lang=\"cy\""));
        assert!(!html.contains("secret detail"));
    }
}
