//! `GET /court/live`: a court's live events as server-sent events, for its boards.
//!
//! The stream starts after the number the board last saw (`Last-Event-ID` when the browser
//! reconnects, else `?after=` from the page it rendered), sends what the table holds after it,
//! then each event as this process broadcasts it ([`crate::live`]), skipping numbers already
//! sent and filling any gap from the table (a subscriber that fell behind, or an event that came
//! by another route). Every `AppState::live_recheck` (30 s) it looks the session up again: a user signed out,
//! removed or no longer court staff stops receiving within that time, and the stream ends.

use crate::{
    accounts::session,
    live::{self, Event},
    state::AppState,
    web::Current,
};
use axum::{
    http::{HeaderMap, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{self, KeepAlive, Sse},
    },
};
use futures_util::stream::{self, Stream};
use std::{convert::Infallible, sync::Arc, time::Duration};
use tokio::sync::broadcast::{self, error::RecvError};

/// The address.
pub const PATH: &str = super::LIVE_PATH;

/// How long a browser waits before reconnecting after a drop.
const RETRY: Duration = Duration::from_secs(2);

/// Where a stream starts: the browser's `Last-Event-ID` (it reconnected), else `?after=`.
pub fn start_after(headers: &HeaderMap, query: Option<&str>) -> i64 {
    let header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let query = query.and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("after="))
            .and_then(|v| v.parse::<i64>().ok())
    });
    header.or(query).unwrap_or(0).max(0)
}

/// What woke a stream.
enum Woke {
    Got(Result<Arc<Event>, RecvError>),
    Closing,
    Check,
}

struct Live {
    state: AppState,
    topic: String,
    token: String,
    user_id: String,
    rx: broadcast::Receiver<Arc<Event>>,
    sent: i64,
    queue: std::collections::VecDeque<Event>,
    next_check: tokio::time::Instant,
    ended: bool,
    closing: tokio::sync::watch::Receiver<bool>,
    /// Counts the stream in the metrics while it is open.
    _open: crate::metrics::Open,
}

impl Live {
    /// Whether the session still belongs to active court staff of the same court.
    async fn still_allowed(&self) -> bool {
        let now = self.state.clock.now_unix();
        match session::lookup(&self.state.db, &self.token, now).await {
            Ok(Some(c)) => {
                c.stage == crate::web::Stage::Full
                    && c.user.id == self.user_id
                    && c.user.is_staff("court")
                    && c.user
                        .staff_court
                        .as_deref()
                        .is_some_and(|court| super::board::topic(court) == self.topic)
            }
            // A database that cannot answer: keep the stream (it is re-checked next time).
            Err(_) => true,
            Ok(None) => false,
        }
    }

    /// Reads the table after the last number sent.
    async fn fill(&mut self) {
        match live::since(&self.state.db, &self.topic, self.sent).await {
            Ok(events) => self.queue.extend(events),
            Err(e) => tracing::warn!(error = %e, "cannot read live events"),
        }
    }

    /// The next SSE frame, or none when the stream is over. (The database reads are boxed: this
    /// future is kept for every open board, and most of the time it is only waiting.)
    async fn next(&mut self) -> Option<sse::Event> {
        loop {
            if self.ended {
                return None;
            }
            if let Some(e) = self.queue.pop_front() {
                if e.seq <= self.sent {
                    continue;
                }
                self.sent = e.seq;
                return Some(
                    sse::Event::default()
                        .id(e.seq.to_string())
                        .event(e.kind)
                        .data(e.payload),
                );
            }
            let woke = tokio::select! {
                got = self.rx.recv() => Woke::Got(got),
                // The service is stopping: end, and the browser reconnects elsewhere.
                _ = self.closing.wait_for(|closing| *closing) => Woke::Closing,
                () = tokio::time::sleep_until(self.next_check) => Woke::Check,
            };
            match woke {
                Woke::Got(Ok(e)) if e.seq <= self.sent => {}
                Woke::Got(Ok(e)) if e.seq == self.sent + 1 => self.queue.push_back((*e).clone()),
                // A gap (events this process broadcast before this stream caught up): the
                // table has them all, in order.
                Woke::Got(Ok(_) | Err(RecvError::Lagged(_))) => Box::pin(self.fill()).await,
                Woke::Got(Err(RecvError::Closed)) | Woke::Closing => return None,
                Woke::Check => {
                    self.next_check = tokio::time::Instant::now() + self.state.live_recheck;
                    if !Box::pin(self.still_allowed()).await {
                        self.ended = true;
                        return Some(sse::Event::default().event("signed-out").data("{}"));
                    }
                }
            }
        }
    }
}

/// `GET /court/live`.
pub async fn get(state: AppState, req: axum::extract::Request) -> Response {
    let Some(current) = req
        .extensions()
        .get::<Current>()
        .filter(|c| c.stage == crate::web::Stage::Full && c.user.is_staff("court"))
        .cloned()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(court) = current.user.staff_court.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(token) = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(session::token_from_cookie_header)
        .map(str::to_owned)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let after = start_after(req.headers(), req.uri().query());
    let topic = super::board::topic(&court);
    // Subscribe first, then read the table: nothing committed between is missed.
    let (_t, rx) = state.db.live.subscribe(&topic);
    if let Err(e) = state.db.live.prime(&state.db, &topic).await {
        tracing::warn!(error = %e, "cannot read live events");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut live = Live {
        topic,
        token,
        user_id: current.user.id.clone(),
        rx,
        sent: after,
        queue: Default::default(),
        next_check: tokio::time::Instant::now() + state.live_recheck,
        ended: false,
        closing: state.db.live.closing(),
        _open: crate::metrics::metrics().live_stream(),
        state,
    };
    live.fill().await;
    let body = frames(live);
    let mut res = Sse::new(body)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    // Proxies (nginx) must not hold events back.
    res.headers_mut()
        .insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    res
}

fn frames(live: Live) -> impl Stream<Item = Result<sse::Event, Infallible>> {
    let first = sse::Event::default().retry(RETRY).comment("live");
    stream::once(async move { Ok(first) }).chain(stream::unfold(live, |mut live| async move {
        live.next().await.map(|e| (Ok(e), live))
    }))
}

use futures_util::StreamExt as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnecting_browser_starts_after_its_last_event() {
        let mut h = HeaderMap::new();
        assert_eq!(start_after(&h, Some("after=12&courtroom=1")), 12);
        assert_eq!(start_after(&h, None), 0);
        assert_eq!(start_after(&h, Some("after=-5")), 0);
        h.insert("last-event-id", "40".parse().expect("value"));
        assert_eq!(start_after(&h, Some("after=12")), 40);
        h.insert("last-event-id", "nonsense".parse().expect("value"));
        assert_eq!(start_after(&h, Some("after=12")), 12);
    }
}
