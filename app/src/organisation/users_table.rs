//! The organisation's users table with its search and filters. The server renders the filter
//! form (a GET form, so it works without JavaScript) and the rows it matches; after hydration
//! the island filters as the administrator types, keeping the address bar in step.

use crate::i18n::{Msg, PluralMsg, use_lang};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One user, as the table shows them (words already in the page's language).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserItem {
    /// Id, for the link.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role codes.
    pub roles: Vec<String>,
    /// Role names.
    pub role_names: String,
    /// Status code.
    pub status: String,
    /// Status name.
    pub status_name: String,
    /// Last sign-in, written out.
    pub last_sign_in: String,
    /// Second factors, written out.
    pub factors: String,
    /// The accountable person.
    pub accountable: bool,
}

/// The search and filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Words to find in the name or email.
    pub q: String,
    /// A status code, or "" for any.
    pub status: String,
    /// A role code, or "" for any.
    pub role: String,
}

impl Filter {
    /// Whether a user passes: every word of the search is in the name or email (compared as
    /// [`crate::text::normalise`] does for courts: case, accents and apostrophes aside, so
    /// "sian" finds Siân and "obrien" O'Brien), and the status and role match.
    pub fn matches(&self, u: &UserItem) -> bool {
        let hay = crate::text::normalise(&format!("{} {}", u.name, u.email));
        crate::text::normalise(&self.q)
            .split_whitespace()
            .all(|w| hay.contains(w))
            && (self.status.is_empty() || u.status == self.status)
            && (self.role.is_empty() || u.roles.contains(&self.role))
    }

    /// The query string for these filters ("" when there are none).
    pub fn query(&self) -> String {
        let parts: Vec<String> = [
            ("q", self.q.trim()),
            ("status", &self.status),
            ("role", &self.role),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::text::encode_query_value(v)))
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// A select's options: (code, name).
pub type Options = Vec<(String, String)>;

/// The filter form and the table.
#[island]
pub fn UsersTable(
    users: Vec<UserItem>,
    filter: Filter,
    statuses: Options,
    roles: Options,
) -> impl IntoView {
    let lang = use_lang();
    let f = RwSignal::new(filter);
    let all = StoredValue::new(users);
    let shown = Memo::new(move |_| {
        let f = f.get();
        all.with_value(|u| {
            u.iter()
                .filter(|u| f.matches(u))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let update = move |set: fn(&mut Filter, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            f.update(|f| set(f, v));
            crate::courts::page::replace_url(&format!(
                "/organisation/users{}",
                f.get_untracked().query()
            ));
        }
    };
    let select = move |id: &'static str,
                       label: Msg,
                       opts: Options,
                       current: String,
                       set: fn(&mut Filter, String)| {
        view! {
            <div class="govuk-form-group app-filter__item">
                <label class="govuk-label" for=id>{lang.t(label)}</label>
                <select class="govuk-select" id=id name=id on:change=update(set)>
                    <option value="" selected=current.is_empty()>{lang.t(Msg::OrgFilterAny)}</option>
                    {opts.into_iter().map(|(code, name)| {
                        let sel = code == current;
                        view! { <option value=code selected=sel>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
    };
    let start = f.get_untracked();
    view! {
        <form method="get" action="/organisation/users" class="app-filter" role="search">
            <div class="govuk-form-group app-filter__item">
                <label class="govuk-label" for="q">{lang.t(Msg::OrgFilterSearch)}</label>
                <input class="govuk-input" id="q" name="q" type="search" autocomplete="off" spellcheck="false"
                    value=start.q.clone() aria-controls="users" on:input=update(|f, v| f.q = v) />
            </div>
            {select("status", Msg::OrgFilterStatus, statuses, start.status.clone(), |f, v| f.status = v)}
            {select("role", Msg::OrgFilterRole, roles, start.role.clone(), |f, v| f.role = v)}
            <button type="submit" class="govuk-button govuk-button--secondary app-filter__button">{lang.t(Msg::OrgFilterApply)}</button>
        </form>
        <p class="govuk-body app-results-count" role="status" aria-live="polite">
            {move || lang.tp(PluralMsg::OrgUsersShown, shown.with(Vec::len) as u64)}
        </p>
        <table class="govuk-table app-users app-table--reflow" id="users">
            <caption class="govuk-table__caption govuk-visually-hidden">{lang.t(Msg::OrgUsersTitle)}</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColName)}</th>
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColRoles)}</th>
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColStatus)}</th>
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColLastSignIn)}</th>
                    <th scope="col" class="govuk-table__header">{lang.t(Msg::OrgColFactors)}</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">
                <For each=move || shown.get() key=|u| u.id.clone() let(u)>
                    <tr class="govuk-table__row">
                        <td class="govuk-table__cell" data-label=lang.t(Msg::OrgColName)>
                            <a class="govuk-link" href=format!("/organisation/user?id={}", u.id)>{u.name.clone()}</a>
                            <br />
                            <span class="app-secondary-text">{u.email.clone()}</span>
                            {u.accountable.then(|| view! { <br /><strong class="govuk-tag govuk-tag--purple">{lang.t(Msg::OrgAccountableTag)}</strong> })}
                        </td>
                        <td class="govuk-table__cell" data-label=lang.t(Msg::OrgColRoles)>{u.role_names.clone()}</td>
                        <td class="govuk-table__cell" data-label=lang.t(Msg::OrgColStatus)>
                            <strong class=format!("govuk-tag {}", status_tag(&u.status))>{u.status_name.clone()}</strong>
                        </td>
                        <td class="govuk-table__cell" data-label=lang.t(Msg::OrgColLastSignIn)>{u.last_sign_in.clone()}</td>
                        <td class="govuk-table__cell" data-label=lang.t(Msg::OrgColFactors)>{u.factors.clone()}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

/// The GOV.UK tag colour for a status.
pub fn status_tag(status: &str) -> &'static str {
    match status {
        "active" => "govuk-tag--green",
        "invited" => "govuk-tag--blue",
        "locked" => "govuk-tag--red",
        "deregistered" => "govuk-tag--orange",
        _ => "govuk-tag--grey",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(name: &str, email: &str, roles: &[&str], status: &str) -> UserItem {
        UserItem {
            id: email.into(),
            name: name.into(),
            email: email.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            role_names: String::new(),
            status: status.into(),
            status_name: String::new(),
            last_sign_in: String::new(),
            factors: String::new(),
            accountable: false,
        }
    }

    #[test]
    fn the_filter_matches_every_word_and_the_chosen_status_and_role() {
        let a = u(
            "Ann Jones",
            "ann@firm.example",
            &["administrator", "advocate"],
            "active",
        );
        let b = u("Bob Evans", "bob@firm.example", &["user"], "invited");
        let f = |q: &str, status: &str, role: &str| Filter {
            q: q.into(),
            status: status.into(),
            role: role.into(),
        };
        assert!(f("", "", "").matches(&a));
        assert!(f("ann jones", "", "").matches(&a));
        assert!(!f("ann evans", "", "").matches(&a));
        assert!(f("FIRM.example", "", "").matches(&b));
        assert!(f("", "invited", "").matches(&b));
        assert!(!f("", "invited", "").matches(&a));
        assert!(f("", "", "advocate").matches(&a));
        assert!(!f("", "", "advocate").matches(&b));
        // Accents, apostrophes and case aside, as people type names on a tablet.
        let c = u("Siân O’Brien", "sian@firm.example", &["user"], "active");
        assert!(f("sian obrien", "", "").matches(&c));
        assert!(f("O'Brien", "", "").matches(&c));
        assert!(f("SIÂN", "", "").matches(&c));
        assert!(!f("sian jones", "", "").matches(&c));
    }

    #[test]
    fn the_query_string_carries_only_what_is_set() {
        assert_eq!(Filter::default().query(), "");
        let f = Filter {
            q: " o'brien & co ".into(),
            status: "active".into(),
            role: String::new(),
        };
        assert_eq!(f.query(), "?q=o%27brien+%26+co&status=active");
    }
}
