// Organisation settings end to end, as a firm's administrator uses them: add a user who then
// activates, change their roles, remove them while they are signed in (their next request is
// refused), and find the organisation cannot lose its last administrator. Also the details form,
// the users table's filters with and without JavaScript, the audit trail and its CSV, and the
// pages in Welsh on a tablet. axe-core checks every page on the way.
//
// The demo firm "Smith & Co Solicitors" has one administrator (admin@smith-solicitors.example)
// and a plain user (caseworker@…); "Jones Chambers" is another organisation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, launch, openPage, hydrated, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';
import { DEMO_PASSWORD, DEMO_KEY, code, submit, signIn, signOut, email, linkIn, errorSummary } from '../journeys.mjs';

const ADMIN = 'admin@smith-solicitors.example';
const CASEWORKER = 'caseworker@smith-solicitors.example';
const OTHER_ADMIN = 'clerk@jones-chambers.example';
const run = Date.now().toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
const JOINER = `rhys.${run}@smith-solicitors.example`;
const PASSWORD = 'lantern orchard pebble 9';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/// The administrator's page, signed in once for the whole file (each sign-in needs a fresh
/// authenticator code, and codes change every 30 seconds).
let adminPage;
async function asAdmin() {
  if (!adminPage) {
    adminPage = await openPage(browser);
    await signIn(adminPage, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  }
  return adminPage;
}

const path = (page) => new URL(page.url()).pathname;

async function success(page) {
  const banner = page.locator('.govuk-notification-banner--success');
  await banner.waitFor();
  return banner.textContent();
}

/// The id of a user, from the link in the users table.
async function userLink(page, name) {
  await page.goto(`${BASE}/organisation/users?q=${encodeURIComponent(name)}`);
  const href = await page.locator(`#users a:has-text("${name}")`).first().getAttribute('href');
  return `${BASE}${href}`;
}

test('only administrators reach organisation settings', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE}/organisation`);
  assert.equal(path(page), '/sign-in', 'signed out: sign in first');
  await signIn(page, CASEWORKER, DEMO_PASSWORD, DEMO_KEY);
  const res = await page.goto(`${BASE}/organisation/users`);
  assert.equal(res.status(), 404, 'a user who is not an administrator is told it does not exist');
  assert.match(await page.locator('h1').textContent(), /Page not found/);
  await checkAccessibility(page, 'organisation-not-found');
  assert.equal(await page.locator('.govuk-service-navigation a:has-text("Organisation")').count(), 0);
  // A form post is refused the same way, whatever it carries.
  const status = await page.evaluate(async () => (await fetch('/organisation/user', {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=x&action=remove&confirm=yes',
  })).status);
  assert.equal(status, 404);
  await signOut(page);
});

test('the administrator sees and changes the organisation details; errors keep what was typed', async () => {
  const page = await asAdmin();
  await page.click('.govuk-service-navigation a:has-text("Organisation")');
  assert.equal(path(page), '/organisation');
  assert.match(await page.locator('#details').textContent(), /Smith & Co Solicitors/);
  assert.match(await page.locator('#accountable').textContent(), /Sam Smith/);
  await checkAccessibility(page, 'organisation');

  await page.click('#details a:has-text("Change"):near(:text("Postcode"))');
  assert.equal(path(page), '/organisation/details');
  assert.equal(await page.inputValue('#postcode'), 'CF10 1AA');
  await page.fill('#postcode', 'not a postcode');
  await page.fill('#sra', '');
  await page.fill('#laa', '');
  await submit(page);
  const summary = await errorSummary(page);
  assert.match(summary, /postcode/i);
  assert.match(summary, /LAA account number, SRA number or Bar number|at least one/i);
  assert.equal(await page.inputValue('#postcode'), 'not a postcode', 'what was typed is kept');
  await checkAccessibility(page, 'organisation-details-errors');
  await page.fill('#postcode', 'cf10 2bb');
  await page.fill('#sra', '612345');
  await submit(page);
  assert.equal(path(page), '/organisation');
  assert.match(await success(page), /saved/i);
  assert.match(await page.locator('#details').textContent(), /CF10 2BB/);
  expectNoProblems(page);
});

test('an administrator adds a user, who activates from the emailed link', async () => {
  const page = await asAdmin();
  await page.goto(`${BASE}/organisation/users`);
  await checkAccessibility(page, 'organisation-users');
  await page.click('a.govuk-button:has-text("Add a user")');
  assert.equal(path(page), '/organisation/users/add');
  await page.uncheck('#roles');
  await page.uncheck('input[name=roles][value=user]');
  await page.fill('#email', 'not-an-email');
  await submit(page, 'main button.govuk-button');
  const summary = await errorSummary(page);
  for (const m of [/first name/i, /last name/i, /email/i, /at least one role/i]) assert.match(summary, m);
  await checkAccessibility(page, 'add-user-errors');
  await page.fill('#first_name', 'Rhys');
  await page.fill('#last_name', `Evans ${run}`);
  await page.fill('#email', OTHER_ADMIN);
  await page.check('input[name=roles][value=user]');
  await submit(page, 'main button.govuk-button');
  assert.match(await errorSummary(page), /another organisation/i, 'an account elsewhere is not taken over');
  assert.equal(await page.inputValue('#first_name'), 'Rhys');
  await page.fill('#email', JOINER);
  await submit(page, 'main button.govuk-button');
  assert.equal(path(page), '/organisation/user');
  assert.match(await success(page), /emailed them a link/i);
  assert.match(await page.locator('#user-details').textContent(), /Invited/);
  await checkAccessibility(page, 'organisation-user-invited');

  // Rhys activates: password, then an authenticator app.
  const rhys = await openPage(browser);
  await rhys.goto(linkIn(await email(rhys, JOINER, 'activation'), '/activate'));
  await submit(rhys);
  await rhys.fill('#password', PASSWORD);
  await rhys.fill('#password-confirm', PASSWORD);
  await submit(rhys);
  assert.equal(path(rhys), '/account/set-up/authenticator');
  await rhys.click('summary:has-text("scan")');
  const key = (await rhys.locator('#secret-key code').textContent()).replace(/\s/g, '');
  await rhys.fill('#code', await code(key));
  await submit(rhys);
  assert.equal(path(rhys), '/account/set-up/done');
  await rhys.close();

  // The administrator now sees Rhys as active, with an authenticator app.
  await page.goto(await userLink(page, `Evans ${run}`));
  const details = await page.locator('#user-details').textContent();
  assert.match(details, /Active/);
  assert.match(details, /Authenticator app/);
  expectNoProblems(page);
  joinerKey = key;
});

let joinerKey;

test('the users table filters without JavaScript, and live once the page is hydrated', async () => {
  const plain = await openPage(browser, { javaScript: false });
  await signIn(plain, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await plain.goto(`${BASE}/organisation/users`);
  await plain.fill('#q', 'patel');
  await plain.click('button:has-text("Apply filters")');
  assert.match(plain.url(), /q=patel/);
  assert.equal(await plain.locator('#users tbody tr').count(), 1);
  await plain.selectOption('#status', 'deregistered');
  await plain.fill('#q', '');
  await plain.click('button:has-text("Apply filters")');
  assert.match(await plain.locator('#users').textContent(), /Morgan/);
  assert.doesNotMatch(await plain.locator('#users').textContent(), /Patel/);
  await plain.close();

  const page = await asAdmin();
  await page.goto(`${BASE}/organisation/users`);
  await hydrated(page);
  const all = await page.locator('#users tbody tr').count();
  assert.ok(all >= 4, `${all} users`);
  await page.fill('#q', 'morgan');
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr').length === 1);
  assert.match(await page.locator('.app-results-count').textContent(), /Showing 1 user\b/);
  assert.match(page.url(), /q=morgan/, 'the address keeps the search');
  await page.fill('#q', '');
  await page.selectOption('#role', 'administrator');
  await page.waitForFunction(() => document.querySelectorAll('#users tbody tr').length === 1);
  assert.match(await page.locator('#users').textContent(), /Sam Smith/);
  await checkAccessibility(page, 'organisation-users-filtered');
  expectNoProblems(page);
});

test('an administrator changes a user’s roles', async () => {
  const page = await asAdmin();
  await page.goto(await userLink(page, `Evans ${run}`));
  await page.uncheck('input[name=roles][value=user]');
  await submit(page, '#roles-form button');
  assert.match(await errorSummary(page), /at least one role/i);
  await checkAccessibility(page, 'roles-error');
  await page.check('input[name=roles][value=advocate]');
  await page.check('input[name=roles][value=user]');
  await submit(page, '#roles-form button');
  assert.match(await success(page), /Roles saved/);
  assert.match(await page.locator('#user-details').textContent(), /Advocate, User/);
  expectNoProblems(page);
});

test('a removed user’s open session is refused at its next request', async () => {
  // Rhys is signed in on a tablet.
  const rhys = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await signIn(rhys, JOINER, PASSWORD, joinerKey);
  assert.equal(path(rhys), '/cases');

  const page = await asAdmin();
  const user = await userLink(page, `Evans ${run}`);
  await page.goto(user);
  await page.click('a.govuk-button--warning:has-text("Remove user")');
  assert.equal(path(page), '/organisation/user/confirm');
  assert.match(await page.locator('main').textContent(), /signed out at once/);
  await checkAccessibility(page, 'remove-confirm');
  await submit(page, 'main button.govuk-button--warning');
  assert.match(await success(page), /User removed/);
  assert.match(await page.locator('#user-details').textContent(), /Removed/);

  // Rhys's next request finds the session gone, and signing in again is refused.
  await rhys.goto(`${BASE}/account`);
  assert.equal(path(rhys), '/sign-in');
  await rhys.fill('#email', JOINER);
  await rhys.fill('#password', PASSWORD);
  await submit(rhys);
  assert.equal(path(rhys), '/sign-in');
  assert.match(await rhys.locator('.govuk-error-summary').textContent(), /locked|cannot|removed/i);

  // The audit trail shows the removal, and exports as CSV.
  await page.goto(`${BASE}/organisation/audit?action=user`);
  assert.match(await page.locator('#audit').textContent(), /User removed/);
  await checkAccessibility(page, 'organisation-audit');
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.locator('a:has-text("CSV")').getAttribute('href'));
  assert.match(csv, /^\uFEFF?sequence,time_utc/);
  assert.match(csv, /user\.removed/);
  expectNoProblems(page);
  expectNoProblems(rhys);
});

test('the last administrator cannot be removed, and is told why', async () => {
  const page = await asAdmin();
  await page.goto(await userLink(page, 'Sam Smith'));
  await page.click('a.govuk-button--warning:has-text("Remove user")');
  await submit(page, 'main button.govuk-button--warning');
  assert.match(await errorSummary(page), /at least one active administrator/);
  // The page shown with the error keeps the user's roles ticked.
  assert.ok(await page.isChecked('#roles-form input[value=administrator]'));
  await checkAccessibility(page, 'last-admin-error');
  // And nothing changed.
  await page.goto(await userLink(page, 'Sam Smith'));
  assert.match(await page.locator('#user-details').textContent(), /Active/);
  expectNoProblems(page);
});

test('users are added from a spreadsheet: every problem by line, then all or nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'users-'));
  const bad = join(dir, 'bad.csv');
  const good = join(dir, 'good.csv');
  writeFileSync(bad, `user_first_name,user_last_name,user_email,user_roles\nAled,Jones ${run},aled.${run}@smith-solicitors.example,advocate\n,Price,not-an-email,boss\nGwen,Jones,${OTHER_ADMIN},user\n`);
  writeFileSync(good, `user_first_name,user_last_name,user_email,user_roles\nAled,Jones ${run},aled.${run}@smith-solicitors.example,advocate;user\nBeca,Lloyd ${run},beca.${run}@smith-solicitors.example,user\n`);
  const page = await asAdmin();
  await page.goto(`${BASE}/organisation/users`);
  await page.click('a:has-text("Add users from a spreadsheet")');
  await checkAccessibility(page, 'import-users');
  await submit(page, 'main form[enctype] button');
  assert.match(await errorSummary(page), /Choose a CSV file/);
  await page.setInputFiles('#csv', bad);
  await submit(page, 'main form[enctype] button');
  const problems = await page.locator('#import-problems').textContent();
  assert.match(problems, /3.*first name/is);
  assert.match(problems, /another organisation|administrator, advocate, user/);
  await checkAccessibility(page, 'import-users-problems');
  await page.goto(`${BASE}/organisation/users?q=${run}`);
  assert.doesNotMatch(await page.locator('#users').textContent(), /Aled/, 'nothing was added');

  await page.goto(`${BASE}/organisation/users/import`);
  await page.setInputFiles('#csv', good);
  await submit(page, 'main form[enctype] button');
  assert.equal(await page.locator('#import-preview tbody tr').count(), 2);
  await submit(page, 'button:has-text("Add 2 users")');
  assert.equal(path(page), '/organisation/users');
  assert.match(await success(page), /2 users added/);
  assert.match(await email(page, `beca.${run}@smith-solicitors.example`, 'activation'), /activate/);
  expectNoProblems(page);
});

test('the accountable person is transferred when the new one confirms; HMCTS is told of a merger', async () => {
  const page = await asAdmin();
  await page.goto(`${BASE}/organisation`);
  await page.click('#accountable a:has-text("Change")');
  assert.equal(path(page), '/organisation/accountable');
  await submit(page, 'main form button.govuk-button');
  assert.match(await errorSummary(page), /Select the new accountable person/);
  await checkAccessibility(page, 'accountable-choose');
  await page.check('label:has-text("Priya Patel") >> xpath=preceding-sibling::input');
  await submit(page, 'main form button.govuk-button');
  assert.match(await success(page), /emailed the new accountable person/);
  assert.match(await page.locator('#pending-transfer').textContent(), /Priya Patel/);

  // Tell HMCTS: errors first, then a merger.
  await page.click('a:has-text("Tell HMCTS about a closure or merger")');
  await submit(page, 'main form button.govuk-button');
  const summary = await errorSummary(page);
  assert.match(summary, /closing or merging/);
  assert.match(summary, /date it takes effect/);
  await checkAccessibility(page, 'tell-hmcts-errors');
  await page.check('#kind-merge');
  await page.fill('#date-day', '31');
  await page.fill('#date-month', '1');
  await page.fill('#date-year', '2027');
  await submit(page, 'main form button.govuk-button');
  assert.match(await errorSummary(page), /organisation it is merging with/);
  assert.equal(await page.inputValue('#date-day'), '31', 'what was typed is kept');
  await page.fill('#merge_with', 'Jones Chambers');
  await submit(page, 'main form button.govuk-button');
  assert.match(await success(page), /Sent to HMCTS/);
  assert.match(await email(page, 'onboarding@hmcts.example', 'organisation_request'), /merging with Jones Chambers on 31 January 2027/);
  // HMCTS onboarding also sees it on their page.
  const staff = await openPage(browser);
  await signIn(staff, 'onboarding@hmcts.example', DEMO_PASSWORD, DEMO_KEY);
  await staff.goto(`${BASE}/onboarding`);
  assert.match(await staff.locator('#organisation-requests').textContent(), /Smith & Co Solicitors.*Merging with Jones Chambers on 31 January 2027/s);
  await checkAccessibility(staff, 'onboarding-requests');
  await signOut(staff);
  expectNoProblems(staff);

  // Priya confirms.
  const priya = await openPage(browser);
  await signIn(priya, CASEWORKER, DEMO_PASSWORD, DEMO_KEY);
  await priya.goto(`${BASE}/account`);
  await priya.click('#accountable-pending a');
  await checkAccessibility(priya, 'confirm-accountable');
  await submit(priya, 'main form button');
  assert.match(await errorSummary(priya), /phone/i);
  await priya.fill('#phone', '029 2000 1234');
  await submit(priya, 'main form button');
  assert.match(await success(priya), /You are now the accountable person/);
  await signOut(priya);

  await page.goto(`${BASE}/organisation`);
  assert.match(await page.locator('#accountable').textContent(), /Priya Patel.*029 2000 1234/s);
  await page.goto(`${BASE}/organisation/audit?action=organisation`);
  const audit = await page.locator('#audit').textContent();
  assert.match(audit, /Accountable person changed/);
  assert.match(audit, /Closure or merger sent to HMCTS/);
  expectNoProblems(page);
  expectNoProblems(priya);
});

test('invitations are sent again and cancelled; a deregistered user is reinstated; a user is signed out everywhere', async () => {
  const page = await asAdmin();
  const ifan = `ifan.${run}@smith-solicitors.example`;
  await page.goto(`${BASE}/organisation/users/add`);
  await page.fill('#first_name', 'Ifan');
  await page.fill('#last_name', `Rees ${run}`);
  await page.fill('#email', ifan);
  await submit(page, 'main button.govuk-button');
  const first = linkIn(await email(page, ifan, 'activation'), '/activate');
  await page.goto(await userLink(page, `Rees ${run}`));
  await submit(page, 'button:has-text("Send a new invitation")');
  assert.match(await success(page), /new invitation has been sent/);
  // Both emails are listed (sent within the same second, in either order): two different links.
  await page.goto(`${BASE}/dev/emails`);
  const texts = await page.locator(`section.app-email[data-to="${ifan}"][data-kind="activation"] pre`).allTextContents();
  const links = new Set(texts.map((t) => linkIn(t, '/activate')));
  assert.equal(links.size, 2);
  await page.goto(await userLink(page, `Rees ${run}`));
  const old = await openPage(browser);
  await old.goto(first);
  assert.match(await old.locator('h1').textContent(), /already been used/, 'the old link no longer works');
  assert.equal(await old.locator('main form').count(), 0);
  await old.close();
  await submit(page, 'button:has-text("Cancel invitation")');
  assert.equal(path(page), '/organisation/user/confirm');
  await submit(page, 'main button.govuk-button--warning');
  assert.match(await page.locator('#user-details').textContent(), /Removed/);

  // Dafydd was deregistered after 90 days unused: reinstated, and told.
  await page.goto(await userLink(page, 'Dafydd Morgan'));
  await submit(page, 'button:has-text("Reinstate")');
  assert.match(await success(page), /reinstated/);
  assert.match(await page.locator('#user-details').textContent(), /Active/);
  assert.match(await email(page, 'dormant@smith-solicitors.example', 'reinstated'), /reinstated your account/);

  // Priya is signed in; her administrator signs her out everywhere.
  const priya = await openPage(browser);
  await signIn(priya, CASEWORKER, DEMO_PASSWORD, DEMO_KEY);
  await page.goto(await userLink(page, 'Priya Patel'));
  await submit(page, 'button:has-text("Sign them out everywhere")');
  assert.match(await success(page), /signed out everywhere/);
  await priya.goto(`${BASE}/account`);
  assert.equal(path(priya), '/sign-in');
  expectNoProblems(page);
  expectNoProblems(priya);
});

test('Welsh on a tablet: the users table and a user’s page', async () => {
  const page = await openPage(browser, { viewport: TABLET, hasTouch: true, locale: 'cy' });
  await page.goto(`${BASE}/sign-in?lang=cy`);
  await signIn(page, ADMIN, DEMO_PASSWORD, DEMO_KEY);
  await page.goto(`${BASE}/organisation/users`);
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');
  assert.match(await page.locator('h1').textContent(), /Defnyddwyr/);
  await checkAccessibility(page, 'organisation-users-cy');
  await page.goto(await userLink(page, 'Priya Patel'));
  assert.match(await page.locator('#user-details').textContent(), /Gweithredol/);
  await checkAccessibility(page, 'organisation-user-cy');
  await signOut(page);
  expectNoProblems(page);
});
