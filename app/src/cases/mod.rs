//! Cases: the URN, the defendants' names as they are matched, the rule of who may read a
//! defendant's material, cases as prosecutors send them (`import`, `store`), and what defence
//! firms do with them (`defence`: find and declare, associate, disassociate, release requests,
//! IDPC requests, downloads), with the pages (`pages`, `forms`, `download`).

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod api_material;
#[cfg(feature = "ssr")]
pub mod cleanup;
#[cfg(feature = "ssr")]
pub mod defence;
#[cfg(all(test, feature = "ssr"))]
mod defence_tests;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod download;
#[cfg(feature = "ssr")]
pub mod emails;
#[cfg(feature = "ssr")]
pub mod file_type;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod inbox;
#[cfg(feature = "ssr")]
pub mod instructions;
#[cfg(feature = "ssr")]
pub mod names;
#[cfg(feature = "ssr")]
pub mod new_material;
#[cfg(feature = "ssr")]
pub mod notices;
#[cfg(feature = "ssr")]
pub mod orders;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod pdf;
#[cfg(feature = "ssr")]
pub mod pet;
#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod resumable;
#[cfg(feature = "ssr")]
mod routes;
#[cfg(feature = "ssr")]
pub mod sections;
#[cfg(feature = "ssr")]
pub mod sharing;
#[cfg(feature = "ssr")]
pub mod staff;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod upload;
#[cfg(feature = "ssr")]
pub mod upload_page;
pub mod upload_panel;
pub mod urn;
#[cfg(feature = "ssr")]
pub mod urn_requests;

#[cfg(feature = "ssr")]
pub use routes::routes;

/// The longest title a document may have (characters).
pub const TITLE_MAX: usize = 200;
/// The resumable upload protocol's version (tus).
pub const TUS_VERSION: &str = "1.0.0";
