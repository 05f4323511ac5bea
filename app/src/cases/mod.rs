//! Cases: the URN, the defendants' names as they are matched, the rule of who may read a
//! defendant's material, and cases as prosecutors send them (`import`, `store`). (The find-case
//! journey, association and the case pages build on these.)

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod names;
#[cfg(feature = "ssr")]
pub mod pdf;
#[cfg(feature = "ssr")]
pub mod store;
pub mod urn;

/// The cases feature's addresses (its pages come with the find-case journey).
#[cfg(feature = "ssr")]
pub fn routes() -> Vec<crate::web::Route> {
    vec![]
}
