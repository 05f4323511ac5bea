//! The request pieces every feature shares, below the features: who is asking ([`session`]),
//! one request and its answer ([`Ctx`], [`Outcome`]), and what a feature declares it serves
//! ([`routes`]). Features import this; it imports no feature.

#[cfg(feature = "ssr")]
mod context;
#[cfg(feature = "ssr")]
mod gate;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod session;
pub mod timeout;

#[cfg(feature = "ssr")]
pub use context::{
    ClientIp, Ctx, Outcome, Upload, current_session, json, query, redirect, redirect_with,
    set_cookies, state,
};
#[cfg(feature = "ssr")]
pub use gate::{Exact, gate, page_routes};
#[cfg(feature = "ssr")]
pub use routes::{Access, Feature, Route};
#[cfg(feature = "ssr")]
pub use session::{Current, Stage, User, home};
