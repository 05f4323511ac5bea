//! The passkey button: an island, because the browser's WebAuthn API has no form equivalent.
//! Before hydration (or without JavaScript, or in a browser without WebAuthn) it says passkeys
//! need JavaScript and the page's other route (the authenticator code) still works.

use crate::i18n::{Msg, use_lang};
use leptos::prelude::*;

/// `mode`: "register" (set one up), "sign-in" (the passkey alone) or "verify" (the second
/// factor after a password; the same endpoints, which know the session).
#[island]
pub fn PasskeyButton(mode: String) -> impl IntoView {
    let lang = use_lang();
    let ready = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let register = mode == "register";
    let label = match mode.as_str() {
        "register" => Msg::PasskeyRegisterButton,
        "verify" => Msg::PasskeyVerifyButton,
        _ => Msg::PasskeySignInButton,
    };
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        ready.set(client::supported());
    });
    let endpoint = if register { "register" } else { "sign-in" };
    let on_click = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match client::run(endpoint, name.get_untracked()).await {
                Ok(to) => client::go(&to),
                Err(client::Failure::Message(m)) => error.set(Some(m)),
                Err(client::Failure::Cancelled) => {
                    error.set(Some(lang.t(Msg::PasskeyCancelled).to_owned()))
                }
                Err(client::Failure::Network) => {
                    error.set(Some(lang.t(Msg::ErrorUnavailable).to_owned()))
                }
            }
            busy.set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (endpoint, lang);
    };
    let group_class = move || {
        if error.get().is_some() {
            "govuk-form-group govuk-form-group--error app-passkey"
        } else {
            "govuk-form-group app-passkey"
        }
    };
    view! {
        <div class=group_class>
            <p class="govuk-body" hidden=move || ready.get()>{lang.t(Msg::PasskeyNeedsJs)}</p>
            {register.then(|| view! {
                <div hidden=move || !ready.get()>
                    <label class="govuk-label" for="passkey-name">{lang.t(Msg::PasskeyNameLabel)}</label>
                    <div id="passkey-name-hint" class="govuk-hint">{lang.t(Msg::PasskeyNameHint)}</div>
                    <input
                        class="govuk-input govuk-input--width-20"
                        id="passkey-name"
                        type="text"
                        autocomplete="off"
                        maxlength="60"
                        aria-describedby="passkey-name-hint"
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </div>
            })}
            <p class="govuk-error-message" id="passkey-error" role="alert" hidden=move || error.get().is_none()>
                <span class="govuk-visually-hidden">{lang.t(Msg::ErrorPrefix)}": "</span>
                {move || error.get().unwrap_or_default()}
            </p>
            <p class="govuk-body" role="status" hidden=move || !busy.get()>{lang.t(Msg::PasskeyWorking)}</p>
            <button
                type="button"
                class="govuk-button govuk-button--secondary"
                id=format!("passkey-{mode}")
                hidden=move || !ready.get()
                aria-disabled=move || busy.get().then_some("true")
                on:click=on_click
            >
                {lang.t(label)}
            </button>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    //! The WebAuthn calls: options from the server (base64url in JSON) become the binary
    //! structures `navigator.credentials` wants, and its answer goes back as JSON.
    use js_sys::{Array, ArrayBuffer, JSON, Object, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    pub enum Failure {
        Message(String),
        Cancelled,
        Network,
    }

    /// Whether this browser can use passkeys at all.
    pub fn supported() -> bool {
        web_sys::window()
            .and_then(|w| Reflect::get(&w, &"PublicKeyCredential".into()).ok())
            .is_some_and(|v| !v.is_undefined())
    }

    pub fn go(to: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().assign(to);
        }
    }

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }

    fn decode(s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0);
        for c in s.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => continue,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }

    fn get(v: &JsValue, key: &str) -> JsValue {
        Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
    }

    fn set(v: &JsValue, key: &str, value: &JsValue) {
        let _ = Reflect::set(v, &key.into(), value);
    }

    /// Replaces the base64url string at `obj[key]` with its bytes.
    fn to_bytes(obj: &JsValue, key: &str) {
        if let Some(s) = get(obj, key).as_string() {
            set(obj, key, &Uint8Array::from(decode(&s).as_slice()).into());
        }
    }

    fn buffer(v: &JsValue) -> String {
        v.dyn_ref::<ArrayBuffer>()
            .map(|b| encode(&Uint8Array::new(b).to_vec()))
            .unwrap_or_default()
    }

    async fn post(url: &str, body: &JsValue) -> Result<JsValue, Failure> {
        let window = web_sys::window().ok_or(Failure::Network)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        let headers = web_sys::Headers::new().map_err(|_| Failure::Network)?;
        let _ = headers.set("Content-Type", "application/json");
        init.set_headers(&headers);
        let text = JSON::stringify(body).map_err(|_| Failure::Network)?;
        init.set_body(&text);
        let res = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(|_| Failure::Network)?;
        let res: web_sys::Response = res.dyn_into().map_err(|_| Failure::Network)?;
        let json = JsFuture::from(res.json().map_err(|_| Failure::Network)?)
            .await
            .map_err(|_| Failure::Network)?;
        if let Some(m) = get(&json, "error").as_string() {
            return Err(Failure::Message(m));
        }
        if !res.ok() {
            return Err(Failure::Network);
        }
        Ok(json)
    }

    /// Removes `null` members in place (WebIDL refuses `null` for optional members).
    fn strip_nulls(v: &JsValue) {
        if let Some(list) = v.dyn_ref::<Array>() {
            for item in list.iter() {
                strip_nulls(&item);
            }
        } else if v.is_object() {
            let obj: &Object = v.unchecked_ref();
            for key in Object::keys(obj).iter() {
                let value = Reflect::get(v, &key).unwrap_or(JsValue::UNDEFINED);
                if value.is_null() {
                    let _ = Reflect::delete_property(obj, &key);
                } else {
                    strip_nulls(&value);
                }
            }
        }
    }

    /// The whole ceremony; the address to go to next.
    pub async fn run(endpoint: &str, name: String) -> Result<String, Failure> {
        let start = post(
            &format!("/passkeys/{endpoint}/options"),
            &Object::new().into(),
        )
        .await?;
        let options = get(&start, "options");
        strip_nulls(&options);
        let public_key = get(&options, "publicKey");
        to_bytes(&public_key, "challenge");
        let list_key = if endpoint == "register" {
            to_bytes(&get(&public_key, "user"), "id");
            "excludeCredentials"
        } else {
            "allowCredentials"
        };
        let list = get(&public_key, list_key);
        if let Some(list) = list.dyn_ref::<Array>() {
            for item in list.iter() {
                to_bytes(&item, "id");
            }
        }
        let request = Object::new();
        set(&request, "publicKey", &public_key);
        let credentials = web_sys::window()
            .ok_or(Failure::Network)?
            .navigator()
            .credentials();
        let promise = if endpoint == "register" {
            credentials.create_with_options(request.unchecked_ref())
        } else {
            credentials.get_with_options(request.unchecked_ref())
        }
        .map_err(|_| Failure::Cancelled)?;
        let credential = JsFuture::from(promise)
            .await
            .map_err(|_| Failure::Cancelled)?;
        if credential.is_null() || credential.is_undefined() {
            return Err(Failure::Cancelled);
        }
        let response = get(&credential, "response");
        let answer = Object::new();
        set(
            &answer,
            "clientDataJSON",
            &buffer(&get(&response, "clientDataJSON")).into(),
        );
        if endpoint == "register" {
            set(
                &answer,
                "attestationObject",
                &buffer(&get(&response, "attestationObject")).into(),
            );
        } else {
            set(
                &answer,
                "authenticatorData",
                &buffer(&get(&response, "authenticatorData")).into(),
            );
            set(
                &answer,
                "signature",
                &buffer(&get(&response, "signature")).into(),
            );
            let handle = get(&response, "userHandle");
            if handle.is_instance_of::<ArrayBuffer>() {
                set(&answer, "userHandle", &buffer(&handle).into());
            }
        }
        let out = Object::new();
        set(&out, "id", &get(&credential, "id"));
        set(&out, "rawId", &buffer(&get(&credential, "rawId")).into());
        set(&out, "type", &"public-key".into());
        set(&out, "response", &answer);
        set(&out, "extensions", &Object::new());
        let body = Object::new();
        set(&body, "state", &get(&start, "state"));
        set(&body, "name", &name.into());
        set(&body, "credential", &out);
        let done = post(&format!("/passkeys/{endpoint}"), &body).await?;
        get(&done, "redirect").as_string().ok_or(Failure::Network)
    }
}
