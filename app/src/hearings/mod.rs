//! Hearings and check-in on the day (issue 12, docs/hearings.md): advocates check in so the
//! court and the Legal Aid Agency know who attends. `rules` is the check-in rule and `board`
//! what a court's live board shows (both builds); `store` reads and writes them; `stream` sends
//! a court's live events; the pages are the lists, the check-in form, the court's board
//! (`live_board`, an island) and the LAA's attendance.

pub mod board;
#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod court;
#[cfg(feature = "ssr")]
pub mod laa;
pub mod live_board;
#[cfg(feature = "ssr")]
pub mod offline;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
mod routes;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod stream;

#[cfg(feature = "ssr")]
pub use routes::routes;

/// The court's live events (server-sent).
pub const LIVE_PATH: &str = "/court/live";
