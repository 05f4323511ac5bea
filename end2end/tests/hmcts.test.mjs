// HMCTS onboarding restores an organisation's administrator when it has none active: Jones
// Chambers' only administrator reports their sign-in details as disclosed (locked), so nobody at
// the chambers can manage its users. Onboarding sees the chambers listed, restores the
// administrator (a second, stale attempt is refused clearly), the administrator is emailed and,
// signing in, must choose a new password first; then manages the organisation again. In English
// and in Welsh, with axe-core on every page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openPage, checkAccessibility, expectNoProblems, TABLET } from '../lib.mjs';
import { DEMO_PASSWORD, DEMO_KEY, submit, signIn, signOut, email, errorSummary } from '../journeys.mjs';

const CLERK = 'clerk@jones-chambers.example';
const OFFICER = 'onboarding@hmcts.example';
const NEW_PASSWORD = 'lantern quarry autumn 61';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const path = (page) => new URL(page.url()).pathname;

test('HMCTS onboarding restores the locked only administrator of an organisation', async () => {
  // The clerk, Jones Chambers' only administrator, reports their details as disclosed.
  const clerk = await openPage(browser, { viewport: TABLET, hasTouch: true });
  await signIn(clerk, CLERK, DEMO_PASSWORD, DEMO_KEY);
  await clerk.goto(`${BASE}/account/report`);
  await submit(clerk, 'main button.govuk-button--warning');
  assert.equal(path(clerk), '/signed-out');

  // Onboarding sees the chambers among organisations with no active administrator.
  const officer = await openPage(browser);
  await signIn(officer, OFFICER, DEMO_PASSWORD, DEMO_KEY);
  await officer.goto(`${BASE}/onboarding`);
  const row = officer.locator('#stranded-administrators tr', { hasText: CLERK });
  assert.match(await row.textContent(), /Jones Chambers/);
  assert.match(await row.locator('.govuk-tag').textContent(), /Locked/);
  assert.match(await officer.locator('main').textContent(), /check with the organisation that they still work there/);
  await checkAccessibility(officer, 'onboarding-stranded');

  // The same list in Welsh.
  await officer.goto(`${BASE}/onboarding?lang=cy`);
  assert.match(await officer.locator('#stranded').textContent(), /Sefydliadau heb weinyddwr gweithredol/);
  assert.match(await officer.locator('#stranded-administrators tr', { hasText: CLERK }).textContent(), /Wedi’i gloi/);
  await checkAccessibility(officer, 'onboarding-stranded-cy');
  await officer.goto(`${BASE}/onboarding?lang=en`);

  // A second tab holds the same list; the first restores the clerk.
  const stale = await openPage(browser);
  await signIn(stale, OFFICER, DEMO_PASSWORD, DEMO_KEY);
  await stale.goto(`${BASE}/onboarding`);
  await submit(officer, `#stranded-administrators tr:has-text("${CLERK}") button`);
  assert.equal(path(officer), '/onboarding');
  assert.match(await officer.locator('.govuk-notification-banner--success').textContent(), /Access restored/);
  assert.equal(await officer.locator('#stranded-administrators tr', { hasText: CLERK }).count(), 0);

  // The stale tab's attempt is refused with a clear error, and the list is shown as it is now.
  await submit(stale, `#stranded-administrators tr:has-text("${CLERK}") button`);
  assert.match(await errorSummary(stale), /has an active administrator now/);
  assert.equal(await stale.locator('#stranded-administrators tr', { hasText: CLERK }).count(), 0);
  await checkAccessibility(stale, 'onboarding-restore-refused');

  // The clerk is emailed, and must choose a new password when signing in.
  const mail = await email(officer, CLERK, 'restored');
  assert.match(mail, /HMCTS onboarding has restored your account/);
  assert.match(mail, /choose a new password/);
  await signIn(clerk, CLERK, DEMO_PASSWORD, DEMO_KEY);
  assert.equal(path(clerk), '/account/change-password');
  await clerk.fill('#current-password', DEMO_PASSWORD);
  await clerk.fill('#password', NEW_PASSWORD);
  await clerk.fill('#password-confirm', NEW_PASSWORD);
  await submit(clerk);
  assert.equal(path(clerk), '/account');

  // The chambers can manage itself again; its trail shows who restored the clerk.
  await clerk.goto(`${BASE}/organisation/audit`);
  assert.equal(path(clerk), '/organisation/audit');
  assert.match(await clerk.locator('main').textContent(), /Administrator restored by HMCTS/);
  await checkAccessibility(clerk, 'organisation-audit-restored');
  await signOut(clerk);
  await signOut(officer);
  expectNoProblems(clerk);
  expectNoProblems(officer);
  expectNoProblems(stale);
});
