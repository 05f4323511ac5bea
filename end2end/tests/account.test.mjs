// A user's own sign-in methods, end to end: confirm it is you, add passkeys (a DevTools virtual
// authenticator), replace and then remove the authenticator app, be refused removing the last
// way in; report that sign-in details are known to someone else (locked, administrators told,
// unlocked, new password); and an administrator's reset of a user's second factors. axe-core
// checks every page on the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, hydrated, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';
import {
  DEMO_PASSWORD, DEMO_KEY, code, submit, signIn, signOut, email, linkIn, errorSummary, virtualAuthenticator,
} from '../journeys.mjs';

const ADMIN = 'admin@smith-solicitors.example';
const run = Date.now().toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
const NIA = `nia.${run}@smith-solicitors.example`;
const PASSWORD = 'meadow signal harbour 3';
const NEW_PASSWORD = 'granite willow evening 8';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const path = (page) => new URL(page.url()).pathname;

async function success(page) {
  const banner = page.locator('.govuk-notification-banner--success');
  await banner.waitFor();
  return banner.textContent();
}

async function niaUserPage(page) {
  await page.goto(`${BASE}/organisation/users?q=${encodeURIComponent(`Hughes ${run}`)}`);
  const href = await page.locator('#users a').first().getAttribute('href');
  await page.goto(`${BASE}${href}`);
}

let niaKey;

test('a new user activates with an authenticator app', async () => {
  const admin = await openPage(browser);
  await signIn(admin, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await admin.goto(`${BASE}/organisation/users/add`);
  await admin.fill('#first_name', 'Nia');
  await admin.fill('#last_name', `Hughes ${run}`);
  await admin.fill('#email', NIA);
  await submit(admin, 'main button.govuk-button');
  assert.match(await success(admin), /emailed them/);
  await signOut(admin);

  const page = await openPage(browser);
  await page.goto(linkIn(await email(page, NIA, 'activation'), '/activate'));
  await submit(page);
  await page.fill('#password', PASSWORD);
  await page.fill('#password-confirm', PASSWORD);
  await submit(page);
  await page.click('summary:has-text("scan")');
  niaKey = (await page.locator('#secret-key code').textContent()).replace(/\s/g, '');
  await page.fill('#code', await code(niaKey));
  await submit(page);
  assert.equal(path(page), '/account/set-up/done');
  expectNoProblems(page);
});

test('a user confirms it is them, adds two passkeys, replaces then removes the authenticator app, and cannot remove the last way in', async () => {
  const page = await openPage(browser, { viewport: TABLET, hasTouch: true });
  const laptop = await virtualAuthenticator(page);
  await signIn(page, NIA, PASSWORD, niaKey);
  await page.goto(`${BASE}/account`);
  assert.match(await page.locator('#authenticator').textContent(), /Set up/);
  assert.equal(await page.locator('#passkey-register').count(), 0, 'nothing changes before the password is confirmed');
  await checkAccessibility(page, 'account-unconfirmed');

  // A form post without confirming is sent to confirm first.
  await page.goto(`${BASE}/account/authenticator`);
  await page.click('main a.govuk-button:has-text("Confirm it is you")');
  assert.equal(path(page), '/account/confirm-password');
  await page.fill('#password', 'not my password');
  await submit(page);
  assert.match(await errorSummary(page), /password is not right/);
  await checkAccessibility(page, 'confirm-password-error');
  await page.fill('#password', PASSWORD);
  await submit(page);
  assert.equal(path(page), '/account/authenticator');

  // Replace the authenticator app: the new key's code, and the old one stops working.
  await checkAccessibility(page, 'replace-authenticator');
  await page.click('summary:has-text("scan")');
  const newKey = (await page.locator('#secret-key code').textContent()).replace(/\s/g, '');
  assert.notEqual(newKey, niaKey);
  await page.fill('#code', await code(newKey));
  await submit(page);
  assert.equal(path(page), '/account');
  assert.match(await success(page), /new authenticator app is set up/);
  niaKey = newKey;

  // Two passkeys: one on this device, then a security key (another authenticator: the first
  // refuses to make a second passkey for an account it already holds one for).
  for (const name of ['Laptop', 'Security key']) {
    if (name === 'Security key') {
      await laptop.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: laptop.authenticatorId });
      await virtualAuthenticator(page);
    }
    await page.goto(`${BASE}/account`);
    await hydrated(page);
    await page.fill('#passkey-name', name);
    await Promise.all([page.waitForURL(/passkey=added/), page.click('#passkey-register')]);
    await success(page);
  }
  const keys = await page.locator('#passkeys').textContent();
  assert.match(keys, /Laptop/);
  assert.match(keys, /Security key/);
  await checkAccessibility(page, 'account-two-passkeys');

  // Rename one: an empty name is refused and the page says why.
  await page.click('#passkeys tbody tr:has-text("Laptop") a:has-text("Rename")');
  assert.equal(path(page), '/account/passkey');
  assert.equal(await page.inputValue('#name'), 'Laptop');
  await page.fill('#name', '  ');
  await submit(page, 'main form button.govuk-button');
  assert.match(await errorSummary(page), /Enter a name for the passkey/);
  await checkAccessibility(page, 'rename-passkey-error');
  await page.fill('#name', 'Work laptop');
  await submit(page, 'main form button.govuk-button');
  assert.match(await success(page), /Passkey renamed/);
  assert.match(await page.locator('#passkeys').textContent(), /Work laptop/);

  // Remove the authenticator app, then one passkey; the last one stays.
  await submit(page, '#remove-authenticator');
  assert.match(await success(page), /Authenticator app removed/);
  assert.match(await page.locator('#authenticator').textContent(), /Not set up/);
  await submit(page, '#passkeys tbody tr:first-child button');
  assert.match(await success(page), /Passkey removed/);
  assert.equal(await page.locator('#passkeys tbody tr').count(), 1);
  await submit(page, '#passkeys tbody tr:first-child button');
  assert.match(await errorSummary(page), /only way to confirm it is you/);
  await checkAccessibility(page, 'last-factor-refused');
  await page.goto(`${BASE}/account`);
  assert.equal(await page.locator('#passkeys tbody tr').count(), 1, 'the last passkey is kept');
  await signOut(page);

  // The remaining passkey signs her in.
  await page.goto(`${BASE}/sign-in`);
  await hydrated(page);
  await Promise.all([page.waitForURL(/\/cases$/), page.click('#passkey-sign-in')]);
  await signOut(page);
  expectNoProblems(page);
});

test('reporting disclosed sign-in details locks the account and tells the administrators; an administrator unlocks it', async () => {
  const page = await openPage(browser);
  // Nia's only way in is a passkey in another browser: her administrator resets her factors.
  const admin = await openPage(browser);
  await signIn(admin, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await niaUserPage(admin);
  await admin.click('a:has-text("Reset authenticator and passkeys")');
  assert.match(await admin.locator('main').textContent(), /Only do this after checking who is asking/);
  await checkAccessibility(admin, 'reset-factors-confirm');
  await submit(admin, 'main button.govuk-button--warning');
  assert.match(await success(admin), /reset/i);
  const resetMail = await email(admin, NIA, 'factor_reset');
  assert.match(resetMail, /set up an authenticator app or a passkey again/);

  // The password alone no longer leads to setting one up: the emailed link is needed too.
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', NIA);
  await page.fill('#password', PASSWORD);
  await submit(page);
  assert.equal(path(page), '/sign-in');
  assert.match(await page.locator('.govuk-error-summary').textContent(), /Use the link we emailed you/);
  await page.goto(linkIn(resetMail, '/enrol'));
  assert.equal(path(page), '/enrol');
  await checkAccessibility(page, 'enrol');
  await page.fill('#password', 'not my password at all');
  await submit(page);
  assert.match(await errorSummary(page), /password/i);
  await page.fill('#password', PASSWORD);
  await submit(page);
  assert.equal(path(page), '/account/set-up/authenticator');
  await page.click('summary:has-text("scan")');
  niaKey = (await page.locator('#secret-key code').textContent()).replace(/\s/g, '');
  await page.fill('#code', await code(niaKey));
  await submit(page);
  assert.equal(path(page), '/account/set-up/done');

  // She reports her details as disclosed.
  await page.goto(`${BASE}/account`);
  await page.click('a:has-text("report it now")');
  assert.equal(path(page), '/account/report');
  await checkAccessibility(page, 'report');
  await submit(page, 'main button.govuk-button--warning');
  assert.equal(path(page), '/signed-out');
  assert.match(await page.locator('#reported').textContent(), /locked/);
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', NIA);
  await page.fill('#password', PASSWORD);
  await submit(page);
  assert.match(await page.locator('.govuk-error-summary').textContent(), /locked/);

  // Her administrator is told, and unlocks her account.
  assert.match(await email(admin, ADMIN, 'disclosure_reported'), new RegExp(NIA.replace(/\./g, '\\.')));
  await niaUserPage(admin);
  assert.match(await admin.locator('#user-details').textContent(), /Locked/);
  await submit(admin, 'button:has-text("Unlock")');
  assert.match(await success(admin), /unlocked/);
  await signOut(admin);

  // Signing in again, she must choose a new password before anything else.
  await signIn(page, NIA, PASSWORD, niaKey);
  assert.equal(path(page), '/account/change-password');
  await page.fill('#current-password', PASSWORD);
  await page.fill('#password', NEW_PASSWORD);
  await page.fill('#password-confirm', NEW_PASSWORD);
  await submit(page);
  assert.equal(path(page), '/account');
  await signOut(page);
  expectNoProblems(page);
  expectNoProblems(admin);
});
