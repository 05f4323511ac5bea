//! HMCTS onboarding: the queue of registrations and the decision on each (creating the
//! organisation and its users), importing the registration spreadsheet, and restoring an
//! organisation whose only administrator was locked out. For HMCTS onboarding staff only.

#[cfg(feature = "ssr")]
pub mod decide;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
mod routes;
#[cfg(feature = "ssr")]
pub use routes::routes;
