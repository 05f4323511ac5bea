// Accounts end to end, as a firm and HMCTS would use them: register a firm, onboarding approves
// it, the administrator activates from the emailed link, chooses a password, sets up an
// authenticator app (codes computed here from the key the page shows), signs out and in again;
// a forgotten password; a compromised password changed when prompted; a deregistered user
// refused; throttling; Welsh. axe-core checks every page on the way.
//
// The server runs with the demo accounts (`seed --demo-accounts`), no SMTP server (so emails are
// read from /dev/emails) and a clock that starts at FIXED_NOW (read from /dev/now for codes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, hydrated, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';
import {
  DEMO_PASSWORD, DEMO_KEY, totp, code, lastStep, submit, signIn, signOut, email, linkIn, errorSummary, virtualAuthenticator,
} from '../journeys.mjs';

const STAFF = 'onboarding@hmcts.example';
const run = Date.now().toString(36);
const FIRM = `Price Defence ${run}`;
const ADMIN = `ada.${run}@price-defence.example`;
const CLERK = `cai.${run}@price-defence.example`;
const PASSWORD = 'copper kettle morning tide';
const NEW_PASSWORD = 'violet canal thunder 7';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// ---- the journey ----

test('a firm registers; the form keeps what was typed and lists every error', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/register`);
  await page.fill('#organisation', FIRM);
  await page.fill('#laa', 'not-a-number');
  await submit(page, 'main button.govuk-button:not(.govuk-button--secondary)');
  const summary = await errorSummary(page);
  assert.match(summary, /LAA account number/i);
  assert.equal(await page.inputValue('#organisation'), FIRM, 'typed values are kept');
  await checkAccessibility(page, 'register-errors');

  await page.fill('#address', '2 Castle Street\nSwansea');
  await page.fill('#postcode', 'SA1 1DP');
  await page.fill('#laa', '2B345C');
  await page.fill('#sra', '654321');
  await page.fill('#ap_name', 'Ada Price');
  await page.fill('#ap_email', ADMIN);
  await page.fill('#ap_phone', '01792 000000');
  await page.fill('#user1_first', 'Ada');
  await page.fill('#user1_last', 'Price');
  await page.fill('#user1_email', ADMIN);
  await page.selectOption('#user1_role', 'administrator');
  await submit(page, 'button[name=add_user]');
  await page.fill('#user2_first', 'Cai');
  await page.fill('#user2_last', 'Rees');
  await page.fill('#user2_email', CLERK);
  await page.selectOption('#user2_role', 'user');
  await page.fill('#terms_name', 'Ada Price');
  await submit(page, 'main button.govuk-button:not(.govuk-button--secondary)');
  assert.equal(new URL(page.url()).pathname, '/register/submitted', await page.locator('main').textContent());
  await checkAccessibility(page, 'register-submitted');
  assert.match(await email(page, ADMIN, 'registration_received'), new RegExp(FIRM));
  expectNoProblems(page);
});

test('a self-employed barrister registers an organisation of one with the short form', async () => {
  const page = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await page.goto(`${BASE}/register`);
  await submit(page, 'a:text("Register on your own with the short form")');
  assert.equal(new URL(page.url()).pathname, '/register/barrister');
  await page.fill('#first', 'Rhian');
  await page.fill('#bar', '12');
  await submit(page, 'main button[type=submit]');
  const summary = await errorSummary(page);
  assert.match(summary, /Enter a last name/);
  assert.match(summary, /Bar number like/);
  assert.equal(await page.inputValue('#first'), 'Rhian');
  await checkAccessibility(page, 'register-barrister-errors');
  await page.fill('#last', 'Owen');
  await page.fill('#email', `rhian.${run}@chambers.example`);
  await page.fill('#phone', '029 2000 1111');
  await page.fill('#bar', '654321');
  await page.fill('#address', '9 Park Place\nCardiff');
  await page.fill('#postcode', 'CF10 3DQ');
  await page.fill('#terms_name', 'Rhian Owen');
  await submit(page, 'main button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/register/submitted');
  expectNoProblems(page);
});

test('HMCTS onboarding approves the registration and each user is sent an activation email', async () => {
  const page = await openPage(browser);
  await signIn(page, STAFF, DEMO_PASSWORD, DEMO_KEY);
  await page.goto(`${BASE}/onboarding`);
  await checkAccessibility(page, 'onboarding-queue');
  await submit(page, `a:text("${FIRM}")`);
  assert.match(await page.locator('main').textContent(), /Ada Price/);
  // Saving without a decision is an error, not a silent no-op.
  await submit(page, 'main form button[type=submit]');
  await errorSummary(page);
  await checkAccessibility(page, 'onboarding-registration-errors');
  await page.check('#decision');
  await submit(page, 'main form button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/onboarding');
  await page.locator('.govuk-notification-banner--success').waitFor();
  assert.equal(await page.locator(`a:text("${FIRM}")`).count(), 0, 'no longer pending');
  for (const to of [ADMIN, CLERK]) {
    assert.match(await email(page, to, 'activation'), /\/activate\?token=/);
  }
  await signOut(page);
  expectNoProblems(page);
});

test('onboarding imports the registration spreadsheet: a preview lists every problem, then all or nothing', async () => {
  const header = 'organisation,address,postcode,laa_account,sra_number,bar_number,accountable_name,accountable_email,accountable_phone,terms_signed_name,user_first_name,user_last_name,user_email,user_roles\n';
  const good = header +
    `Evans Law ${run},3 Quay Street | Carmarthen,SA31 3JT,3C456D,,,Eira Evans,eira.${run}@evans.example,01267 000000,Eira Evans,Eira,Evans,eira.${run}@evans.example,administrator;advocate\n` +
    `Evans Law ${run},,,,,,,,,,Gwyn,Davies,gwyn.${run}@evans.example,user\n` +
    `Hughes Chambers ${run},4 Castle Street | Swansea,SA1 1DP,,,A54321,Huw Hughes,huw.${run}@hughes.example,01792 111111,Huw Hughes,Huw,Hughes,huw.${run}@hughes.example,administrator+advocate\n`;
  const bad = good.replace('SA31 3JT', 'NOT A POSTCODE').replace(',user\n', ',boss\n');
  const page = await openPage(browser);
  await signIn(page, STAFF, DEMO_PASSWORD, DEMO_KEY);
  await page.goto(`${BASE}/onboarding`);
  await submit(page, 'a:text("Import registrations from a spreadsheet")');
  await checkAccessibility(page, 'import');
  // No file chosen.
  await submit(page, 'main form[enctype] button[type=submit]');
  assert.match(await errorSummary(page), /Choose a CSV file/);
  await page.setInputFiles('#csv', { name: 'registrations.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await submit(page, 'main form[enctype] button[type=submit]');
  await errorSummary(page);
  const problems = await page.locator('#import-problems').textContent();
  assert.match(problems, /2\s*postcode/);
  assert.match(problems, /3\s*user_roles/);
  await checkAccessibility(page, 'import-problems');
  await page.setInputFiles('#csv', { name: 'registrations.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await submit(page, 'main form[enctype] button[type=submit]');
  assert.equal(await page.locator('#import-preview tbody tr').count(), 2);
  await checkAccessibility(page, 'import-preview');
  await submit(page, 'button:text("Import 2 registrations")');
  assert.equal(new URL(page.url()).pathname, '/onboarding');
  await page.locator('.govuk-notification-banner--success').waitFor();
  assert.equal(await page.locator(`a:text("Evans Law ${run}")`).count(), 1);
  assert.equal(await page.locator(`a:text("Hughes Chambers ${run}")`).count(), 1);
  await signOut(page);
  expectNoProblems(page);
});

let adminKey;

test('the administrator activates: password rules, authenticator set-up, then the account', async () => {
  const page = await openPage(browser);
  const link = linkIn(await email(page, ADMIN, 'activation'), '/activate');
  await page.goto(link);
  await checkAccessibility(page, 'activate-confirm');
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account/set-up/password');

  await page.fill('#password', 'password1');
  await page.fill('#password-confirm', 'password1');
  await submit(page);
  assert.match(await errorSummary(page), /common/i);
  assert.equal(await page.inputValue('#password'), '', 'passwords are never sent back');
  await checkAccessibility(page, 'set-password-errors');
  await page.fill('#password', PASSWORD);
  await page.fill('#password-confirm', PASSWORD);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account/set-up/authenticator');

  const qr = await page.evaluate(async () => {
    const r = await fetch('/account/set-up/authenticator/qr.svg');
    return { status: r.status, cache: r.headers.get('cache-control'), type: r.headers.get('content-type') };
  });
  assert.deepEqual(qr, { status: 200, cache: 'no-store', type: 'image/svg+xml' });
  await page.click('summary:has-text("scan")');
  adminKey = (await page.locator('#secret-key code').textContent()).replace(/\s/g, '');
  assert.match(adminKey, /^[A-Z2-7]{32}$/);
  await checkAccessibility(page, 'authenticator-setup');
  await page.fill('#code', '000000');
  await submit(page);
  await errorSummary(page);
  await page.fill('#code', await code(adminKey));
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account/set-up/done');
  await checkAccessibility(page, 'setup-done');
  await page.goto(`${BASE}/account`);
  assert.match(await page.locator('main').textContent(), new RegExp(ADMIN.replace(/\./g, '\\.')));
  await checkAccessibility(page, 'account');
  // The link worked once.
  await page.goto(link);
  assert.match(await page.locator('h1').textContent(), /already been used/i);
  await checkAccessibility(page, 'activate-used');
  await page.goto(`${BASE}/account`);
  await signOut(page);
  await checkAccessibility(page, 'signed-out-after-sign-out');
  // Signed out means signed out: the account page now sends the browser to sign in.
  await page.goto(`${BASE}/account`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  expectNoProblems(page);
});

test('signing in needs the password and a fresh code; a used code is refused', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', ADMIN);
  await page.fill('#password', PASSWORD);
  await submit(page);
  await checkAccessibility(page, 'verify');
  const used = totp(adminKey, lastStep.get(adminKey));
  await page.fill('#code', used);
  await submit(page);
  assert.match(await errorSummary(page), /already been used|not right/);
  await page.fill('#code', await code(adminKey));
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/cases');
  await page.goto(`${BASE}/account/sessions`);
  assert.equal(await page.locator('tbody tr').count(), 1);
  await checkAccessibility(page, 'sessions');
  await signOut(page);
  expectNoProblems(page);
});

test('a forgotten password: link by email, the authenticator code, then a new password', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/sign-in`);
  await submit(page, 'a:text("Forgotten your password?")');
  await checkAccessibility(page, 'forgot-password');
  await page.fill('#email', 'not an email');
  await submit(page);
  await errorSummary(page);
  assert.equal(await page.inputValue('#email'), 'not an email');
  await page.fill('#email', ADMIN);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/forgot-password/sent');
  await checkAccessibility(page, 'forgot-password-sent');

  // An unknown address gets exactly the same answer (and no email).
  const other = await openPage(browser);
  await other.goto(`${BASE}/forgot-password`);
  await other.fill('#email', `nobody.${run}@example.com`);
  await submit(other);
  assert.equal(new URL(other.url()).pathname, '/forgot-password/sent');
  assert.equal(await other.locator('main').textContent(), await page.locator('main').textContent());

  const link = linkIn(await email(page, ADMIN, 'password_reset'), '/reset-password');
  await page.goto(link);
  await checkAccessibility(page, 'reset-confirm');
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/sign-in/verify', 'the second factor comes first');
  await page.fill('#code', await code(adminKey));
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account/set-up/password');
  await page.fill('#password', NEW_PASSWORD);
  await page.fill('#password-confirm', NEW_PASSWORD);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account');
  await page.locator('.govuk-notification-banner--success').waitFor();
  await signOut(page);

  await page.goto(link);
  assert.match(await page.locator('h1').textContent(), /already been used/i);
  await signIn(page, ADMIN, NEW_PASSWORD, adminKey);
  assert.equal(new URL(page.url()).pathname, '/cases');
  await signOut(page);
  expectNoProblems(page);
});

test('the change-password page needs the current password and checks the new one', async () => {
  const page = await openPage(browser);
  await signIn(page, ADMIN, NEW_PASSWORD, adminKey);
  await page.goto(`${BASE}/account`);
  await submit(page, 'a:text("Change your password")');
  await page.fill('#current-password', 'wrong password here');
  await page.fill('#password', PASSWORD);
  await page.fill('#password-confirm', PASSWORD);
  await submit(page);
  assert.match(await errorSummary(page), /current password is not right/);
  await checkAccessibility(page, 'change-password-errors');
  await page.fill('#current-password', NEW_PASSWORD);
  await page.fill('#password', PASSWORD);
  await page.fill('#password-confirm', PASSWORD);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account');
  await signOut(page);
  expectNoProblems(page);
});

test('a deregistered user cannot sign in, and is told why and what to do', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/sign-in`);
  await page.fill('#email', 'dormant@smith-solicitors.example');
  await page.fill('#password', DEMO_PASSWORD);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  assert.match(await page.locator('main').textContent(), /not used for 90 days.*administrator/);
  await checkAccessibility(page, 'sign-in-deregistered');
  expectNoProblems(page);
});

test('passkeys: set up at activation, sign in with the passkey alone, add one later, use one as the second factor', async () => {
  const page = await openPage(browser);
  await virtualAuthenticator(page);
  // Cai activates with a passkey instead of an authenticator app.
  await page.goto(linkIn(await email(page, CLERK, 'activation'), '/activate'));
  await submit(page);
  await page.fill('#password', PASSWORD);
  await page.fill('#password-confirm', PASSWORD);
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/account/set-up/authenticator');
  await hydrated(page);
  await page.fill('#passkey-name', 'Work phone');
  await Promise.all([page.waitForURL(/\/account\/set-up\/done$/), page.click('#passkey-register')]);
  await page.goto(`${BASE}/account`);
  assert.match(await page.locator('#passkeys').textContent(), /Work phone/);
  await checkAccessibility(page, 'account-with-passkey');
  await signOut(page);

  // The passkey alone signs in: no email, password or code.
  await page.goto(`${BASE}/sign-in`);
  await hydrated(page);
  await checkAccessibility(page, 'sign-in-hydrated');
  await Promise.all([page.waitForURL(/\/cases$/), page.click('#passkey-sign-in')]);
  await page.goto(`${BASE}/account`);
  assert.match(await page.locator('main').textContent(), new RegExp(CLERK.replace(/\./g, '\\.')));
  await signOut(page);
  expectNoProblems(page);

  // Ada adds a passkey from her account page, then uses it after her password.
  const ada = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await virtualAuthenticator(ada);
  await signIn(ada, ADMIN, PASSWORD, adminKey);
  await ada.goto(`${BASE}/account`);
  await hydrated(ada);
  // Changing how she signs in needs her password again first.
  assert.equal(await ada.locator('#passkey-register').count(), 0);
  await ada.click('a:has-text("Confirm it is you")');
  await ada.fill('#password', PASSWORD);
  await submit(ada);
  assert.equal(new URL(ada.url()).pathname, '/account');
  await hydrated(ada);
  await ada.fill('#passkey-name', 'Tablet');
  await Promise.all([ada.waitForURL(/passkey=added/), ada.click('#passkey-register')]);
  await ada.locator('.govuk-notification-banner--success').waitFor();
  assert.match(await ada.locator('#passkeys').textContent(), /Tablet/);
  await signOut(ada);
  await ada.goto(`${BASE}/sign-in`);
  await ada.fill('#email', ADMIN);
  await ada.fill('#password', PASSWORD);
  await submit(ada);
  await hydrated(ada);
  await checkAccessibility(ada, 'verify-with-passkey');
  await Promise.all([ada.waitForURL(/\/cases$/), ada.click('#passkey-verify')]);
  await signOut(ada);
  expectNoProblems(ada);
});

test('repeated wrong passwords for one email are throttled, whoever the email belongs to', async () => {
  const page = await openPage(browser);
  for (const target of [CLERK, `nobody.${run}@example.com`]) {
    let text = '';
    for (let i = 0; i < 6; i++) {
      await page.goto(`${BASE}/sign-in`);
      await page.fill('#email', target);
      await page.fill('#password', `wrong guess ${i}`);
      await submit(page);
      text = await page.locator('main').textContent();
    }
    assert.match(text, /Too many attempts|wait/i, `throttled for ${target}`);
  }
  await checkAccessibility(page, 'sign-in-throttled');
  // Another account from the same address still signs in (offices share one address).
  await signIn(page, ADMIN, PASSWORD, adminKey);
  assert.equal(new URL(page.url()).pathname, '/cases');
  await signOut(page);
  expectNoProblems(page);
});

test('the time-out warning: a dialog two minutes before, "stay signed in" keeps what was typed', async () => {
  const page = await openPage(browser);
  await page.clock.install();
  await signIn(page, ADMIN, PASSWORD, adminKey);
  await page.goto(`${BASE}/organisation/users/add`);
  await hydrated(page);
  await page.fill('#first_name', 'Typed before the warning');
  const dialog = page.locator('dialog.app-timeout');
  assert.equal(await dialog.isVisible(), false);
  await page.clock.fastForward('28:00');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.textContent(), /about to be signed out.*2 minutes/s);
  assert.equal(await page.evaluate(() => document.activeElement?.closest('dialog') !== null), true, 'focus moves into the dialog');
  await checkAccessibility(page, 'timeout-warning');
  await page.click('#timeout-stay');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.inputValue('#first_name'), 'Typed before the warning', 'nothing typed is lost');
  // Escape also means "stay signed in".
  await page.clock.fastForward('28:00');
  await dialog.waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  // Nobody answers: signed out, and told why.
  await page.clock.fastForward('31:00');
  await page.waitForURL(/\/signed-out\?reason=timeout$/);
  assert.match(await page.locator('main').textContent(), /had not used the service for 30 minutes/);
  await page.goto(`${BASE}/account`);
  assert.equal(new URL(page.url()).pathname, '/sign-in', 'the session ended on the server too');
  expectNoProblems(page);
});

test('Welsh: signing in, the code and a forgotten password, on a tablet', async () => {
  const page = await openPage(browser, { viewport: TABLET, locale: 'cy-GB', hasTouch: true });
  await page.goto(`${BASE}/sign-in?lang=cy`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'cy');
  await submit(page);
  const summary = await errorSummary(page);
  assert.match(summary, /Rhowch eich cyfeiriad e-bost/);
  await checkAccessibility(page, 'sign-in-errors-cy');
  await page.fill('#email', ADMIN);
  await page.fill('#password', PASSWORD);
  await submit(page);
  await checkAccessibility(page, 'verify-cy');
  await page.fill('#code', await code(adminKey));
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/cases');
  assert.match(await page.locator('h1').textContent(), /achosion/i);
  await checkAccessibility(page, 'cases-cy');
  await page.goto(`${BASE}/account`);
  assert.match(await page.locator('h1').textContent(), /cyfrif/i);
  await checkAccessibility(page, 'account-cy');
  await signOut(page);
  await page.goto(`${BASE}/forgot-password`);
  assert.match(await page.locator('h1').textContent(), /Ailosod eich cyfrinair/);
  await checkAccessibility(page, 'forgot-password-cy');
  expectNoProblems(page);
});
