//! Authenticator-app codes (RFC 6238: SHA-1, 6 digits, 30 seconds, one step either side). Each
//! code works once: the last accepted time step is stored and only a later step is accepted.

use totp_rs::{Algorithm, Secret, TOTP};

/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Defence access (HMCTS)";

/// A new random secret, base32 (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> String {
    Secret::Raw(rand::random::<[u8; 20]>().to_vec())
        .to_encoded()
        .to_string()
}

fn totp(secret_b32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .into()
}

/// The `otpauth://` URL an app reads from the QR code.
pub fn otpauth_url(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account).map(|t| t.get_url())
}

/// The secret written out in groups of four for typing into an app.
pub fn grouped(secret_b32: &str) -> String {
    secret_b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code for a URL as an SVG image.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .dark_color(qrcode::render::svg::Color("#0b0c0c"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// The time step a code was accepted for, if `code` is right for `now` (± one step) and that step
/// is later than `last_step`. The caller must then store it with a conditional update
/// (`... WHERE totp_last_step IS NULL OR totp_last_step < $step`) so two racing requests cannot
/// both use it.
pub fn verify(secret_b32: &str, code: &str, now: i64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) || now < 0 {
        return None;
    }
    let t = totp(secret_b32, "")?;
    let step_now = now / 30;
    [step_now - 1, step_now, step_now + 1]
        .into_iter()
        .filter(|step| *step >= 0 && last_step.is_none_or(|last| *step > last))
        .find(|step| {
            let expected = t.generate((*step * 30) as u64);
            constant_eq(expected.as_bytes(), code.as_bytes())
        })
}

/// The code for a time (tests compute codes as an authenticator app would).
#[cfg(test)]
pub fn code_at(secret_b32: &str, now: i64) -> Option<String> {
    totp(secret_b32, "").map(|t| t.generate(now.max(0) as u64))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B's SHA-1 secret ("12345678901234567890"), in base32.
    const RFC: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn matches_rfc_6238_vectors() {
        // RFC 6238 gives 8-digit codes; ours are the last 6 digits.
        assert_eq!(code_at(RFC, 59).unwrap(), "287082");
        assert_eq!(code_at(RFC, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(RFC, 1_234_567_890).unwrap(), "005924");
    }

    #[test]
    fn accepts_one_step_either_side_only() {
        let now = 1_234_567_890;
        let code = code_at(RFC, now).unwrap();
        assert_eq!(verify(RFC, &code, now, None), Some(now / 30));
        assert!(
            verify(RFC, &code, now + 30, None).is_some(),
            "a step late is fine"
        );
        assert!(
            verify(RFC, &code, now - 30, None).is_some(),
            "a step early is fine"
        );
        assert!(
            verify(RFC, &code, now + 90, None).is_none(),
            "three steps late is not"
        );
        assert!(verify(RFC, "000000", now, None).is_none());
        assert!(verify(RFC, "12345", now, None).is_none());
        assert!(verify(RFC, "abcdef", now, None).is_none());
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(
            verify(RFC, &spaced, now, None).is_some(),
            "spaces are ignored"
        );
    }

    #[test]
    fn the_same_code_twice_fails() {
        let now = 1_700_000_000;
        let code = code_at(RFC, now).unwrap();
        let step = verify(RFC, &code, now, None).unwrap();
        assert_eq!(verify(RFC, &code, now, Some(step)), None, "replay refused");
        assert_eq!(
            verify(RFC, &code, now + 5, Some(step)),
            None,
            "still refused later"
        );
        let next = code_at(RFC, now + 30).unwrap();
        assert_eq!(verify(RFC, &next, now + 30, Some(step)), Some(step + 1));
    }

    #[test]
    fn secrets_urls_and_qr() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert_ne!(s, new_secret());
        let url = otpauth_url(&s, "a@example.org").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains(&format!("secret={s}")));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        let svg = qr_svg(&url).unwrap();
        assert!(svg.contains("<svg"));
    }
}
