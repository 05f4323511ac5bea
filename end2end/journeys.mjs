// Helpers for browser journeys that sign in: one-time codes, form submits, the development
// email page, the error summary and a virtual WebAuthn authenticator.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { BASE } from './lib.mjs';

export const DEMO_PASSWORD = 'harbour ledger winter 42';
export const DEMO_KEY = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

// ---- one-time codes (RFC 6238, SHA-1, 6 digits, 30 s) ----

export function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

export function totp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32(key)).update(counter).digest();
  const o = h[19] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export const lastStep = new Map();
/// A code the server will accept: each time step works once per account, so this moves to the
/// next step (which the server allows) or waits for a fresh one.
export async function code(key) {
  for (;;) {
    const now = Number(await (await fetch(`${BASE.replace('//localhost', '//127.0.0.1')}/dev/now`)).text());
    const step = Math.floor(now / 30);
    const used = lastStep.get(key) ?? -1;
    for (const s of [step, step + 1]) {
      if (s > used) { lastStep.set(key, s); return totp(key, s); }
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

export async function submit(page, selector = 'main button[type=submit]') {
  await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), page.click(selector)]);
}

export async function signIn(page, email, password, key) {
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/sign-in/verify', await page.locator('main').textContent());
  // Another test file (another process) may have used this step's code for a shared demo
  // account: the server refuses a code twice, so move on to the next step and try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.fill('#code', await code(key));
    await submit(page);
    if (new URL(page.url()).pathname !== '/sign-in/verify') return;
  }
  assert.fail(`signing in as ${email}: ${await page.locator('main').textContent()}`);
}

export async function signOut(page) {
  await submit(page, 'header + .govuk-service-navigation button, .govuk-service-navigation button');
  assert.equal(new URL(page.url()).pathname, '/signed-out');
}

/// The newest email to `to` of `kind`, as the plain-text part.
export async function email(page, to, kind) {
  await page.goto(`${BASE}/dev/emails`);
  const section = page.locator(`section.app-email[data-to="${to}"][data-kind="${kind}"]`).first();
  return section.locator('pre').textContent();
}

export function linkIn(text, path) {
  const m = text.match(new RegExp(`https?://\\S+${path}\\?token=[A-Za-z0-9_-]+`));
  assert.ok(m, `no ${path} link in:\n${text}`);
  return m[0];
}

export async function errorSummary(page) {
  const summary = page.locator('.govuk-error-summary');
  await summary.waitFor();
  assert.match(await page.title(), /^(Error|Gwall): /);
  return summary.textContent();
}

export async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  cdp.authenticatorId = authenticatorId;
  return cdp;
}

