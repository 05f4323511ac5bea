//! The upload panel (docs/uploads.md): an island in the MoJ multi-file upload style over the
//! plain upload form. Without JavaScript (or before the bundle has loaded) the form is what
//! shows and works; once hydrated, the panel takes its place:
//!
//! - a drop zone **and** a "Choose files" button (keyboard and screen-reader users, WCAG 2.5.7),
//!   many files at once;
//! - per file: title (from the file's name, to change), section (only those defence may use),
//!   **Send to CPS** where the section offers it; checked here first, and refusals the server
//!   gives come back on the file they are about, in an error summary;
//! - each file sent as a resumable upload ([`super::resumable`]): a progress bar from the
//!   browser's upload progress events, cancel, and after a dropped connection it asks the server
//!   how much it has and carries on from there (a few times by itself, then "Try again");
//! - an upload the page did not finish (reloaded, closed, the tablet's battery) is remembered in
//!   this browser: choosing the same file again carries on where it stopped;
//! - what happens is announced politely to screen readers; when every file is in, the page
//!   shows them in the case's material with their receipts.

// What only the browser does is built only for it; on the server the panel renders as it first
// appears.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code, unused_imports))]

use crate::i18n::{Lang, Msg, PluralMsg, use_lang};
use leptos::prelude::*;

/// A section the panel offers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// Its code.
    pub code: String,
    /// Its name in the page's language.
    pub name: String,
    /// Whether it offers Send to CPS.
    pub send_to_cps: bool,
}

/// What the panel needs to know about the case and the member. It reaches the browser as one
/// string ([`Setup::encode`]): a general-purpose decoder for it would cost the bundle more than
/// the rest of the panel's logic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Setup {
    /// The case.
    pub case_id: String,
    /// The member's user id (whose unfinished uploads this browser remembers).
    pub user_id: String,
    /// The defendants the firm is on record for: (id, name).
    pub defendants: Vec<(String, String)>,
    /// The sections defence may upload to.
    pub sections: Vec<Choice>,
    /// The extensions accepted (lower case, without the dot).
    pub extensions: Vec<String>,
    /// The largest file accepted, in bytes.
    pub limit: u64,
}

const PART: char = '\u{1e}';
const FIELD: char = '\u{1f}';
const ITEM: char = '\u{1d}';

impl Setup {
    /// The setup as one string: parts, items and fields split by control characters that no
    /// value keeps.
    pub fn encode(&self) -> String {
        let clean = |v: &str| v.replace([PART, FIELD, ITEM], " ");
        let join = |items: Vec<String>| items.join(&ITEM.to_string());
        let f = FIELD.to_string();
        [
            [
                clean(&self.case_id),
                clean(&self.user_id),
                self.limit.to_string(),
            ]
            .join(&f),
            join(
                self.defendants
                    .iter()
                    .map(|(id, name)| [clean(id), clean(name)].join(&f))
                    .collect(),
            ),
            join(
                self.sections
                    .iter()
                    .map(|c| {
                        [
                            clean(&c.code),
                            clean(&c.name),
                            if c.send_to_cps { "1" } else { "0" }.to_owned(),
                        ]
                        .join(&f)
                    })
                    .collect(),
            ),
            join(self.extensions.iter().map(|e| clean(e)).collect()),
        ]
        .join(&PART.to_string())
    }

    /// The setup back from [`Setup::encode`]; none if it is not one.
    pub fn decode(text: &str) -> Option<Setup> {
        let items = |part: &str| -> Vec<String> {
            part.split(ITEM)
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let parts: Vec<&str> = text.split(PART).collect();
        let [head, defendants, sections, extensions] = parts.as_slice() else {
            return None;
        };
        let head: Vec<&str> = head.split(FIELD).collect();
        let [case_id, user_id, limit] = head.as_slice() else {
            return None;
        };
        let defendants = items(defendants)
            .iter()
            .map(|d| {
                d.split_once(FIELD)
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
            })
            .collect::<Option<Vec<_>>>()?;
        let sections = items(sections)
            .iter()
            .map(|s| {
                let f: Vec<&str> = s.split(FIELD).collect();
                match f.as_slice() {
                    [code, name, cps] => Some(Choice {
                        code: (*code).to_owned(),
                        name: (*name).to_owned(),
                        send_to_cps: *cps == "1",
                    }),
                    _ => None,
                }
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Setup {
            case_id: (*case_id).to_owned(),
            user_id: (*user_id).to_owned(),
            defendants,
            sections,
            extensions: items(extensions),
            limit: limit.parse().ok()?,
        })
    }
}

/// How a file is getting on.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// Chosen, not yet sent.
    Ready,
    /// Being sent: bytes the server has (or is being sent).
    Sending(f64),
    /// The connection dropped; trying again by itself (bytes kept).
    Waiting(f64),
    /// Every byte sent; the server is checking and recording it.
    Checking,
    /// Served: its receipt.
    Done(String),
    /// Not sent: why, and whether "Try again" can help.
    Failed(String, bool),
}

/// The part of the file's card a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Title,
    Section,
    File,
    Defendant,
}

impl Field {
    fn of_server(field: &str) -> Field {
        match field {
            "upload-title" => Field::Title,
            "upload-section" => Field::Section,
            "upload-defendant" => Field::Defendant,
            _ => Field::File,
        }
    }
}

/// One file on the panel (its bytes are kept by the browser side, under `key`).
#[derive(Clone, Copy)]
struct Item {
    key: u32,
    name: StoredValue<String>,
    size: f64,
    /// What identifies the same file chosen again: case, name, size and last change.
    fingerprint: StoredValue<String>,
    title: RwSignal<String>,
    section: RwSignal<String>,
    cps: RwSignal<bool>,
    stage: RwSignal<Stage>,
    problem: RwSignal<Option<(String, Field)>>,
    /// The upload's address on the server, once made.
    url: RwSignal<Option<String>>,
}

impl Item {
    fn id(&self, part: &str) -> String {
        format!("upload-{part}-{}", self.key)
    }
    fn anchor(&self, field: Field) -> String {
        match field {
            Field::Title => self.id("title"),
            Field::Section => self.id("section"),
            Field::Defendant => "upload-js-defendant".to_owned(),
            Field::File => self.id("item"),
        }
    }
    fn busy(&self) -> bool {
        matches!(
            self.stage.get_untracked(),
            Stage::Sending(_) | Stage::Waiting(_) | Stage::Checking
        )
    }
}

/// The message and the field it belongs to for a problem code the form came back with.
pub fn problem(code: &str) -> Option<(Msg, &'static str)> {
    Some(match code {
        "not_on_record" => (Msg::UploadProblemNotOnRecord, "upload-defendant"),
        "section" => (Msg::UploadProblemSection, "upload-section"),
        "title_missing" => (Msg::UploadProblemTitleMissing, "upload-title"),
        "title_too_long" => (Msg::UploadProblemTitleTooLong, "upload-title"),
        "send_to_cps" => (Msg::UploadProblemSendToCps, "upload-section"),
        "extension" => (Msg::UploadProblemExtension, "upload-file"),
        "empty" => (Msg::UploadProblemEmpty, "upload-file"),
        "content" => (Msg::UploadProblemContent, "upload-file"),
        "too_large" => (Msg::UploadProblemTooLarge, "upload-file"),
        "no_file" => (Msg::UploadProblemNoFile, "upload-file"),
        _ => return None,
    })
}

/// A size as people read it (the material table's words). Whole-number arithmetic: the browser
/// bundle then carries no floating-point formatting.
pub fn size(bytes: i64, lang: Lang) -> String {
    let b = bytes.max(0) as u64;
    if b < 1024 {
        lang.tf(Msg::SizeBytes, &[("n", &b.to_string())])
    } else if b < 1024 * 1024 {
        lang.tf(Msg::SizeKb, &[("n", &((b + 512) / 1024).to_string())])
    } else {
        let tenths = (b * 10 + 512 * 1024) / (1024 * 1024);
        lang.tf(
            Msg::SizeMb,
            &[("n", &format!("{}.{}", tenths / 10, tenths % 10))],
        )
    }
}

/// The upload limit as people read it: whole megabytes or gigabytes where it is one ("512 MB").
pub fn limit_text(limit: u64, lang: Lang) -> String {
    const MB: u64 = 1 << 20;
    const GB: u64 = 1 << 30;
    if limit >= GB && limit.is_multiple_of(GB) {
        lang.tf(Msg::SizeGb, &[("n", &(limit / GB).to_string())])
    } else if limit.is_multiple_of(MB) {
        lang.tf(Msg::SizeMb, &[("n", &(limit / MB).to_string())])
    } else {
        size(limit as i64, lang)
    }
}

/// A problem's message in `lang`: the size limit named where it is about the size.
pub fn problem_text(msg: Msg, lang: Lang, limit: u64) -> String {
    match msg {
        Msg::UploadProblemTooLarge | Msg::UploadFileHint => {
            lang.tf(msg, &[("limit", &limit_text(limit, lang))])
        }
        _ => lang.t(msg).to_owned(),
    }
}

/// A title from a file's name: without its folder and extension, separators as spaces.
pub fn title_from(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = match base.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => base,
    };
    let spaced: String = stem
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    words
        .join(" ")
        .chars()
        .take(crate::cases::TITLE_MAX)
        .collect()
}

/// The first problem with a file before anything is sent: the message and what it is about.
pub fn check(
    name: &str,
    size: f64,
    title: &str,
    extensions: &[String],
    limit: u64,
) -> Option<(Msg, &'static str)> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !extensions.contains(&ext) {
        Some((Msg::UploadProblemExtension, "file"))
    } else if size <= 0.0 {
        Some((Msg::UploadProblemEmpty, "file"))
    } else if size > limit as f64 {
        Some((Msg::UploadProblemTooLarge, "file"))
    } else if title.trim().is_empty() {
        Some((Msg::UploadProblemTitleMissing, "title"))
    } else if title.trim().chars().count() > crate::cases::TITLE_MAX {
        Some((Msg::UploadProblemTitleTooLong, "title"))
    } else {
        None
    }
}

/// Everything the panel's handlers share.
#[derive(Clone, Copy)]
struct Panel {
    setup: StoredValue<Setup>,
    lang: Lang,
    items: RwSignal<Vec<Item>>,
    defendant: RwSignal<String>,
    /// The latest announcement for screen readers.
    live: RwSignal<String>,
    /// A batch is being sent.
    running: RwSignal<bool>,
    /// The error summary is showing.
    summary: RwSignal<bool>,
    next_key: StoredValue<u32>,
}

impl Panel {
    fn say(&self, text: String) {
        self.live.set(text);
    }

    /// The section's offer of Send to CPS.
    fn offers_cps(&self, section: &str) -> bool {
        self.setup.with_value(|s| {
            s.sections
                .iter()
                .any(|c| c.code == section && c.send_to_cps)
        })
    }

    /// Checks every file not yet sent: whether all passed (problems are marked on the files).
    fn check_all(&self) -> bool {
        let (extensions, limit) = self.setup.with_value(|s| (s.extensions.clone(), s.limit));
        let mut ok = true;
        for item in self.items.get_untracked() {
            if matches!(item.stage.get_untracked(), Stage::Done(_)) || item.busy() {
                continue;
            }
            let found = item.name.with_value(|name| {
                check(
                    name,
                    item.size,
                    &item.title.get_untracked(),
                    &extensions,
                    limit,
                )
            });
            match found {
                Some((msg, part)) => {
                    ok = false;
                    let field = if part == "title" {
                        Field::Title
                    } else {
                        Field::File
                    };
                    item.problem
                        .set(Some((problem_text(msg, self.lang, limit), field)));
                }
                None => item.problem.set(None),
            }
        }
        ok
    }

    fn remove(&self, key: u32) {
        self.items.update(|v| v.retain(|i| i.key != key));
        #[cfg(feature = "hydrate")]
        client::forget_file(key);
    }
}

/// The panel; `children` is the plain form, shown until the panel is live.
#[island]
pub fn UploadPanel(setup: String, children: Children) -> impl IntoView {
    let lang = use_lang();
    let ready = RwSignal::new(false);
    // A setup that does not read leaves the plain form in place.
    let usable = Setup::decode(&setup);
    let setup_ok = usable.is_some();
    #[cfg(not(feature = "hydrate"))]
    let _ = setup_ok;
    let setup = usable.unwrap_or_default();
    let first_defendant = setup
        .defendants
        .first()
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let panel = Panel {
        setup: StoredValue::new(setup.clone()),
        lang,
        items: RwSignal::new(vec![]),
        defendant: RwSignal::new(first_defendant),
        live: RwSignal::new(String::new()),
        running: RwSignal::new(false),
        summary: RwSignal::new(false),
        next_key: StoredValue::new(0),
    };
    let over = RwSignal::new(false);
    // Uploads this browser did not finish, on this case: their file names.
    let unfinished = RwSignal::new(Vec::<String>::new());
    let summary_ref = NodeRef::<leptos::html::Div>::new();
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if setup_ok {
            ready.set(true);
            panel.setup.with_value(|s| {
                unfinished.set(
                    client::saved(&s.user_id, &s.case_id)
                        .into_iter()
                        .map(|r| r.name)
                        .collect(),
                )
            });
        }
    });
    // While anything is on its way, leaving the page asks first.
    Effect::new(move |_| {
        let busy = panel.running.get();
        #[cfg(feature = "hydrate")]
        client::set_busy(busy.then(|| lang.t(Msg::UploadPanelLeave)));
        #[cfg(not(feature = "hydrate"))]
        let _ = busy;
    });

    let choose = move |_| {
        if let Some(input) = input_ref.get_untracked() {
            input.click();
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast as _;
            if let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                if let Some(files) = input.files() {
                    add_files(panel, unfinished, &files);
                }
                input.set_value("");
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(true);
    };
    let on_dragleave = move |_: leptos::ev::DragEvent| over.set(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            add_files(panel, unfinished, &files);
        }
    };
    let discard = move |_| {
        #[cfg(feature = "hydrate")]
        panel.setup.with_value(|s| {
            for r in client::saved(&s.user_id, &s.case_id) {
                client::unsave(&s.user_id, &r.fingerprint);
                let url = r.url.clone();
                leptos::task::spawn_local(async move {
                    let _ = client::call(None, "DELETE", &url, &[], None, None).await;
                });
            }
        });
        unfinished.set(vec![]);
    };
    let start = move |_| {
        if panel.running.get_untracked() {
            return;
        }
        let waiting: Vec<Item> = panel
            .items
            .get_untracked()
            .into_iter()
            .filter(|i| matches!(i.stage.get_untracked(), Stage::Ready | Stage::Failed(_, _)))
            .collect();
        if waiting.is_empty() {
            panel.summary.set(false);
            panel.say(lang.t(Msg::UploadPanelNothing).to_owned());
            return;
        }
        if !panel.check_all() {
            panel.summary.set(true);
            if let Some(s) = summary_ref.get_untracked() {
                let _ = s.focus();
            }
            return;
        }
        panel.summary.set(false);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(send_all(panel, waiting));
    };

    let problems = move || {
        panel
            .items
            .get()
            .into_iter()
            .filter_map(|i| {
                i.problem.get().map(|(msg, field)| {
                    let name = i.name.get_value();
                    (format!("#{}", i.anchor(field)), format!("{name}: {msg}"))
                })
            })
            .collect::<Vec<_>>()
    };
    let defendants = setup.defendants.clone();
    let many_defendants = defendants.len() > 1;
    let sections = setup.sections.clone();
    let accept: String = setup
        .extensions
        .iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",");
    let case_id = setup.case_id.clone();
    // Built in the browser once live, never rendered on the server nor hydrated: the page's HTML
    // and the bundle stay smaller, and without the bundle only the plain form is there.
    let panel_view = move || {
        let (defendants, sections, accept, case_id) = (
            defendants.clone(),
            sections.clone(),
            accept.clone(),
            case_id.clone(),
        );
        view! {
        <div class="app-upload-panel" id="upload-panel">
            // In the page only while there are problems (so the plain form's summary is the only
            // one without JavaScript); focused when it opens.
            <div node_ref=summary_ref tabindex="-1" id="upload-panel-errors-focus">
                {move || (panel.summary.get() && !problems().is_empty()).then(|| view! {
                    <div class="govuk-error-summary" id="upload-panel-errors">
                        <div role="alert">
                            <h2 class="govuk-error-summary__title">{lang.t(Msg::ErrorTitle)}</h2>
                            <div class="govuk-error-summary__body">
                                <ul class="govuk-list govuk-error-summary__list">
                                    {problems().into_iter().map(|(href, text)| view! {
                                        <li><a href=href>{text}</a></li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        </div>
                    </div>
                })}
            </div>
            <div class="govuk-inset-text" id="upload-unfinished" hidden=move || unfinished.get().is_empty()>
                <p class="govuk-body">
                    {move || lang.tf(Msg::UploadPanelUnfinished, &[("names", &unfinished.get().join(", "))])}
                </p>
                <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" on:click=discard>
                    {lang.t(Msg::UploadPanelDiscard)}
                </button>
            </div>
            {many_defendants.then(|| view! {
                <div class="govuk-form-group">
                    <fieldset class="govuk-fieldset">
                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{lang.t(Msg::UploadDefendant)}</legend>
                        <div class="govuk-radios" data-module="govuk-radios">
                            {defendants.iter().enumerate().map(|(i, (id, name))| {
                                let input_id = if i == 0 { "upload-js-defendant".to_owned() } else { format!("upload-js-defendant-{i}") };
                                let value = id.clone();
                                let mine = id.clone();
                                view! {
                                    <div class="govuk-radios__item">
                                        <input class="govuk-radios__input" id=input_id.clone() name="upload-js-defendant" type="radio"
                                            value=value prop:checked=move || panel.defendant.get() == mine
                                            prop:disabled=move || panel.running.get()
                                            on:change={ let id = id.clone(); move |_| panel.defendant.set(id.clone()) } />
                                        <label class="govuk-label govuk-radios__label" for=input_id>{name.clone()}</label>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                </div>
            })}
            <div class="moj-multi-file-upload__dropzone app-upload-dropzone"
                class:moj-multi-file-upload--dragover=move || over.get()
                on:dragover=on_dragover on:dragenter=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); over.set(true) }
                on:dragleave=on_dragleave on:drop=on_drop>
                <p class="govuk-body">{lang.t(Msg::UploadPanelDrop)}</p>
                <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" id="upload-choose"
                    on:click=choose>{lang.t(Msg::UploadPanelChoose)}</button>
                <input type="file" multiple id="upload-files" class="app-upload-input" accept=accept tabindex="-1"
                    aria-hidden="true" node_ref=input_ref on:change=on_change />
            </div>
            <div hidden=move || panel.items.get().is_empty()>
                <h3 class="govuk-heading-s govuk-!-margin-top-6">{lang.t(Msg::UploadPanelFiles)}</h3>
                <For each=move || panel.items.get() key=|i| i.key children=move |item| {
                    file_card(panel, item, sections.clone())
                } />
                <button type="button" class="govuk-button" data-module="govuk-button" id="upload-start"
                    prop:disabled=move || panel.running.get() aria-disabled=move || panel.running.get().then_some("true")
                    on:click=start>{lang.t(Msg::UploadPanelButton)}</button>
                <p class="govuk-body" id="upload-show" hidden=move || {
                    panel.running.get() || !panel.items.get().iter().any(|i| matches!(i.stage.get(), Stage::Done(_)))
                }>
                    <a class="govuk-link" href=move || shown_href(&case_id, &panel.items.get())>{lang.t(Msg::UploadPanelShow)}</a>
                </p>
            </div>
            <div class="govuk-visually-hidden" aria-live="polite" id="upload-status">{move || panel.live.get()}</div>
        </div>
        }
    };
    view! {
        <div class="app-upload-fallback" hidden=move || ready.get()>{children()}</div>
        {move || ready.get().then(panel_view.clone())}
    }
}

/// The case's material with the documents done marked as just uploaded.
fn shown_href(case_id: &str, items: &[Item]) -> String {
    let receipts: Vec<String> = items
        .iter()
        .filter_map(|i| match i.stage.get_untracked() {
            Stage::Done(r) => Some(r),
            _ => None,
        })
        .collect();
    format!(
        "/cases/{case_id}/material?uploaded={}#uploaded",
        receipts.join(",")
    )
}

/// One file's card: what it is, what it is to be served as, and how it is getting on.
fn file_card(panel: Panel, item: Item, sections: Vec<Choice>) -> impl IntoView + use<> {
    let lang = panel.lang;
    let name = item.name.get_value();
    let editable = move || matches!(item.stage.get(), Stage::Ready | Stage::Failed(_, _));
    let error_on = move |field: Field| {
        item.problem
            .get()
            .filter(|(_, f)| *f == field)
            .map(|(m, _)| m)
    };
    let group = move |field: Field| {
        if error_on(field).is_some() {
            "govuk-form-group govuk-form-group--error"
        } else {
            "govuk-form-group"
        }
    };
    let message = move |field: Field, id: String| {
        move || {
            error_on(field).map(|m| {
                view! {
                    <p class="govuk-error-message" id=id.clone()>
                        <span class="govuk-visually-hidden">{lang.t(Msg::ErrorPrefix)}": "</span>
                        {m}
                    </p>
                }
            })
        }
    };
    let described = move |field: Field, id: String, hint: Option<String>| {
        move || {
            let mut ids: Vec<String> = hint.iter().cloned().collect();
            if error_on(field).is_some() {
                ids.push(id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let percent = move |sent: f64| {
        let (sent, total) = (sent as u64, item.size as u64);
        (sent.min(total) * 100).checked_div(total).unwrap_or(0) as u32
    };
    let progress_value = move || match item.stage.get() {
        Stage::Sending(s) | Stage::Waiting(s) => percent(s),
        Stage::Checking | Stage::Done(_) => 100,
        _ => 0,
    };
    let status_text = move || match item.stage.get() {
        Stage::Sending(s) => lang.tf(
            Msg::UploadPanelSent,
            &[
                ("percent", &percent(s).to_string()),
                ("sent", &size(s as i64, lang)),
                ("total", &size(item.size as i64, lang)),
            ],
        ),
        Stage::Waiting(s) => lang.tf(
            Msg::UploadPanelWaiting,
            &[("percent", &percent(s).to_string())],
        ),
        Stage::Checking => lang.t(Msg::UploadPanelChecking).to_owned(),
        _ => String::new(),
    };
    let showing_progress = move || {
        matches!(
            item.stage.get(),
            Stage::Sending(_) | Stage::Waiting(_) | Stage::Checking
        )
    };
    let offers = move || panel.offers_cps(&item.section.get());
    let case_id = panel.setup.with_value(|s| s.case_id.clone());
    let (title_id, section_id, cps_id) = (item.id("title"), item.id("section"), item.id("cps"));
    let (title_err, section_err, file_err) = (
        item.id("title-error"),
        item.id("section-error"),
        item.id("file-error"),
    );
    let heading_id = item.id("name");
    let remove = move |_| {
        let url = item.url.get_untracked();
        panel.remove(item.key);
        #[cfg(feature = "hydrate")]
        if let Some(url) = url {
            // Abandoned: the server's part of it goes too.
            let fp = item.fingerprint.get_value();
            panel.setup.with_value(|s| client::unsave(&s.user_id, &fp));
            leptos::task::spawn_local(async move {
                let _ = client::call(None, "DELETE", &url, &[], None, None).await;
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
    };
    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        client::cancel(item.key);
        let name = item.name.get_value();
        panel.say(lang.tf(Msg::UploadPanelCancelled, &[("name", &name)]));
    };
    let retry = move |_| {
        #[cfg(feature = "hydrate")]
        if !panel.running.get_untracked() && panel.check_all() {
            leptos::task::spawn_local(send_all(panel, vec![item]));
        }
    };
    view! {
        <div class="govuk-summary-card app-upload-file" id=item.id("item") tabindex="-1"
            class:app-upload-file--error=move || error_on(Field::File).is_some()>
            <div class="govuk-summary-card__title-wrapper">
                <h4 class="govuk-summary-card__title" id=heading_id.clone()>{name.clone()}</h4>
                <ul class="govuk-summary-card__actions">
                    <li class="govuk-summary-card__action" hidden=move || !editable()>
                        <button type="button" class="app-link-button govuk-link" on:click=remove>
                            {lang.t(Msg::UploadPanelRemove)}<span class="govuk-visually-hidden">" "{name.clone()}</span>
                        </button>
                    </li>
                    <li class="govuk-summary-card__action" hidden=move || !matches!(item.stage.get(), Stage::Sending(_) | Stage::Waiting(_))>
                        <button type="button" class="app-link-button govuk-link" on:click=cancel>
                            {lang.t(Msg::UploadPanelCancel)}<span class="govuk-visually-hidden">" "{name.clone()}</span>
                        </button>
                    </li>
                </ul>
            </div>
            <div class="govuk-summary-card__content">
                <p class="govuk-body-s app-secondary-text">{lang.tf(Msg::UploadPanelSize, &[("size", &size(item.size as i64, lang))])}</p>
                <p class="govuk-error-message" id=file_err.clone() hidden=move || error_on(Field::File).is_none()>
                    <span class="govuk-visually-hidden">{lang.t(Msg::ErrorPrefix)}": "</span>
                    {move || error_on(Field::File).unwrap_or_default()}
                </p>
                <div hidden=move || !editable()>
                    <div class=move || group(Field::Title)>
                        <label class="govuk-label govuk-label--s" for=title_id.clone()>
                            {lang.t(Msg::UploadTitle)}<span class="govuk-visually-hidden">" "{lang.tf(Msg::UploadPanelFor, &[("name", &name)])}</span>
                        </label>
                        {message(Field::Title, title_err.clone())}
                        <input class="govuk-input" id=title_id.clone() type="text" spellcheck="true"
                            aria-describedby=described(Field::Title, title_err.clone(), None)
                            prop:value=move || item.title.get()
                            on:input=move |ev| item.title.set(event_target_value(&ev)) />
                    </div>
                    <div class=move || group(Field::Section)>
                        <label class="govuk-label govuk-label--s" for=section_id.clone()>
                            {lang.t(Msg::UploadSection)}<span class="govuk-visually-hidden">" "{lang.tf(Msg::UploadPanelFor, &[("name", &name)])}</span>
                        </label>
                        {message(Field::Section, section_err.clone())}
                        <select class="govuk-select" id=section_id.clone()
                            aria-describedby=described(Field::Section, section_err.clone(), None)
                            on:change=move |ev| {
                                let code = event_target_value(&ev);
                                if !panel.offers_cps(&code) {
                                    item.cps.set(false);
                                }
                                item.section.set(code);
                            }>
                            {sections.iter().map(|s| {
                                let code = s.code.clone();
                                let value = s.code.clone();
                                view! { <option value=value prop:selected=move || item.section.get() == code>{s.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="govuk-form-group" hidden=move || !offers()>
                        <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                            <div class="govuk-checkboxes__item">
                                <input class="govuk-checkboxes__input" id=cps_id.clone() type="checkbox"
                                    prop:checked=move || item.cps.get()
                                    on:change=move |ev| item.cps.set(event_target_checked(&ev)) />
                                <label class="govuk-label govuk-checkboxes__label" for=cps_id.clone()>
                                    {lang.t(Msg::UploadSendToCps)}<span class="govuk-visually-hidden">" "{lang.tf(Msg::UploadPanelFor, &[("name", &name)])}</span>
                                </label>
                            </div>
                        </div>
                    </div>
                </div>
                <div class="app-upload-progress" hidden=move || !showing_progress()>
                    <progress class="app-progress" max="100" value=move || progress_value().to_string()
                        aria-label=lang.tf(Msg::UploadPanelProgress, &[("name", &name)])></progress>
                    <p class="govuk-body-s govuk-!-margin-bottom-0">{status_text}</p>
                </div>
                {move || match item.stage.get() {
                    Stage::Done(receipt) => Some(receipt),
                    _ => None,
                }.map(|receipt| view! {
                    <p class="govuk-body govuk-!-margin-bottom-0 app-upload-done">
                        <strong class="govuk-tag govuk-tag--green">{lang.t(Msg::UploadPanelDone)}</strong>" "
                        <a class="govuk-link" href=format!("/cases/{case_id}/receipts/{receipt}")>
                            {lang.tf(Msg::UploadPanelReceipt, &[("receipt", &receipt)])}
                        </a>
                    </p>
                })}
                {move || match item.stage.get() {
                    Stage::Failed(why, retry_helps) => Some((why, retry_helps)),
                    _ => None,
                }.map(|(why, retry_helps)| view! {
                    <div class="app-upload-failed">
                        <p class="govuk-body moj-multi-file-upload__error">{why}</p>
                        <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                            hidden=!retry_helps on:click=retry>
                            {lang.t(Msg::UploadPanelRetry)}<span class="govuk-visually-hidden">" "{item.name.get_value()}</span>
                        </button>
                    </div>
                })}
            </div>
        </div>
    }
}

/// Adds the chosen (or dropped) files to the panel; one this browser did not finish uploading
/// comes back with what it was to be served as, to carry on from where it stopped.
#[cfg(feature = "hydrate")]
fn add_files(panel: Panel, unfinished: RwSignal<Vec<String>>, files: &web_sys::FileList) {
    let (case_id, user_id, first_section) = panel.setup.with_value(|s| {
        (
            s.case_id.clone(),
            s.user_id.clone(),
            s.sections
                .first()
                .map(|c| c.code.clone())
                .unwrap_or_default(),
        )
    });
    let saved = client::saved(&user_id, &case_id);
    let mut added = 0u64;
    for i in 0..files.length() {
        let Some(file) = files.get(i) else { continue };
        let name = file.name();
        let fingerprint = format!("{case_id}|{name}|{}|{}", file.size(), file.last_modified());
        // The same file twice on the panel is one upload.
        if panel
            .items
            .get_untracked()
            .iter()
            .any(|i| i.fingerprint.with_value(|f| *f == fingerprint))
        {
            continue;
        }
        let key = panel.next_key.get_value();
        panel.next_key.set_value(key + 1);
        let before = saved.iter().find(|r| r.fingerprint == fingerprint);
        let item = Item {
            key,
            name: StoredValue::new(name.clone()),
            size: file.size(),
            fingerprint: StoredValue::new(fingerprint.clone()),
            title: RwSignal::new(before.map_or_else(|| title_from(&name), |r| r.title.clone())),
            section: RwSignal::new(before.map_or(first_section.clone(), |r| r.section.clone())),
            cps: RwSignal::new(before.is_some_and(|r| r.cps)),
            stage: RwSignal::new(Stage::Ready),
            problem: RwSignal::new(None),
            url: RwSignal::new(before.map(|r| r.url.clone())),
        };
        if before.is_some() {
            unfinished.update(|u| {
                if let Some(at) = u.iter().position(|n| *n == name) {
                    u.remove(at);
                }
            });
        }
        client::keep_file(key, file);
        panel.items.update(|v| v.push(item));
        added += 1;
    }
    if added > 0 {
        panel.say(panel.lang.tp(PluralMsg::UploadPanelAdded, added));
    }
}

/// Sends the files one after another (each gets the connection to itself, so the first is
/// served soonest); when every file on the panel is in, shows them in the case's material.
#[cfg(feature = "hydrate")]
async fn send_all(panel: Panel, items: Vec<Item>) {
    panel.running.set(true);
    for item in items {
        if panel
            .items
            .get_untracked()
            .iter()
            .any(|i| i.key == item.key)
        {
            send(panel, item).await;
        }
    }
    panel.running.set(false);
    let all = panel.items.get_untracked();
    if !all.is_empty()
        && all
            .iter()
            .all(|i| matches!(i.stage.get_untracked(), Stage::Done(_)))
    {
        let href = panel.setup.with_value(|s| shown_href(&s.case_id, &all));
        client::set_busy(None);
        client::navigate(&href);
    }
}

/// How often a dropped connection is tried again by itself before "Try again" is offered, and
/// the waits between (milliseconds).
#[cfg(feature = "hydrate")]
const BACKOFF_MS: [i32; 6] = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/// Sends one file as a resumable upload (see the module).
#[cfg(feature = "hydrate")]
async fn send(panel: Panel, item: Item) {
    let lang = panel.lang;
    let Some(file) = client::file(item.key) else {
        return;
    };
    let (case_id, user_id, limit) = panel
        .setup
        .with_value(|s| (s.case_id.clone(), s.user_id.clone(), s.limit));
    let name = item.name.get_value();
    let fingerprint = item.fingerprint.get_value();
    item.problem.set(None);
    item.stage.set(Stage::Sending(0.0));
    client::uncancel(item.key);
    panel.say(lang.tf(Msg::UploadPanelStarted, &[("name", &name)]));
    let fail = |why: String, retry: bool| {
        panel.say(lang.tf(
            Msg::UploadPanelNotSent,
            &[("name", &name), ("reason", &why)],
        ));
        item.stage.set(Stage::Failed(why, retry));
    };
    let done = |receipt: String| {
        client::unsave(&user_id, &fingerprint);
        panel.say(lang.tf(Msg::UploadPanelFinished, &[("name", &name)]));
        item.stage.set(Stage::Done(receipt));
    };
    let refused = |answer: &client::Answer| {
        let message = answer
            .json("message")
            .unwrap_or_else(|| lang.t(Msg::UploadProblemContent).to_owned());
        let field = Field::of_server(&answer.json("field").unwrap_or_default());
        item.problem.set(Some((message.clone(), field)));
        message
    };
    let mut failures = 0usize;
    let mut known: Option<f64> = None;
    let mut gone_once = false;
    loop {
        if client::cancelled(item.key) {
            abandon(panel, item).await;
            return;
        }
        let Some(url) = item.url.get_untracked() else {
            // Make the upload.
            let b64 = client::base64;
            let cps = item.cps.get_untracked() && panel.offers_cps(&item.section.get_untracked());
            let metadata = format!(
                "filename {},title {},section {},defendant {},send_to_cps {}",
                b64(&name),
                b64(item.title.get_untracked().trim()),
                b64(&item.section.get_untracked()),
                b64(&panel.defendant.get_untracked()),
                b64(if cps { "yes" } else { "no" }),
            );
            let headers = [
                ("Upload-Length", (item.size as u64).to_string()),
                ("Upload-Metadata", metadata),
            ];
            match client::call(
                None,
                "POST",
                &format!("/cases/{case_id}/uploads"),
                &headers,
                None,
                None,
            )
            .await
            {
                Some(a) if a.status == 201 => {
                    let Some(at) = a.header("Location") else {
                        fail(lang.t(Msg::UploadPanelFailedServer).to_owned(), true);
                        return;
                    };
                    client::save(
                        &user_id,
                        &client::Saved {
                            case_id: case_id.clone(),
                            fingerprint: fingerprint.clone(),
                            url: at.clone(),
                            name: name.clone(),
                            title: item.title.get_untracked().trim().to_owned(),
                            section: item.section.get_untracked(),
                            cps,
                            at: client::now(),
                        },
                    );
                    item.url.set(Some(at));
                    known = Some(0.0);
                    continue;
                }
                Some(a) if a.status == 413 || a.status == 422 => {
                    let why = refused(&a);
                    fail(why, false);
                    return;
                }
                Some(a) if a.status < 500 => {
                    fail(lang.t(Msg::UploadPanelFailedServer).to_owned(), true);
                    return;
                }
                _ => {
                    if !wait(item, &mut failures, 0.0).await {
                        fail(lang.t(Msg::UploadPanelLost).to_owned(), true);
                        return;
                    }
                    continue;
                }
            }
        };
        // How much the server has.
        let at = match known.take() {
            Some(at) => at,
            None => match client::call(None, "HEAD", &url, &[], None, None).await {
                Some(a) if a.status == 200 => match a.header("Upload-Receipt") {
                    Some(receipt) => {
                        done(receipt);
                        return;
                    }
                    None => a
                        .header("Upload-Offset")
                        .and_then(|o| o.parse::<u64>().ok())
                        .map_or(0.0, |o| o as f64),
                },
                Some(a) if a.status == 404 || a.status == 410 => {
                    // Refused when whole, or expired or abandoned: a refusal is said; otherwise
                    // the file is sent again from the start, once.
                    client::unsave(&user_id, &fingerprint);
                    item.url.set(None);
                    if let Some(code) = a.header("Upload-Problem") {
                        let (msg, field) = problem(&code)
                            .map_or((Msg::UploadProblemContent, Field::File), |(m, f)| {
                                (m, Field::of_server(f))
                            });
                        let text = problem_text(msg, lang, limit);
                        item.problem.set(Some((text.clone(), field)));
                        fail(text, false);
                        return;
                    }
                    if gone_once {
                        fail(lang.t(Msg::UploadPanelGone).to_owned(), true);
                        return;
                    }
                    gone_once = true;
                    continue;
                }
                Some(_) => {
                    fail(lang.t(Msg::UploadPanelFailedServer).to_owned(), true);
                    return;
                }
                None => {
                    if !wait(item, &mut failures, 0.0).await {
                        fail(lang.t(Msg::UploadPanelLost).to_owned(), true);
                        return;
                    }
                    continue;
                }
            },
        };
        // Send the rest.
        item.stage.set(Stage::Sending(at));
        let Ok(rest) = file.slice_with_f64_and_f64(at, item.size) else {
            fail(lang.t(Msg::UploadPanelFailedServer).to_owned(), true);
            return;
        };
        let total = item.size;
        let progress = std::rc::Rc::new(move |loaded: f64| {
            let sent = (at + loaded).min(total);
            if sent >= total {
                item.stage.set(Stage::Checking);
            } else {
                item.stage.set(Stage::Sending(sent));
            }
        });
        let headers = [
            ("Content-Type", "application/offset+octet-stream".to_owned()),
            ("Upload-Offset", (at as u64).to_string()),
        ];
        let answer = client::call(
            Some(item.key),
            "PATCH",
            &url,
            &headers,
            Some(&rest),
            Some(progress),
        )
        .await;
        let offset_of = |a: &client::Answer| {
            a.header("Upload-Offset")
                .and_then(|o| o.parse::<u64>().ok())
                .map(|o| o as f64)
        };
        match answer {
            Some(a) if a.status == 204 => {
                if let Some(receipt) = a.header("Upload-Receipt") {
                    done(receipt);
                    return;
                }
                let now_at = offset_of(&a).unwrap_or(at);
                if now_at > at {
                    failures = 0;
                }
                known = Some(now_at);
            }
            // Not where the server's bytes end, or cut off part-way: from where they do.
            Some(a) if a.status == 409 || a.status == 400 => {
                let now_at = offset_of(&a);
                if now_at.is_some_and(|n| n > at) {
                    failures = 0;
                } else if !wait(item, &mut failures, at).await {
                    fail(lang.t(Msg::UploadPanelLost).to_owned(), true);
                    return;
                }
                known = now_at;
            }
            Some(a) if a.status == 422 || a.status == 413 => {
                client::unsave(&user_id, &fingerprint);
                item.url.set(None);
                let why = refused(&a);
                fail(why, false);
                return;
            }
            // Gone meanwhile: the next round's HEAD says why.
            Some(a) if a.status == 404 || a.status == 410 => known = None,
            Some(a) if a.status < 500 => {
                fail(lang.t(Msg::UploadPanelFailedServer).to_owned(), true);
                return;
            }
            // The connection dropped, or the server failed: ask how much it has, shortly.
            _ => {
                if client::cancelled(item.key) {
                    continue;
                }
                if !wait(item, &mut failures, at).await {
                    fail(lang.t(Msg::UploadPanelLost).to_owned(), true);
                    return;
                }
            }
        }
    }
}

/// After a failure: shows the file waiting and waits the next back-off; false once the
/// back-offs are used up.
#[cfg(feature = "hydrate")]
async fn wait(item: Item, failures: &mut usize, sent: f64) -> bool {
    let Some(ms) = BACKOFF_MS.get(*failures).copied() else {
        return false;
    };
    *failures += 1;
    item.stage.set(Stage::Waiting(sent));
    client::sleep(ms).await;
    true
}

/// Cancelled: the server's part goes, and the file leaves the panel.
#[cfg(feature = "hydrate")]
async fn abandon(panel: Panel, item: Item) {
    if let Some(url) = item.url.get_untracked() {
        let fp = item.fingerprint.get_value();
        panel.setup.with_value(|s| client::unsave(&s.user_id, &fp));
        let _ = client::call(None, "DELETE", &url, &[], None, None).await;
    }
    panel.remove(item.key);
}

/// The browser's side: files, requests with upload progress, timers, what this browser
/// remembers, and the page's navigation.
#[cfg(feature = "hydrate")]
mod client {
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
    };
    use wasm_bindgen::{JsCast as _, JsValue, closure::Closure};
    use web_sys::{Blob, File, ProgressEvent, XmlHttpRequest};

    thread_local! {
        // A few files at a time: lists, not hash maps (smaller in the bundle).
        static FILES: RefCell<Vec<(u32, File)>> = const { RefCell::new(Vec::new()) };
        static REQUESTS: RefCell<Vec<(u32, XmlHttpRequest)>> = const { RefCell::new(Vec::new()) };
        static CANCELLED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    }

    pub fn keep_file(key: u32, file: File) {
        FILES.with(|f| f.borrow_mut().push((key, file)));
    }
    pub fn file(key: u32) -> Option<File> {
        FILES.with(|f| {
            f.borrow()
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        })
    }
    pub fn forget_file(key: u32) {
        FILES.with(|f| f.borrow_mut().retain(|(k, _)| *k != key));
    }

    /// Stops the file's request on its way; the upload notices and abandons it.
    pub fn cancel(key: u32) {
        CANCELLED.with(|c| c.borrow_mut().push(key));
        if let Some(xhr) = REQUESTS.with(|r| {
            r.borrow()
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, x)| x.clone())
        }) {
            let _ = xhr.abort();
        }
    }
    pub fn cancelled(key: u32) -> bool {
        CANCELLED.with(|c| c.borrow().contains(&key))
    }
    pub fn uncancel(key: u32) {
        CANCELLED.with(|c| c.borrow_mut().retain(|k| *k != key));
    }

    pub fn now() -> f64 {
        js_sys::Date::now()
    }

    pub async fn sleep(ms: i32) {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }

    /// An answer.
    pub struct Answer {
        pub status: u16,
        xhr: XmlHttpRequest,
    }

    impl Answer {
        pub fn header(&self, name: &str) -> Option<String> {
            self.xhr.get_response_header(name).ok().flatten()
        }
        /// A string field of a JSON body.
        pub fn json(&self, field: &str) -> Option<String> {
            let text = self.xhr.response_text().ok().flatten()?;
            let value = js_sys::JSON::parse(&text).ok()?;
            js_sys::Reflect::get(&value, &JsValue::from_str(field))
                .ok()?
                .as_string()
        }
    }

    /// With no upload progress for this long, a request is taken for lost (a connection that
    /// died without closing, as Wi-Fi does) and stopped.
    const STALL_MS: f64 = 30_000.0;
    /// Once the body is all sent, how long the answer may take (the server checks and records a
    /// large file before it answers).
    const ANSWER_MS: f64 = 300_000.0;

    /// One request of the protocol; none when the connection failed, it was stopped, or it
    /// stalled. `key` lets [`cancel`] stop it; `progress` hears the bytes of the body sent.
    pub async fn call(
        key: Option<u32>,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&Blob>,
        progress: Option<Rc<dyn Fn(f64)>>,
    ) -> Option<Answer> {
        let xhr = XmlHttpRequest::new().ok()?;
        xhr.open_with_async(method, url, true).ok()?;
        xhr.set_request_header("Tus-Resumable", crate::cases::TUS_VERSION)
            .ok()?;
        for (k, v) in headers {
            xhr.set_request_header(k, v).ok()?;
        }
        let last = Rc::new(Cell::new(now()));
        let body_sent = Rc::new(Cell::new(false));
        let finished = Rc::new(Cell::new(false));
        let on_progress = progress.map(|p| {
            let last = last.clone();
            Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
                last.set(now());
                p(e.loaded());
            })
        });
        let on_sent = {
            let (last, body_sent) = (last.clone(), body_sent.clone());
            Closure::<dyn FnMut()>::new(move || {
                last.set(now());
                body_sent.set(true);
            })
        };
        if let (Some(cb), Ok(upload)) = (&on_progress, xhr.upload()) {
            upload.set_onprogress(Some(cb.as_ref().unchecked_ref()));
            upload.set_onload(Some(on_sent.as_ref().unchecked_ref()));
        }
        let ended = js_sys::Promise::new(&mut |resolve, _| {
            let cb = Closure::once_into_js(move || {
                let _ = resolve.call0(&JsValue::NULL);
            });
            xhr.set_onloadend(Some(cb.unchecked_ref()));
        });
        if let Some(k) = key {
            REQUESTS.with(|r| r.borrow_mut().push((k, xhr.clone())));
        }
        let sent = match body {
            Some(b) => xhr.send_with_opt_blob(Some(b)),
            None => xhr.send(),
        };
        if sent.is_err() {
            return None;
        }
        if on_progress.is_some() {
            let (xhr, last, body_sent, finished) = (
                xhr.clone(),
                last.clone(),
                body_sent.clone(),
                finished.clone(),
            );
            leptos::task::spawn_local(async move {
                loop {
                    sleep(5_000).await;
                    if finished.get() {
                        break;
                    }
                    let limit = if body_sent.get() { ANSWER_MS } else { STALL_MS };
                    if now() - last.get() > limit {
                        let _ = xhr.abort();
                        break;
                    }
                }
            });
        }
        let _ = wasm_bindgen_futures::JsFuture::from(ended).await;
        finished.set(true);
        if let Some(k) = key {
            REQUESTS.with(|r| r.borrow_mut().retain(|(x, _)| *x != k));
        }
        drop(on_progress);
        drop(on_sent);
        let status = xhr.status().unwrap_or(0);
        (status != 0).then_some(Answer { status, xhr })
    }

    /// Standard base64 of a string's UTF-8 bytes (for `Upload-Metadata`).
    pub fn base64(s: &str) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in s.as_bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// An upload this browser started and has not seen finished.
    #[derive(Clone, Debug)]
    pub struct Saved {
        pub case_id: String,
        pub fingerprint: String,
        pub url: String,
        pub name: String,
        pub title: String,
        pub section: String,
        pub cps: bool,
        /// When it was started (milliseconds): the server forgets it a day on.
        pub at: f64,
    }

    const FIELD: char = '\u{1f}';
    const RECORD: char = '\u{1e}';
    const DAY_MS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }
    fn key_for(user_id: &str) -> String {
        format!("case-access:uploads:{user_id}")
    }
    fn all(user_id: &str) -> Vec<Saved> {
        let Some(text) = storage().and_then(|s| s.get_item(&key_for(user_id)).ok().flatten())
        else {
            return vec![];
        };
        text.split(RECORD)
            .filter_map(|r| {
                let f: Vec<&str> = r.split(FIELD).collect();
                let [case_id, fingerprint, url, name, title, section, cps, at] = f.as_slice()
                else {
                    return None;
                };
                Some(Saved {
                    case_id: (*case_id).to_owned(),
                    fingerprint: (*fingerprint).to_owned(),
                    url: (*url).to_owned(),
                    name: (*name).to_owned(),
                    title: (*title).to_owned(),
                    section: (*section).to_owned(),
                    cps: *cps == "1",
                    at: at.parse::<u64>().ok()? as f64,
                })
            })
            .filter(|s| now() - s.at < DAY_MS)
            .collect()
    }
    fn write(user_id: &str, records: &[Saved]) {
        let Some(s) = storage() else { return };
        if records.is_empty() {
            let _ = s.remove_item(&key_for(user_id));
            return;
        }
        let clean = |v: &str| v.replace([FIELD, RECORD], " ");
        let text: Vec<String> = records
            .iter()
            .map(|r| {
                [
                    clean(&r.case_id),
                    clean(&r.fingerprint),
                    clean(&r.url),
                    clean(&r.name),
                    clean(&r.title),
                    clean(&r.section),
                    if r.cps { "1".into() } else { "0".into() },
                    (r.at as u64).to_string(),
                ]
                .join(&FIELD.to_string())
            })
            .collect();
        // A full store (or one the browser refuses) only loses the remembering.
        let _ = s.set_item(&key_for(user_id), &text.join(&RECORD.to_string()));
    }
    /// The unfinished uploads on `case_id`.
    pub fn saved(user_id: &str, case_id: &str) -> Vec<Saved> {
        all(user_id)
            .into_iter()
            .filter(|s| s.case_id == case_id)
            .collect()
    }
    pub fn save(user_id: &str, record: &Saved) {
        let mut records = all(user_id);
        records.retain(|r| r.fingerprint != record.fingerprint);
        records.push(record.clone());
        write(user_id, &records);
    }
    pub fn unsave(user_id: &str, fingerprint: &str) {
        let mut records = all(user_id);
        records.retain(|r| r.fingerprint != fingerprint);
        write(user_id, &records);
    }

    /// Goes to `href` by the page's own navigation (the page stays loaded), or as a plain one.
    pub fn navigate(href: &str) {
        let Some(w) = web_sys::window() else { return };
        let nav = js_sys::Reflect::get(&w, &JsValue::from_str("__navigate"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match nav {
            Some(f) => {
                let _ = f.call1(&JsValue::NULL, &JsValue::from_str(href));
            }
            None => {
                let _ = w.location().assign(href);
            }
        }
    }

    /// While uploads are on their way, the page asks before it is left (`data-busy-message`
    /// on `<html>`, which the navigation script reads).
    pub fn set_busy(message: Option<&str>) {
        let Some(html) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        match message {
            Some(m) => {
                let _ = html.dataset().set("busyMessage", m);
            }
            None => html.dataset().delete("busyMessage"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setup_reaches_the_browser_whole() {
        let s = Setup {
            case_id: "c1".into(),
            user_id: "u1".into(),
            defendants: vec![
                ("d1".into(), "Siân O'Brien".into()),
                ("d2".into(), "Llŷr\u{1f}Cyf".into()),
            ],
            sections: vec![
                Choice {
                    code: "plea".into(),
                    name: "Ple".into(),
                    send_to_cps: true,
                },
                Choice {
                    code: "general-correspondence".into(),
                    name: "Gohebiaeth".into(),
                    send_to_cps: false,
                },
            ],
            extensions: vec!["pdf".into(), "docx".into()],
            limit: 536_870_912,
        };
        let back = Setup::decode(&s.encode()).expect("decodes");
        assert_eq!(
            back.defendants[1].1, "Llŷr Cyf",
            "a separator in a value is a space"
        );
        assert_eq!(
            Setup {
                defendants: back.defendants.clone(),
                ..s.clone()
            },
            back
        );
        let none = Setup {
            case_id: "c".into(),
            user_id: "u".into(),
            limit: 1,
            ..Setup::default()
        };
        assert_eq!(Setup::decode(&none.encode()), Some(none));
        assert_eq!(Setup::decode("nonsense"), None);
        assert_eq!(Setup::decode(""), None);
    }

    #[test]
    fn the_limit_is_named_in_the_hint_and_the_refusal() {
        assert_eq!(limit_text(512 << 20, Lang::En), "512 MB");
        assert_eq!(limit_text(2 << 30, Lang::En), "2 GB");
        assert_eq!(limit_text(1536 << 20, Lang::En), "1536 MB");
        assert_eq!(limit_text((1 << 20) + 1, Lang::En), "1.0 MB");
        assert_eq!(
            problem_text(Msg::UploadProblemTooLarge, Lang::En, 100 << 20),
            "The selected file must be smaller than 100 MB"
        );
        assert!(problem_text(Msg::UploadFileHint, Lang::Cy, 512 << 20).ends_with("llai na 512 MB"));
        assert_eq!(
            problem_text(Msg::UploadProblemEmpty, Lang::En, 1),
            Lang::En.t(Msg::UploadProblemEmpty)
        );
    }

    #[test]
    fn a_title_comes_from_the_file_name() {
        assert_eq!(
            title_from("Defence_statement v2.pdf"),
            "Defence statement v2"
        );
        assert_eq!(title_from("C:\\Users\\ann\\plea.pdf"), "plea");
        assert_eq!(title_from(".pdf"), ".pdf");
        assert_eq!(title_from("no extension"), "no extension");
        assert_eq!(title_from(&format!("{}.pdf", "x".repeat(300))).len(), 200);
    }

    #[test]
    fn a_file_is_checked_before_anything_is_sent() {
        let ext = vec!["pdf".to_owned(), "docx".to_owned()];
        let limit = 1000;
        assert_eq!(check("a.PDF", 10.0, "A", &ext, limit), None);
        assert_eq!(
            check("a.exe", 10.0, "A", &ext, limit),
            Some((Msg::UploadProblemExtension, "file"))
        );
        assert_eq!(
            check("a", 10.0, "A", &ext, limit),
            Some((Msg::UploadProblemExtension, "file"))
        );
        assert_eq!(
            check("a.pdf", 0.0, "A", &ext, limit),
            Some((Msg::UploadProblemEmpty, "file"))
        );
        assert_eq!(
            check("a.pdf", 1001.0, "A", &ext, limit),
            Some((Msg::UploadProblemTooLarge, "file"))
        );
        assert_eq!(
            check("a.pdf", 10.0, "  ", &ext, limit),
            Some((Msg::UploadProblemTitleMissing, "title"))
        );
        assert_eq!(
            check("a.pdf", 10.0, &"é".repeat(201), &ext, limit),
            Some((Msg::UploadProblemTitleTooLong, "title"))
        );
        assert_eq!(check("a.pdf", 10.0, &"é".repeat(200), &ext, limit), None);
    }
}
