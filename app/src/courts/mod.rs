//! Courts using the service: the public list at `/courts`.

#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod import;
pub(crate) mod page;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::CourtsPage;

/// The courts feature's one address.
#[cfg(feature = "ssr")]
pub fn routes() -> Vec<crate::web::Route> {
    vec![
        crate::web::Route::new("/courts", crate::web::Access::Public)
            .page_async(|| view! { <CourtsPage /> }.into_any()),
    ]
}

use crate::{
    date::Date,
    error::AppError,
    i18n::{Lang, Msg},
    text::normalise,
};
use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

/// HMCTS regions of England and Wales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// London
    London,
    /// South East
    SouthEast,
    /// South West
    SouthWest,
    /// Midlands
    Midlands,
    /// North East
    NorthEast,
    /// North West
    NorthWest,
    /// Wales
    Wales,
}

impl Region {
    /// Every region, in the order the list shows them.
    pub const ALL: [Region; 7] = [
        Region::London,
        Region::SouthEast,
        Region::SouthWest,
        Region::Midlands,
        Region::NorthEast,
        Region::NorthWest,
        Region::Wales,
    ];

    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Region::London => "london",
            Region::SouthEast => "south_east",
            Region::SouthWest => "south_west",
            Region::Midlands => "midlands",
            Region::NorthEast => "north_east",
            Region::NorthWest => "north_west",
            Region::Wales => "wales",
        }
    }

    /// The region with this database code.
    pub fn from_code(code: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The region named as in the CSV data file ("South East") or by its code ("south_east").
    pub fn from_name(name: &str) -> Option<Region> {
        let wanted = normalise(name).replace(' ', "_");
        Region::from_code(&wanted)
    }

    /// The region's name in a language.
    pub fn name(self, lang: Lang) -> &'static str {
        lang.t(match self {
            Region::London => Msg::RegionLondon,
            Region::SouthEast => Msg::RegionSouthEast,
            Region::SouthWest => Msg::RegionSouthWest,
            Region::Midlands => Msg::RegionMidlands,
            Region::NorthEast => Msg::RegionNorthEast,
            Region::NorthWest => Msg::RegionNorthWest,
            Region::Wales => Msg::RegionWales,
        })
    }
}

/// A court that uses (or will use) the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Court {
    /// The court's name, as HMCTS writes it.
    pub name: String,
    /// Its HMCTS region.
    pub region: Region,
    /// The first day the court uses the service.
    pub go_live: Date,
}

/// Where a court stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CourtStatus {
    /// Already using the service.
    Live,
    /// Starts within [`SOON_DAYS`] days.
    GoingLiveSoon,
    /// Starts later than that.
    Planned,
}

/// How many days ahead a go-live date counts as "soon".
pub const SOON_DAYS: i64 = 60;

impl Court {
    /// The court's status on `today`.
    pub fn status(&self, today: Date) -> CourtStatus {
        match today.days_until(self.go_live) {
            d if d <= 0 => CourtStatus::Live,
            d if d <= SOON_DAYS => CourtStatus::GoingLiveSoon,
            _ => CourtStatus::Planned,
        }
    }

    /// Whether the court matches a search: the query appears in its name or in its region's name
    /// (in either language), ignoring case, accents and punctuation. "north west" finds the
    /// North West, not every court with "north" in its name and "west" in its region.
    pub fn matches(&self, query: &str) -> bool {
        let query = normalise(query);
        query.is_empty()
            || [
                self.name.as_str(),
                self.region.name(Lang::En),
                self.region.name(Lang::Cy),
            ]
            .iter()
            .any(|field| normalise(field).contains(&query))
    }
}

/// The list as a page shows it: the courts and the day their status was worked out for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourtList {
    /// Today in the UK, by the server's clock.
    pub today: Date,
    /// Every court, by region then name.
    pub courts: Vec<Court>,
}

/// Every court using the service.
#[server(input = GetUrl, endpoint = "courts")]
pub async fn list_courts() -> Result<CourtList, AppError> {
    let state = crate::state::app_state()?;
    let courts = state
        .courts
        .get(&state.db, state.clock.now_unix())
        .await
        .map_err(AppError::internal)?;
    Ok(CourtList {
        today: state.clock.today_uk(),
        courts: courts.as_ref().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn court(name: &str, region: Region, go_live: &str) -> Court {
        Court {
            name: name.into(),
            region,
            go_live: go_live.parse().unwrap(),
        }
    }

    #[test]
    fn status_by_date() {
        let today: Date = "2026-11-21".parse().unwrap();
        let c = |d| court("X", Region::Wales, d);
        assert_eq!(c("2021-03-01").status(today), CourtStatus::Live);
        assert_eq!(c("2026-11-21").status(today), CourtStatus::Live);
        assert_eq!(c("2026-11-22").status(today), CourtStatus::GoingLiveSoon);
        assert_eq!(c("2027-01-20").status(today), CourtStatus::GoingLiveSoon);
        assert_eq!(c("2027-01-21").status(today), CourtStatus::Planned);
    }

    #[test]
    fn search_matches_names_and_regions_in_both_languages() {
        let c = court("Cardiff Magistrates' Court", Region::Wales, "2021-03-01");
        assert!(c.matches(""));
        assert!(c.matches("   "));
        assert!(c.matches("cardiff"));
        assert!(c.matches("CARDIFF magistrates"));
        assert!(c.matches("magistrates court"));
        assert!(c.matches("Magistrates’"));
        assert!(c.matches("wales"));
        assert!(c.matches("cymru"));
        assert!(!c.matches("swansea"));
        assert!(!c.matches("cardiff london"));
        let n = court(
            "North Somerset Magistrates' Court",
            Region::SouthWest,
            "2021-03-01",
        );
        assert!(n.matches("south-west"));
        assert!(n.matches("de orllewin"));
        assert!(n.matches("north somerset"));
        assert!(
            !n.matches("north west"),
            "a phrase is matched within one field"
        );
    }

    #[test]
    fn regions_round_trip() {
        for r in Region::ALL {
            assert_eq!(Region::from_code(r.code()), Some(r));
        }
        assert_eq!(Region::from_name("South East"), Some(Region::SouthEast));
        assert_eq!(Region::from_name(" north west "), Some(Region::NorthWest));
        assert_eq!(Region::from_name("Wales"), Some(Region::Wales));
        assert_eq!(Region::from_name("Scotland"), None);
    }
}
