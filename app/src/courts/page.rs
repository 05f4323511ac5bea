//! The `/courts` page: every court, grouped by region, with a search that filters as you type
//! once the page has hydrated and works as a plain GET form before (or without) JavaScript.

use super::{Court, CourtList, CourtStatus, Region, list_courts};
use crate::{
    i18n::{Lang, Msg, PluralMsg, use_lang},
    layout::LoadError,
    text::encode_query_value,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The courts page: server-rendered, with the search and the list in one island.
#[component]
pub fn CourtsPage() -> impl IntoView {
    let lang = use_lang();
    let q = use_query_map()
        .read_untracked()
        .get("q")
        .unwrap_or_default();

    view! {
        {crate::page_title(Msg::CourtsTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <h1 class="govuk-heading-l">{lang.t(Msg::CourtsTitle)}</h1>
                <p class="govuk-body-l">{lang.t(Msg::CourtsIntro)}</p>
                <p class="govuk-body">{lang.t(Msg::CourtsNotListed)}</p>
            </div>
        </div>
        <Suspense fallback=move || {
            view! { <p class="govuk-body">{lang.t(Msg::Loading)}</p> }
        }>
            // A plain `Suspend` rather than a `Resource`: the page is server HTML, the island
            // receives the list as its props, and nothing needs the value serialised twice.
            {Suspend::new(async move {
                match list_courts().await {
                    Ok(list) => view! { <CourtFinder list=list q=q /> }.into_any(),
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The search box and the results. Without JavaScript the form is a plain GET; once hydrated the
/// list filters as the user types and the address keeps the query, so reloading or sharing it
/// shows the same list.
#[island]
fn CourtFinder(list: CourtList, q: String) -> impl IntoView {
    let lang = use_lang();
    let q = RwSignal::new(q);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let url = if value.trim().is_empty() {
            "/courts".to_owned()
        } else {
            format!("/courts?q={}", encode_query_value(&value))
        };
        replace_url(&url);
        q.set(value);
    };

    view! {
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <form method="get" action="/courts" class="app-search" role="search">
                    <div class="govuk-form-group">
                        <label class="govuk-label govuk-label--s" for="q">
                            {lang.t(Msg::CourtsSearchLabel)}
                        </label>
                        <div id="q-hint" class="govuk-hint">{lang.t(Msg::CourtsSearchHint)}</div>
                        <input
                            class="govuk-input"
                            id="q"
                            name="q"
                            type="search"
                            autocomplete="off"
                            spellcheck="false"
                            aria-describedby="q-hint"
                            aria-controls="court-results"
                            value=q.get_untracked()
                            on:input=on_input
                        />
                    </div>
                    <button type="submit" class="govuk-button govuk-button--secondary">
                        {lang.t(Msg::CourtsSearchButton)}
                    </button>
                </form>
            </div>
        </div>
        <CourtResults list=list q=q />
    }
}

/// Replaces the address bar's URL without a navigation (the island has already re-rendered).
pub(crate) fn replace_url(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// The count and the region tables for the courts matching `q`.
#[component]
fn CourtResults(list: CourtList, q: RwSignal<String>) -> impl IntoView {
    let lang = use_lang();
    let today = list.today;
    let all = StoredValue::new(list.courts);
    let matching = Memo::new(move |_| {
        let q = q.get();
        all.with_value(|courts| {
            courts
                .iter()
                .filter(|c| c.matches(&q))
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    view! {
        <div id="court-results">
            <p class="app-results-count" role="status" aria-live="polite">
                {move || {
                    let n = matching.with(Vec::len) as u64;
                    let q = q.get();
                    if q.trim().is_empty() {
                        lang.tp(PluralMsg::CourtsShown, n)
                    } else {
                        lang.tf(Msg::CourtsMatching, &[("shown", &lang.tp(PluralMsg::CourtsShown, n)), ("query", q.trim())])
                    }
                }}
            </p>
            <Show when=move || !q.get().trim().is_empty()>
                <p class="govuk-body">
                    <a class="govuk-link" href="/courts">{lang.t(Msg::CourtsClearSearch)}</a>
                </p>
            </Show>
            <Show when=move || matching.with(Vec::is_empty)>
                <p class="govuk-body">{lang.t(Msg::CourtsNoneMatch)}</p>
            </Show>
            {Region::ALL
                .into_iter()
                .map(|region| {
                    let in_region = Memo::new(move |_| {
                        matching.with(|m| m.iter().filter(|c| c.region == region).cloned().collect::<Vec<_>>())
                    });
                    view! {
                        <Show when=move || in_region.with(|c| !c.is_empty())>
                            <RegionTable region=region courts=in_region today=today lang=lang />
                        </Show>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn RegionTable(
    region: Region,
    courts: Memo<Vec<Court>>,
    today: crate::date::Date,
    lang: Lang,
) -> impl IntoView {
    let heading_id = format!("region-{}", region.code());
    let labelled_by = heading_id.clone();
    view! {
        <section class="app-courts__region" aria-labelledby=labelled_by>
            <h2 class="govuk-heading-m" id=heading_id>{region.name(lang)}</h2>
            <table class="govuk-table">
                <caption class="govuk-table__caption govuk-visually-hidden">
                    {lang.tf(Msg::CourtsTableCaption, &[("region", region.name(lang))])}
                </caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::CourtsColCourt)}</th>
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::CourtsColGoLive)}</th>
                        <th scope="col" class="govuk-table__header">{lang.t(Msg::CourtsColStatus)}</th>
                    </tr>
                </thead>
                <tbody class="govuk-table__body">
                    <For
                        each=move || courts.get()
                        key=|c| c.name.clone()
                        children=move |court| {
                            let (tag_class, tag) = match court.status(today) {
                                CourtStatus::Live => ("govuk-tag govuk-tag--green", Msg::CourtsStatusLive),
                                CourtStatus::GoingLiveSoon => {
                                    ("govuk-tag govuk-tag--yellow", Msg::CourtsStatusSoon)
                                }
                                CourtStatus::Planned => ("govuk-tag govuk-tag--grey", Msg::CourtsStatusPlanned),
                            };
                            view! {
                                <tr class="govuk-table__row">
                                    <th scope="row" class="govuk-table__header">{court.name.clone()}</th>
                                    <td class="govuk-table__cell">
                                        <time datetime=court.go_live.to_string()>{court.go_live.long(lang)}</time>
                                    </td>
                                    <td class="govuk-table__cell">
                                        <strong class=tag_class>{lang.t(tag)}</strong>
                                    </td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </section>
    }
}
