// Check-ins on bad court Wi-Fi (docs/hearings.md, "Bad Wi-Fi"), part of every page's bootstrap.
//  - On the home page with Today, it registers the service worker (/sw.js) that keeps the day's
//    list and the hearing pages on the device, and shows when a page is such a copy.
//  - A check-in form (data-checkin-form) is posted by fetch; when the post does not get through
//    (offline, or no answer in time) the check-in is kept on this device (localStorage), shown as
//    waiting to send, and sent when the connection is back: on the `online` event, on every page,
//    and every half minute while any wait. What the server says then is shown: sent, or not sent
//    and why (the hearing ended meanwhile, say), from the error summary of the page it answered.
//  - Check-ins wait for the account that made them (the sign-out form's data-account) and are
//    sent only while it is signed in; signing out with some waiting asks first, then forgets them.
//    A page showing no one signed in deletes the saved pages.
(() => {
  const KEY = 'caseaccess.checkins';
  const PAGES = 'caseaccess-pages';
  const TIMEOUT_MS = 15000;
  const html = document.documentElement;
  const account = () => document.querySelector('form[data-account]')?.dataset.account || '';
  const text = (name) => document.querySelector(`#app-queue-texts [data-text="${name}"]`)?.textContent || '';
  const fill = (t, values) => t.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const load = () => {
    try {
      const q = JSON.parse(localStorage.getItem(KEY) || '[]');
      return Array.isArray(q) ? q : [];
    } catch (_) { return []; }
  };
  const save = (q) => {
    try { localStorage.setItem(KEY, JSON.stringify(q)); } catch (_) { /* full or forbidden: nothing to keep it in */ }
  };
  const mine = () => load().filter((e) => e.account === account());
  const hearingOf = (action) => (action.match(/^\/hearings\/([0-9a-f-]+)$/) || [])[1] || '';
  const timeout = () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), TIMEOUT_MS);
    return c.signal;
  };

  // "9:05am" (Welsh "9:05yb"), London time, as the server writes times (app::clock).
  const clock = (t) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' })
      .formatToParts(t).map((p) => [p.type, p.value]));
    const h = Number(parts.hour);
    const half = h < 12 ? (html.lang === 'cy' ? 'yb' : 'am') : (html.lang === 'cy' ? 'yh' : 'pm');
    return `${h % 12 || 12}:${parts.minute}${half}`;
  };

  // What is waiting, sent or refused, in the region at the top of the page; the Today item of a
  // hearing with a check-in waiting says so, and offers no second one.
  function render() {
    const region = document.getElementById('app-queue');
    if (!region) return;
    const q = mine();
    const offline = navigator.onLine === false || html.dataset.savedAt;
    region.replaceChildren();
    if (offline) {
      const p = document.createElement('p');
      p.className = 'govuk-inset-text app-queue__offline';
      p.id = 'app-offline';
      const at = html.dataset.savedAt && new Date(html.dataset.savedAt);
      p.textContent = at && !isNaN(at)
        ? fill(text('offline-copy'), { time: clock(at) })
        : text('offline');
      region.append(p);
    }
    for (const li of document.querySelectorAll('li[data-hearing]')) {
      const waiting = q.some((e) => e.state === 'waiting' && e.hearing === li.dataset.hearing);
      li.querySelector('.app-queue__tag')?.remove();
      for (const f of li.querySelectorAll('form[data-checkin-form], a.govuk-button')) f.hidden = waiting;
      if (waiting) {
        const tag = document.createElement('strong');
        tag.className = 'govuk-tag govuk-tag--yellow app-queue__tag';
        tag.textContent = text('tag');
        li.querySelector('a.govuk-link')?.after(' ', tag);
      }
    }
    if (!q.length) return;
    const box = document.createElement('div');
    box.className = 'govuk-notification-banner app-queue__banner';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-labelledby', 'app-queue-title');
    box.tabIndex = -1;
    box.id = 'app-queue-banner';
    const head = document.createElement('div');
    head.className = 'govuk-notification-banner__header';
    const title = document.createElement('h2');
    title.className = 'govuk-notification-banner__title';
    title.id = 'app-queue-title';
    title.textContent = text('title');
    head.append(title);
    const body = document.createElement('div');
    body.className = 'govuk-notification-banner__content';
    const list = document.createElement('ul');
    list.className = 'govuk-list app-queue__list';
    for (const e of q) {
      const li = document.createElement('li');
      li.dataset.state = e.state;
      const what = e.label || e.action;
      const line = e.state === 'sent' ? fill(text('sent'), { what })
        : e.state === 'failed' ? fill(text('failed'), { what, reason: e.reason || '' })
          : fill(text(e.signIn ? 'sign-in' : 'waiting'), { what });
      li.append(line.trim());
      if (e.state !== 'waiting') {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0 govuk-!-margin-left-2 app-queue__dismiss';
        b.textContent = text('dismiss');
        const hidden = document.createElement('span');
        hidden.className = 'govuk-visually-hidden';
        hidden.textContent = `: ${what}`;
        b.append(hidden);
        b.addEventListener('click', () => { save(load().filter((x) => x.id !== e.id)); render(); });
        li.append(' ', b);
      }
      list.append(li);
    }
    body.append(list);
    if (q.some((e) => e.state === 'waiting')) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0';
      b.id = 'app-queue-retry';
      b.textContent = text('retry');
      b.addEventListener('click', () => replay());
      body.append(b);
    }
    box.append(head, body);
    region.append(box);
  }

  function enqueue(form, fields) {
    const action = new URL(form.getAttribute('action') || location.href, location.href).pathname;
    const hearing = hearingOf(action);
    const kind = (fields.find(([k]) => k === 'action') || [])[1] || 'check_in';
    // A later change to the same hearing's check-in replaces one still waiting.
    const q = load().filter((e) => !(e.account === account() && e.state === 'waiting' && e.hearing === hearing && e.kind === kind));
    q.push({
      id: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
      account: account(),
      action,
      hearing,
      kind,
      fields,
      label: form.dataset.checkinLabel || '',
      at: new Date().toISOString(),
      state: 'waiting',
    });
    save(q);
    render();
    const banner = document.getElementById('app-queue-banner');
    if (banner) { banner.focus({ preventScroll: true }); banner.scrollIntoView({ block: 'nearest' }); }
    ensureTimer();
  }

  let sending = false;
  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (e.defaultPrevented || !form.matches || !form.matches('form[data-checkin-form]') || !window.__post || !account()) return;
    e.preventDefault();
    if (sending) return;
    const fields = [...new FormData(form, e.submitter || undefined)].filter(([, v]) => typeof v === 'string');
    if (navigator.onLine === false) { enqueue(form, fields); return; }
    sending = true;
    try {
      const shown = await window.__post(form.getAttribute('action') || location.href, new URLSearchParams(fields), timeout());
      if (shown === 'failed') enqueue(form, fields);
    } finally {
      sending = false;
    }
  });

  // Signing out with check-ins waiting: ask, then forget them (and the saved pages).
  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (e.defaultPrevented || !form.matches || !form.matches('form[action="/sign-out"]')) return;
    const me = account() || form.dataset.account;
    if (load().some((x) => x.account === me && x.state === 'waiting') && !window.confirm(text('sign-out'))) {
      e.preventDefault();
      return;
    }
    save(load().filter((x) => x.account !== me));
    if (window.caches) caches.delete(PAGES);
  });

  // The reason a page gives for not doing it: its error summary's messages.
  function reason(page, status) {
    const doc = new DOMParser().parseFromString(page, 'text/html');
    const items = [...doc.querySelectorAll('.govuk-error-summary__list li')].map((li) => li.textContent.trim()).filter(Boolean);
    if (items.length) return items.join('. ').replace(/\.\./g, '.') + '.';
    if (status === 404) return text('gone');
    return doc.querySelector('.govuk-error-summary__body')?.textContent.trim() || doc.querySelector('h1')?.textContent.trim() || '';
  }

  async function send() {
    let sent = 0;
    for (const entry of mine().filter((x) => x.state === 'waiting')) {
      let res, page;
      try {
        res = await fetch(entry.action, {
          method: 'POST',
          body: new URLSearchParams(entry.fields),
          credentials: 'same-origin',
          headers: { Accept: 'text/html' },
          signal: timeout(),
        });
        page = await res.text();
      } catch (_) {
        break; // still not through: the next try
      }
      const landed = new URL(res.url || entry.action, location.href);
      let outcome;
      if (res.redirected && landed.searchParams.has('checkin')) outcome = { state: 'sent' };
      else if (res.redirected && landed.pathname.startsWith('/sign-in')) outcome = { state: 'waiting', signIn: true };
      else if (res.status >= 500 || res.status === 429 || res.status === 408) break;
      else outcome = { state: 'failed', reason: reason(page, res.status) };
      save(load().map((x) => (x.id === entry.id ? { ...x, ...outcome, done: new Date().toISOString() } : x)));
      if (outcome.state === 'sent') sent++;
      if (outcome.signIn) break;
    }
    return sent;
  }

  let replaying = false;
  async function replay() {
    if (replaying || !account() || !mine().some((x) => x.state === 'waiting')) return;
    replaying = true;
    let sent = 0;
    try {
      // One tab at a time sends them.
      sent = navigator.locks ? await navigator.locks.request('caseaccess-checkins', send) : await send();
    } finally {
      replaying = false;
    }
    render();
    // The page shows the check-ins the server now has.
    if (sent && (location.pathname === '/cases' || hearingOf(location.pathname)) && window.__navigate) {
      window.__navigate(location.href, true);
    }
  }

  let timer = null;
  function ensureTimer() {
    if (timer || !mine().some((x) => x.state === 'waiting')) return;
    timer = setInterval(() => {
      if (!mine().some((x) => x.state === 'waiting')) { clearInterval(timer); timer = null; return; }
      if (navigator.onLine !== false) replay();
    }, 30000);
  }

  function tidy() {
    // Sent and refused ones stay until dismissed, for a day at most.
    const day = Date.now() - 24 * 3600 * 1000;
    const q = load();
    const kept = q.filter((x) => x.state === 'waiting' || Date.parse(x.done || x.at) > day);
    if (kept.length !== q.length) save(kept);
  }

  // A page the worker did not save as it came (it came before the worker took charge) is
  // saved now: the worker fetches it again.
  async function ensureSaved(reg, shownAt) {
    if (html.dataset.savedAt || !reg.active || !window.caches) return;
    const hit = await caches.match(location.origin + location.pathname);
    const at = hit && Date.parse(hit.headers.get('x-saved-at') || '');
    if (!at || at < shownAt - 10000) reg.active.postMessage({ type: 'save', href: location.href });
  }

  function page() {
    const shownAt = Date.now();
    if (!account()) {
      // Signed out meanwhile (a page swapped in shows no one): forget the kept pages.
      if (window.caches) caches.delete(PAGES).catch(() => {});
      return;
    }
    tidy();
    render();
    if ((document.getElementById('today') || document.querySelector('form[data-checkin-form]')) && 'serviceWorker' in navigator) {
      navigator.serviceWorker.register('/sw.js', { scope: '/' })
        .then(() => navigator.serviceWorker.ready)
        .then((reg) => ensureSaved(reg, shownAt))
        .catch(() => {});
    }
    if (navigator.onLine !== false) replay();
    ensureTimer();
  }

  window.addEventListener('online', () => { render(); replay(); });
  window.addEventListener('offline', render);
  window.addEventListener('storage', (e) => { if (e.key === KEY) render(); });
  document.addEventListener('app:navigated', page);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', page);
  else page();
})();
