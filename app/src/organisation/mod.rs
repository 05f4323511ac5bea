//! Organisation settings: the organisation's details, its users (joiners, movers and leavers),
//! its audit trail and requests to HMCTS, all for the organisation's administrators. Builds on
//! `accounts`; imports no other feature.
//!
//! The rules ([`rules`]) are pure and tested exhaustively; [`store`] loads a snapshot of the
//! organisation inside the transaction that changes it, after locking the organisation's row, so
//! two administrators acting at once queue and the second sees the first's change.

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod ops;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
mod routes;
pub mod rules;
#[cfg(feature = "ssr")]
pub use routes::routes;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(all(test, feature = "ssr"))]
mod tests;
pub mod users_table;
