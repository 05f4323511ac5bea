//! The organisation settings pages (server HTML; forms post to their own address, see
//! [`super::forms`]). The gate lets only the organisation's active administrators in.

use super::{
    rules::Status,
    store::{self, UserRow},
    users_table::{Filter, UserItem, UsersTable, status_tag},
};
use crate::{
    accounts::{
        Role,
        pages::{SuccessBanner, current_session, query, state},
        register_page::AddressInput,
        store::User,
    },
    forms::{ErrorSummary, Hidden, TextInput, form_title, use_posted},
    i18n::{Lang, Msg, use_lang},
};
use leptos::prelude::*;

/// The signed-in administrator.
pub(crate) fn admin() -> Option<User> {
    current_session()
        .map(|s| s.user)
        .filter(|u| u.is_active_admin())
}

/// The name of a status.
pub fn status_name(s: Status) -> Msg {
    match s {
        Status::Invited => Msg::StatusInvited,
        Status::Active => Msg::StatusActive,
        Status::Locked => Msg::StatusLocked,
        Status::Deregistered => Msg::StatusDeregistered,
        Status::Removed => Msg::StatusRemoved,
    }
}

pub(crate) use crate::accounts::role_names;

fn factors(u: &UserRow, lang: Lang) -> String {
    let mut out = vec![];
    if u.has_totp == 1 {
        out.push(lang.t(Msg::OrgFactorApp).to_owned());
    }
    if u.passkeys > 0 {
        out.push(lang.tp(
            crate::i18n::PluralMsg::OrgPasskeys,
            u64::try_from(u.passkeys).unwrap_or(0),
        ));
    }
    if out.is_empty() {
        lang.t(Msg::OrgFactorNone).to_owned()
    } else {
        out.join(", ")
    }
}

/// The sub-navigation across the organisation pages.
#[component]
pub(crate) fn OrgNav(current: &'static str) -> impl IntoView {
    let lang = use_lang();
    let items = [
        ("/organisation", Msg::OrgNavDetails),
        ("/organisation/users", Msg::OrgNavUsers),
        ("/organisation/audit", Msg::OrgNavAudit),
    ];
    view! {
        <nav class="moj-sub-navigation" aria-label=lang.t(Msg::OrgNavLabel)>
            <ul class="moj-sub-navigation__list">
                {items.into_iter().map(|(href, label)| {
                    let here = href == current;
                    view! {
                        <li class="moj-sub-navigation__item">
                            <a class="moj-sub-navigation__link" href=href aria-current=here.then_some("page")>{lang.t(label)}</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

fn row(
    key: Msg,
    value: impl IntoView + 'static,
    change: Option<(&'static str, Msg)>,
    lang: Lang,
) -> impl IntoView {
    view! {
        <div class="govuk-summary-list__row">
            <dt class="govuk-summary-list__key">{lang.t(key)}</dt>
            <dd class="govuk-summary-list__value">{value}</dd>
            {change.map(|(href, hidden)| view! {
                <dd class="govuk-summary-list__actions">
                    <a class="govuk-link" href=href>
                        {lang.t(Msg::ChangeLink)}
                        <span class="govuk-visually-hidden">{format!(" {}", lang.t(hidden).to_lowercase())}</span>
                    </a>
                </dd>
            })}
        </div>
    }
}

fn lines(text: &str) -> impl IntoView + 'static {
    let parts: Vec<String> = text.lines().map(str::to_owned).collect();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, l)| view! { {(i > 0).then(|| view! { <br /> })} {l} })
        .collect_view()
}

/// `/organisation`: the organisation's details and accountable person.
#[component]
pub fn OrganisationPage() -> impl IntoView {
    let lang = use_lang();
    let banner = match query("done").as_str() {
        "details" => Some(Msg::OrgDetailsChangedBanner),
        "unchanged" => Some(Msg::OrgDetailsUnchangedBanner),
        "nominated" => Some(Msg::OrgNominatedBanner),
        "withdrawn" => Some(Msg::OrgWithdrawnBanner),
        "request" => Some(Msg::OrgRequestSentBanner),
        _ => None,
    };
    let load = async move {
        let state = state()?;
        let u = admin()?;
        let org_id = u.organisation_id.clone()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let d = store::details(&mut conn, &org_id).await.ok()??;
        let pending = match &d.accountable_pending_id {
            Some(id) => store::user(&mut conn, &org_id, id).await.ok()?,
            None => None,
        };
        // The accountable person's account closed from outside (deregistered after 90 days
        // without use): the administrators should reinstate it or transfer.
        let lapsed = match &d.accountable_user_id {
            Some(id) => store::user(&mut conn, &org_id, id)
                .await
                .ok()?
                .filter(|u| Status::from_code(&u.status).is_some_and(|s| !s.is_current())),
            None => None,
        };
        Some((d, pending, lapsed))
    };
    view! {
        {crate::page_title(Msg::OrgTitle)}
        {banner.map(|m| view! { <SuccessBanner message=m /> })}
        <Suspense>
            {Suspend::new(async move {
                load.await.map(|(d, pending, lapsed)| {
                    let none = || lang.t(Msg::OrgNotGiven).to_owned();
                    let accountable = format!("{}\n{}\n{}", d.accountable_name, d.accountable_email, d.accountable_phone);
                    view! {
                        <span class="govuk-caption-l">{d.name.clone()}</span>
                        <h1 class="govuk-heading-l">{lang.t(Msg::OrgTitle)}</h1>
                        <OrgNav current="/organisation" />
                        <h2 class="govuk-heading-m">{lang.t(Msg::OrgDetailsTitle)}</h2>
                        <dl class="govuk-summary-list" id="details">
                            {row(Msg::RegOrgName, d.name.clone(), None, lang)}
                            {row(Msg::RegAddress, lines(&d.address), Some(("/organisation/details", Msg::RegAddress)), lang)}
                            {row(Msg::RegPostcode, d.postcode.clone(), Some(("/organisation/details", Msg::RegPostcode)), lang)}
                            {row(Msg::RegLaa, d.laa_account.clone().unwrap_or_else(none), Some(("/organisation/details", Msg::RegLaa)), lang)}
                            {row(Msg::RegSra, d.sra_number.clone().unwrap_or_else(none), Some(("/organisation/details", Msg::RegSra)), lang)}
                            {row(Msg::RegBar, d.bar_number.clone().unwrap_or_else(none), Some(("/organisation/details", Msg::RegBar)), lang)}
                        </dl>
                        <h2 class="govuk-heading-m">{lang.t(Msg::OrgAccountableTitle)}</h2>
                        <p class="govuk-body">{lang.t(Msg::OrgAccountableIntro)}</p>
                        {lapsed.map(|u| view! {
                            <div class="govuk-warning-text" id="accountable-lapsed">
                                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                                <strong class="govuk-warning-text__text">
                                    <span class="govuk-visually-hidden">{lang.t(Msg::WarningHidden)}</span>
                                    {lang.tf(Msg::OrgAccountableLapsed, &[("name", &u.name())])}
                                    " "
                                    <a class="govuk-link" href=format!("/organisation/user?id={}", u.id)>{lang.t(Msg::OrgAccountableLapsedLink)}</a>
                                </strong>
                            </div>
                        })}
                        <dl class="govuk-summary-list" id="accountable">
                            {row(Msg::OrgAccountableTitle, lines(&accountable), Some(("/organisation/accountable", Msg::OrgAccountableTitle)), lang)}
                        </dl>
                        {pending.map(|p| view! {
                            <div class="govuk-inset-text" id="pending-transfer">
                                {lang.tf(Msg::OrgPendingTransfer, &[("name", &p.name())])}
                                <form method="post" action="/organisation/accountable" class="govuk-!-margin-top-2">
                                    <Hidden name="action" value="withdraw" />
                                    <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0">{lang.t(Msg::OrgWithdrawButton)}</button>
                                </form>
                            </div>
                        })}
                        <h2 class="govuk-heading-m">{lang.t(Msg::OrgTellTitle)}</h2>
                        <p class="govuk-body">{lang.t(Msg::OrgTellIntro)}</p>
                        <p class="govuk-body"><a class="govuk-link" href="/organisation/tell-hmcts">{lang.t(Msg::OrgTellLink)}</a></p>
                    }
                })
            })}
        </Suspense>
    }
}

/// `/organisation/details`: change the address, numbers and contact phone.
#[component]
pub fn DetailsPage() -> impl IntoView {
    let lang = use_lang();
    let load = async move {
        let state = state()?;
        let org_id = admin()?.organisation_id?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        store::details(&mut conn, &org_id).await.ok()?
    };
    view! {
        {form_title(Msg::OrgDetailsChangeTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        load.await.map(|d| view! {
                            <span class="govuk-caption-l">{d.name.clone()}</span>
                            <h1 class="govuk-heading-l">{lang.t(Msg::OrgDetailsChangeTitle)}</h1>
                            <form method="post" action="/organisation/details" novalidate>
                                <AddressInput initial=d.address.clone() />
                                <TextInput name="postcode" label=lang.t(Msg::RegPostcode) autocomplete="postal-code" width="govuk-input--width-10" initial=d.postcode.clone() />
                                <p class="govuk-body">{lang.t(Msg::RegNumbersIntro)}</p>
                                <TextInput name="laa" label=lang.t(Msg::RegLaa) hint=lang.t(Msg::RegLaaHint) width="govuk-input--width-10" initial=d.laa_account.clone().unwrap_or_default() />
                                <TextInput name="sra" label=lang.t(Msg::RegSra) hint=lang.t(Msg::RegSraHint) width="govuk-input--width-10" initial=d.sra_number.clone().unwrap_or_default() />
                                <TextInput name="bar" label=lang.t(Msg::RegBar) hint=lang.t(Msg::RegBarHint) width="govuk-input--width-10" initial=d.bar_number.clone().unwrap_or_default() />
                                <TextInput name="ap_phone" label=lang.t(Msg::OrgContactPhone) hint=lang.t(Msg::OrgContactPhoneHint) kind="tel" autocomplete="tel" width="govuk-input--width-20" initial=d.accountable_phone.clone() />
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button">{lang.t(Msg::SaveButton)}</button>
                                    <a class="govuk-link" href="/organisation">{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        })
                    })}
                </Suspense>
            </div>
        </div>
    }
}

fn item(u: &UserRow, accountable: Option<&str>, lang: Lang) -> UserItem {
    let roles = u.role_list();
    UserItem {
        id: u.id.clone(),
        name: u.name(),
        email: u.email.clone(),
        roles: roles.iter().map(|r| r.code().to_owned()).collect(),
        role_names: role_names(&roles, lang),
        status: u.status.clone(),
        status_name: lang.t(status_name(u.status())).to_owned(),
        last_sign_in: u.last_sign_in_at.map_or_else(
            || lang.t(Msg::OrgNeverSignedIn).to_owned(),
            |t| crate::clock::uk_time(t, lang),
        ),
        factors: factors(u, lang),
        accountable: accountable == Some(u.id.as_str()),
    }
}

/// `/organisation/users`: the users table.
#[component]
pub fn UsersPage() -> impl IntoView {
    let lang = use_lang();
    let filter = Filter {
        q: query("q"),
        status: Status::from_code(&query("status"))
            .map(|s| s.code().to_owned())
            .unwrap_or_default(),
        role: Role::from_code(&query("role"))
            .map(|r| r.code().to_owned())
            .unwrap_or_default(),
    };
    let added = query("added").parse::<u64>().ok();
    let load = async move {
        let state = state()?;
        let org_id = admin()?.organisation_id?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let d = store::details(&mut conn, &org_id).await.ok()??;
        let users = store::users(&mut conn, &org_id).await.ok()?;
        Some((d, users))
    };
    view! {
        {crate::page_title(Msg::OrgUsersTitle)}
        {added.map(|n| view! {
            <crate::accounts::pages::SuccessBannerText text=lang.tp(crate::i18n::PluralMsg::OrgUsersAdded, n) />
        })}
        <Suspense>
            {Suspend::new(async move {
                let filter = filter.clone();
                load.await.map(|(d, users)| {
                    let items: Vec<UserItem> = users.iter().map(|u| item(u, d.accountable_user_id.as_deref(), lang)).collect();
                    let statuses = Status::ALL.iter().map(|s| (s.code().to_owned(), lang.t(status_name(*s)).to_owned())).collect();
                    let roles = Role::ALL.iter().map(|r| (r.code().to_owned(), lang.t(r.label()).to_owned())).collect();
                    view! {
                        <span class="govuk-caption-l">{d.name.clone()}</span>
                        <h1 class="govuk-heading-l">{lang.t(Msg::OrgUsersTitle)}</h1>
                        <OrgNav current="/organisation/users" />
                        <div class="govuk-button-group">
                            <a class="govuk-button" href="/organisation/users/add" role="button" draggable="false">{lang.t(Msg::OrgAddUserTitle)}</a>
                            <a class="govuk-button govuk-button--secondary" href="/organisation/users/import" role="button" draggable="false">{lang.t(Msg::OrgImportTitle)}</a>
                        </div>
                        <UsersTable users=items filter=filter statuses=statuses roles=roles />
                    }
                })
            })}
        </Suspense>
    }
}

/// Role checkboxes, ticked from what was posted by a form with roles (changing roles, adding a
/// user) or else `initial` (so another refused action on the page leaves the user's roles).
#[component]
fn RoleCheckboxes(#[prop(optional)] initial: Vec<Role>) -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let error = posted.error("roles").map(str::to_owned);
    let bad = error.is_some();
    let ticked: Vec<Role> = if posted.value("action") == Some("roles")
        || posted.values.iter().any(|(k, _)| k == "email")
    {
        super::forms::posted_roles(&posted.values)
    } else {
        initial
    };
    let hints = [
        (Role::Administrator, Msg::RoleAdministratorHint),
        (Role::Advocate, Msg::RoleAdvocateHint),
        (Role::User, Msg::RoleUserHint),
    ];
    view! {
        <div class=if bad { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
            <fieldset class="govuk-fieldset" aria-describedby=if bad { "roles-hint roles-error" } else { "roles-hint" }>
                <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::OrgRolesLegend)}</legend>
                <div id="roles-hint" class="govuk-hint">{lang.t(Msg::OrgRolesHint)}</div>
                <crate::forms::FieldErrorMessage id="roles".to_owned() message=error />
                <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                    {hints.into_iter().enumerate().map(|(i, (r, hint))| {
                        let id = if i == 0 { "roles".to_owned() } else { format!("roles-{}", r.code()) };
                        let hint_id = format!("{id}-item-hint");
                        view! {
                            <div class="govuk-checkboxes__item">
                                <input class="govuk-checkboxes__input" id=id.clone() name="roles" type="checkbox" value=r.code()
                                    checked=ticked.contains(&r) aria-describedby=hint_id.clone() />
                                <label class="govuk-label govuk-checkboxes__label" for=id>{lang.t(r.label())}</label>
                                <div id=hint_id class="govuk-hint govuk-checkboxes__hint">{lang.t(hint)}</div>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
        </div>
    }
}

/// `/organisation/users/add`: invite one user.
#[component]
pub fn AddUserPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        {form_title(Msg::OrgAddUserTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <h1 class="govuk-heading-l">{lang.t(Msg::OrgAddUserTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::OrgAddUserIntro)}</p>
                <form method="post" action="/organisation/users/add" novalidate>
                    <TextInput name="first_name" label=lang.t(Msg::RegFirstName) autocomplete="off" />
                    <TextInput name="last_name" label=lang.t(Msg::RegLastName) autocomplete="off" />
                    <TextInput name="email" label=lang.t(Msg::RegEmail) hint=lang.t(Msg::OrgEmailHint) kind="email" autocomplete="off" />
                    <RoleCheckboxes initial=vec![Role::User] />
                    <div class="govuk-button-group">
                        <button type="submit" class="govuk-button">{lang.t(Msg::OrgAddUserButton)}</button>
                        <a class="govuk-link" href="/organisation/users">{lang.t(Msg::CancelLink)}</a>
                    </div>
                </form>
            </div>
        </div>
    }
}

/// A one-button form for an action on a user.
fn action_form(
    user: &str,
    action: &'static str,
    label: Msg,
    warning: bool,
    lang: Lang,
) -> impl IntoView {
    view! {
        <form method="post" action=format!("/organisation/user?id={user}") class="app-inline-form">
            <Hidden name="user" value=user.to_owned() />
            <Hidden name="action" value=action />
            <button type="submit" class=if warning { "govuk-button govuk-button--warning" } else { "govuk-button govuk-button--secondary" }>
                {lang.t(label)}
            </button>
        </form>
    }
}

/// `/organisation/user?id=…`: one user, and what can be done to them.
#[component]
pub fn UserPage() -> impl IntoView {
    let lang = use_lang();
    let id = query("id");
    let banner = match query("done").as_str() {
        "invited" => Some(Msg::OrgDoneInvited),
        "resend" => Some(Msg::OrgDoneResent),
        "roles" => Some(Msg::OrgDoneRoles),
        "remove" => Some(Msg::OrgDoneRemoved),
        "reinstate" => Some(Msg::OrgDoneReinstated),
        "unlock" => Some(Msg::OrgDoneUnlocked),
        "reset-factors" => Some(Msg::OrgDoneFactorsReset),
        "end-sessions" => Some(Msg::OrgDoneSessionsEnded),
        _ => None,
    };
    let me = admin().map(|u| u.id).unwrap_or_default();
    let load = async move {
        let state = state()?;
        let org_id = admin()?.organisation_id?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let d = store::details(&mut conn, &org_id).await.ok()??;
        let u = store::user(&mut conn, &org_id, &id).await.ok()??;
        Some((d, u))
    };
    view! {
        {form_title(Msg::OrgUserTitle)}
        {banner.map(|m| view! { <SuccessBanner message=m /> })}
        <ErrorSummary />
        <Suspense>
            {Suspend::new(async move {
                let me = me.clone();
                let Some((d, u)) = load.await else {
                    crate::layout::not_found_status();
                    return view! {
                        <h1 class="govuk-heading-l">{lang.t(Msg::OrgUserMissingTitle)}</h1>
                        <p class="govuk-body"><a class="govuk-link" href="/organisation/users">{lang.t(Msg::OrgBackToUsers)}</a></p>
                    }.into_any();
                };
                let status = u.status();
                let roles = u.role_list();
                let accountable = d.accountable_user_id.as_deref() == Some(u.id.as_str());
                let yourself = u.id == me;
                let id = u.id.clone();
                view! {
                    <a class="govuk-back-link" href="/organisation/users">{lang.t(Msg::OrgBackToUsers)}</a>
                    <span class="govuk-caption-l">{lang.t(Msg::OrgUserTitle)}</span>
                    <h1 class="govuk-heading-l">{u.name()}</h1>
                    <dl class="govuk-summary-list" id="user-details">
                        {row(Msg::RegEmail, u.email.clone(), None, lang)}
                        {row(Msg::OrgColStatus, view! { <strong class=format!("govuk-tag {}", status_tag(&u.status))>{lang.t(status_name(status))}</strong> }, None, lang)}
                        {row(Msg::OrgColRoles, role_names(&roles, lang), None, lang)}
                        {row(Msg::OrgColLastSignIn, u.last_sign_in_at.map_or_else(|| lang.t(Msg::OrgNeverSignedIn).to_owned(), |t| crate::clock::uk_time(t, lang)), None, lang)}
                        {row(Msg::OrgColFactors, factors(&u, lang), None, lang)}
                        {row(Msg::OrgAdded, crate::clock::uk_time(u.created_at, lang), None, lang)}
                    </dl>
                    {accountable.then(|| view! { <div class="govuk-inset-text">{lang.t(Msg::OrgUserIsAccountable)}</div> })}
                    {status.is_current().then(|| view! {
                        <form method="post" action=format!("/organisation/user?id={id}") novalidate id="roles-form">
                            <Hidden name="user" value=id.clone() />
                            <Hidden name="action" value="roles" />
                            <RoleCheckboxes initial=roles.clone() />
                            <button type="submit" class="govuk-button govuk-button--secondary">{lang.t(Msg::OrgSaveRoles)}</button>
                        </form>
                    })}
                    <h2 class="govuk-heading-m" id="actions">{lang.t(Msg::OrgActionsTitle)}</h2>
                    <div class="govuk-button-group app-actions">
                        {(status == Status::Invited).then(|| view! {
                            {action_form(&id, "resend", Msg::OrgResendButton, false, lang)}
                            {action_form(&id, "remove", Msg::OrgCancelInvitationButton, true, lang)}
                        })}
                        {(status == Status::Deregistered).then(|| action_form(&id, "reinstate", Msg::OrgReinstateButton, false, lang))}
                        {(status == Status::Locked).then(|| action_form(&id, "unlock", Msg::OrgUnlockButton, false, lang))}
                        {(matches!(status, Status::Active | Status::Locked) && !yourself).then(|| view! {
                            {action_form(&id, "end-sessions", Msg::OrgEndSessionsButton, false, lang)}
                            <a class="govuk-button govuk-button--secondary" role="button" draggable="false"
                                href=format!("/organisation/user/confirm?id={id}&action=reset-factors")>{lang.t(Msg::OrgResetFactorsButton)}</a>
                        })}
                        {(status != Status::Removed && status != Status::Invited).then(|| view! {
                            <a class="govuk-button govuk-button--warning" role="button" draggable="false"
                                href=format!("/organisation/user/confirm?id={id}&action=remove")>{lang.t(Msg::OrgRemoveButton)}</a>
                        })}
                    </div>
                    {(status == Status::Removed).then(|| view! { <p class="govuk-body">{lang.t(Msg::OrgRemovedNote)}</p> })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// `/organisation/user/confirm?id=…&action=remove|reset-factors`: the check before an action
/// that cannot be undone.
#[component]
pub fn ConfirmPage() -> impl IntoView {
    let lang = use_lang();
    let id = query("id");
    let action = query("action");
    let (title, body, button) = if action == "reset-factors" {
        (
            Msg::OrgConfirmResetTitle,
            Msg::OrgConfirmResetBody,
            Msg::OrgResetFactorsButton,
        )
    } else {
        (
            Msg::OrgConfirmRemoveTitle,
            Msg::OrgConfirmRemoveBody,
            Msg::OrgRemoveButton,
        )
    };
    let action = if action == "reset-factors" {
        "reset-factors"
    } else {
        "remove"
    };
    let load = async move {
        let state = state()?;
        let org_id = admin()?.organisation_id?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        store::user(&mut conn, &org_id, &id).await.ok()?
    };
    view! {
        {crate::page_title(title)}
        <Suspense>
            {Suspend::new(async move {
                let u = load.await;
                if u.is_none() {
                    crate::layout::not_found_status();
                }
                u.map(|u| view! {
                    <a class="govuk-back-link" href=format!("/organisation/user?id={}", u.id)>{lang.t(Msg::BackLink)}</a>
                    <div class="govuk-grid-row">
                        <div class="govuk-grid-column-two-thirds">
                            <span class="govuk-caption-l">{u.name()}</span>
                            <h1 class="govuk-heading-l">{lang.t(title)}</h1>
                            <p class="govuk-body">{lang.tf(body, &[("name", &u.name())])}</p>
                            <form method="post" action=format!("/organisation/user?id={}", u.id)>
                                <Hidden name="user" value=u.id.clone() />
                                <Hidden name="action" value=action />
                                <Hidden name="confirm" value="yes" />
                                <div class="govuk-button-group">
                                    <button type="submit" class="govuk-button govuk-button--warning">{lang.t(button)}</button>
                                    <a class="govuk-link" href=format!("/organisation/user?id={}", u.id)>{lang.t(Msg::CancelLink)}</a>
                                </div>
                            </form>
                        </div>
                    </div>
                })
            })}
        </Suspense>
    }
}

/// `/organisation/accountable`: name a new accountable person.
#[component]
pub fn AccountablePage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let error = posted.error("user").map(str::to_owned);
    let load = async move {
        let state = state()?;
        let org_id = admin()?.organisation_id?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let d = store::details(&mut conn, &org_id).await.ok()??;
        let users = store::users(&mut conn, &org_id).await.ok()?;
        Some((d, users))
    };
    view! {
        {form_title(Msg::OrgAccountableChangeTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        let error = error.clone();
                        load.await.map(|(d, users)| {
                            let candidates: Vec<UserRow> = users.into_iter()
                                .filter(|u| u.status() == Status::Active && d.accountable_user_id.as_deref() != Some(u.id.as_str()))
                                .collect();
                            view! {
                                <a class="govuk-back-link" href="/organisation">{lang.t(Msg::BackLink)}</a>
                                <span class="govuk-caption-l">{d.name.clone()}</span>
                                <form method="post" action="/organisation/accountable" novalidate>
                                    <div class=if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                                        <fieldset class="govuk-fieldset" aria-describedby="user-hint">
                                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--l">
                                                <h1 class="govuk-fieldset__heading">{lang.t(Msg::OrgAccountableChangeTitle)}</h1>
                                            </legend>
                                            <div id="user-hint" class="govuk-hint">{lang.tf(Msg::OrgAccountableChangeHint, &[("name", &d.accountable_name)])}</div>
                                            <crate::forms::FieldErrorMessage id="user".to_owned() message=error.clone() />
                                            <div class="govuk-radios" data-module="govuk-radios">
                                                {candidates.into_iter().enumerate().map(|(i, u)| {
                                                    let rid = if i == 0 { "user".to_owned() } else { format!("user-{i}") };
                                                    view! {
                                                        <div class="govuk-radios__item">
                                                            <input class="govuk-radios__input" id=rid.clone() name="user" type="radio" value=u.id.clone() />
                                                            <label class="govuk-label govuk-radios__label" for=rid>{format!("{} ({})", u.name(), u.email)}</label>
                                                        </div>
                                                    }
                                                }).collect_view()}
                                            </div>
                                        </fieldset>
                                    </div>
                                    <div class="govuk-button-group">
                                        <button type="submit" class="govuk-button">{lang.t(Msg::OrgNominateButton)}</button>
                                        <a class="govuk-link" href="/organisation">{lang.t(Msg::CancelLink)}</a>
                                    </div>
                                </form>
                            }
                        })
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/account/accountable`: the nominee confirms they are the new accountable person.
#[component]
pub fn ConfirmAccountablePage() -> impl IntoView {
    let lang = use_lang();
    let load = async move {
        let state = state()?;
        let u = current_session()?.user;
        let org_id = u.organisation_id.clone()?;
        let mut conn = state.db.pool.acquire().await.ok()?;
        let d = store::details(&mut conn, &org_id).await.ok()??;
        (d.accountable_pending_id.as_deref() == Some(u.id.as_str())).then_some(d)
    };
    view! {
        {form_title(Msg::OrgConfirmAccountableTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <Suspense>
                    {Suspend::new(async move {
                        match load.await {
                            None => view! {
                                <h1 class="govuk-heading-l">{lang.t(Msg::OrgConfirmAccountableTitle)}</h1>
                                <p class="govuk-body">{lang.t(Msg::OrgRefusedNoTransfer)}</p>
                            }.into_any(),
                            Some(d) => view! {
                                <span class="govuk-caption-l">{d.name.clone()}</span>
                                <h1 class="govuk-heading-l">{lang.t(Msg::OrgConfirmAccountableTitle)}</h1>
                                <p class="govuk-body">{lang.tf(Msg::OrgConfirmAccountableIntro, &[("organisation", &d.name)])}</p>
                                <ul class="govuk-list govuk-list--bullet">
                                    <li>{lang.t(Msg::OrgConfirmAccountableDuty1)}</li>
                                    <li>{lang.t(Msg::OrgConfirmAccountableDuty2)}</li>
                                    <li>{lang.t(Msg::OrgConfirmAccountableDuty3)}</li>
                                </ul>
                                <form method="post" action="/account/accountable" novalidate>
                                    <TextInput name="phone" label=lang.t(Msg::OrgContactPhone) hint=lang.t(Msg::OrgContactPhoneHint) kind="tel" autocomplete="tel" width="govuk-input--width-20" />
                                    <button type="submit" class="govuk-button">{lang.t(Msg::OrgConfirmAccountableButton)}</button>
                                </form>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// `/organisation/tell-hmcts`: tell HMCTS the organisation is closing or merging.
#[component]
pub fn TellHmctsPage() -> impl IntoView {
    let lang = use_lang();
    let posted = use_posted();
    let kind = posted.value("kind").unwrap_or_default().to_owned();
    let kind_error = posted.error("kind").map(str::to_owned);
    let kind_bad = kind_error.is_some();
    let date_error = posted.error("date-day").map(str::to_owned);
    let details_error = posted.error("details").map(str::to_owned);
    let details = posted.value("details").unwrap_or_default().to_owned();
    let part = |name: &'static str, label: Msg, width: &'static str| {
        let v = posted.value(name).unwrap_or_default().to_owned();
        let err = date_error.is_some();
        view! {
            <div class="govuk-date-input__item">
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-date-input__label" for=name>{lang.t(label)}</label>
                    <input class=format!("govuk-input govuk-date-input__input {width}{}", if err { " govuk-input--error" } else { "" })
                        id=name name=name type="text" inputmode="numeric" value=v />
                </div>
            </div>
        }
    };
    let radio = |value: &'static str, id: &'static str, label: Msg| {
        let checked = kind == value;
        view! {
            <div class="govuk-radios__item">
                <input class="govuk-radios__input" id=id name="kind" type="radio" value=value checked=checked />
                <label class="govuk-label govuk-radios__label" for=id>{lang.t(label)}</label>
            </div>
        }
    };
    view! {
        {form_title(Msg::OrgTellTitle)}
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                <ErrorSummary />
                <a class="govuk-back-link" href="/organisation">{lang.t(Msg::BackLink)}</a>
                <h1 class="govuk-heading-l">{lang.t(Msg::OrgTellTitle)}</h1>
                <p class="govuk-body">{lang.t(Msg::OrgTellIntro)}</p>
                <form method="post" action="/organisation/tell-hmcts" novalidate>
                    <div class=if kind_bad { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <fieldset class="govuk-fieldset">
                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::OrgTellKindLegend)}</legend>
                            <crate::forms::FieldErrorMessage id="kind".to_owned() message=kind_error />
                            <div class="govuk-radios" data-module="govuk-radios">
                                {radio("close", "kind", Msg::OrgTellClose)}
                                {radio("merge", "kind-merge", Msg::OrgTellMerge)}
                            </div>
                        </fieldset>
                    </div>
                    <div class=if date_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <fieldset class="govuk-fieldset" role="group" aria-describedby="date-hint">
                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">{lang.t(Msg::OrgTellDateLegend)}</legend>
                            <div id="date-hint" class="govuk-hint">{lang.t(Msg::OrgTellDateHint)}</div>
                            <crate::forms::FieldErrorMessage id="date-day".to_owned() message=date_error.clone() />
                            <div class="govuk-date-input" id="date">
                                {part("date-day", Msg::DateDay, "govuk-input--width-2")}
                                {part("date-month", Msg::DateMonth, "govuk-input--width-2")}
                                {part("date-year", Msg::DateYear, "govuk-input--width-4")}
                            </div>
                        </fieldset>
                    </div>
                    <TextInput name="merge_with" label=lang.t(Msg::OrgTellMergeWith) hint=lang.t(Msg::OrgTellMergeWithHint) autocomplete="organization" />
                    <div class=if details_error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <label class="govuk-label" for="details">{lang.t(Msg::OrgTellDetails)}</label>
                        <div id="details-hint" class="govuk-hint">{lang.t(Msg::OrgTellDetailsHint)}</div>
                        <crate::forms::FieldErrorMessage id="details".to_owned() message=details_error.clone() />
                        <textarea class=if details_error.is_some() { "govuk-textarea govuk-textarea--error" } else { "govuk-textarea" }
                            id="details" name="details" rows="5" aria-describedby="details-hint">{details}</textarea>
                    </div>
                    <div class="govuk-button-group">
                        <button type="submit" class="govuk-button">{lang.t(Msg::OrgTellButton)}</button>
                        <a class="govuk-link" href="/organisation">{lang.t(Msg::CancelLink)}</a>
                    </div>
                </form>
            </div>
        </div>
    }
}
