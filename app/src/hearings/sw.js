// The service worker that keeps a court day working on bad Wi-Fi (docs/hearings.md, "Bad Wi-Fi").
// Served at /sw.js with this build's bundle names filled in, so a new release is a new worker.
// Its scope is the whole site, but it answers only for:
//  - the bundle (/pkg/: hashed names, so from the cache first) and /assets/ (the same);
//  - the two pages a court day needs: the signed-in home with Today (/cases) and a hearing's
//    page (/hearings/{id}). The network first; the saved copy when the network fails, or is still
//    silent after a few seconds (the answer still updates the copy when it comes).
// Everything else goes to the network as though there were no worker. A saved page is kept only
// for the day it was saved (London time), and only while the server keeps answering with that
// page: a redirect (signed out) or a refusal deletes it, and the page script deletes them all
// whenever a page shows no one signed in.
const BUNDLE = __BUNDLE__;
const STATIC = 'caseaccess-static-' + __VERSION__;
const PAGES = 'caseaccess-pages';
const SLOW_MS = 4000;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(STATIC).then((c) => c.addAll(BUNDLE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys
      .filter((k) => k.startsWith('caseaccess-static-') && k !== STATIC)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

const london = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
const sameDay = (a, b) => london.format(a) === london.format(b);

// The pages worth saving: Today and a hearing, with nothing in the query but a banner's or the
// language's, saved under the bare address.
function pageKey(url) {
  if (url.origin !== self.location.origin) return null;
  if (url.pathname !== '/cases' && !/^\/hearings\/[0-9a-f-]{36}$/.test(url.pathname)) return null;
  for (const k of url.searchParams.keys()) if (k !== 'checkin' && k !== 'lang') return null;
  return url.origin + url.pathname;
}

async function fromCacheFirst(req) {
  const hit = await caches.match(req, { ignoreVary: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && res.type === 'basic') {
    const copy = res.clone();
    caches.open(STATIC).then((c) => c.put(req, copy)).catch(() => {});
  }
  return res;
}

// Keeps the network's answer for `key` if it is the page itself; forgets the copy if the server
// now answers with something else (signed out, gone, refused).
async function keep(key, res) {
  const cache = await caches.open(PAGES);
  const type = res.headers.get('content-type') || '';
  if (res.status === 200 && res.type === 'basic' && !res.redirected && type.startsWith('text/html')) {
    const headers = new Headers(res.headers);
    // The body is decoded already; the copy is stored as it will be read.
    headers.delete('content-encoding');
    headers.delete('content-length');
    headers.set('x-saved-at', new Date().toISOString());
    const body = await res.clone().arrayBuffer();
    await cache.put(key, new Response(body, { status: 200, headers }));
  } else if (res.type === 'opaqueredirect' || res.redirected || (res.status >= 400 && res.status < 500)) {
    await cache.delete(key);
  }
}

// The saved copy of `key`, if it is today's, marked with when it was saved so that the page can
// say it is a copy.
async function saved(key) {
  const hit = await caches.match(key);
  const at = hit && hit.headers.get('x-saved-at');
  if (!at || !sameDay(new Date(at), new Date())) return null;
  const text = await hit.text();
  return new Response(text.replace('<html ', `<html data-saved-at="${at}" `), {
    status: 200,
    headers: hit.headers,
  });
}

async function page(e, req, key) {
  const network = fetch(req).then(async (res) => {
    await keep(key, res).catch(() => {});
    return res;
  });
  e.waitUntil(network.catch(() => {}));
  try {
    return await Promise.race([
      network,
      new Promise((r) => setTimeout(r, SLOW_MS)).then(async () => (await saved(key)) || network),
    ]);
  } catch (err) {
    const copy = await saved(key);
    if (copy) return copy;
    throw err;
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/pkg/') || url.pathname.startsWith('/assets/')) {
    e.respondWith(fromCacheFirst(req));
    return;
  }
  const key = pageKey(url);
  if (key) e.respondWith(page(e, req, key));
});

// A page that was loaded before this worker took charge asks for itself to be saved.
self.addEventListener('message', (e) => {
  const data = e.data || {};
  if (data.type !== 'save' || typeof data.href !== 'string') return;
  const url = new URL(data.href, self.location.origin);
  const key = pageKey(url);
  if (!key) return;
  e.waitUntil(fetch(url.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    .then((res) => keep(key, res))
    .catch(() => {}));
});
