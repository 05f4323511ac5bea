//! Cases: the URN, the defendants' names as they are matched, and the rule of who may read a
//! defendant's material. (The find-case journey, association and the case pages build on these.)

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod names;
pub mod urn;
