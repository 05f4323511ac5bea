// Loads the wasm bundle when the browser is idle, then hydrates each `<leptos-island>` on the page.
// Adapted from Leptos 0.8's island_script.js (MIT); the paths come from the build's manifest and
// `data-hydrated` on <html> tells styles and browser tests that the islands are live.
//
// Then navigation stays in the browser: a link or GET form to another page of the service
// fetches that page and swaps the body in, keeping the document (and the loaded wasm); the title
// and language change, focus moves to the new page's heading (or its error summary) so screen
// readers announce it, and Back and Forward work. Anything unusual — another site, a download,
// a new tab, a POST, a failed fetch, an answer that is not a page of ours — is an ordinary
// browser navigation, so every page still works as it does without JavaScript.
//
// A check-in form (data-checkin-form) is posted the same way, so that the page script for bad
// Wi-Fi (offline.js) can keep the check-in on the device when the post does not get through.
((js, wasm) => {
  const childCallbacks = [];
  let loaded = null;
  let swaps = 0;
  async function hydrateIsland(el, mod) {
    const islandFn = mod[el.dataset.component];
    if (!islandFn) {
      console.warn(`No wasm function for the island ${el.dataset.component}.`);
      return;
    }
    const cb = childCallbacks[childCallbacks.length - 1];
    if (cb) cb();
    const res = islandFn(el);
    if (res && res.then) await res;
  }
  async function traverse(node, mod) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = node.tagName.toLowerCase();
    if (tag === 'leptos-island') {
      await hydrateIsland(node, mod);
      for (const child of node.children) await traverse(child, mod);
    } else if (tag === 'leptos-children') {
      childCallbacks.push(node.$$on_hydrate);
      for (const child of node.children) await traverse(child, mod);
      childCallbacks.pop();
    } else {
      for (const child of node.children) await traverse(child, mod);
    }
  }
  const start = () => import(js).then(async (mod) => {
    await mod.default({ module_or_path: wasm });
    mod.hydrate();
    loaded = mod;
    window.__hydrateIsland = (el) => hydrateIsland(el, mod);
    // A page swapped in meanwhile has islands of its own: go round again.
    let seen;
    do {
      seen = swaps;
      await traverse(document.body, mod);
    } while (seen !== swaps);
    document.documentElement.dataset.hydrated = 'true';
  });
  if ('requestIdleCallback' in window) window.requestIdleCallback(start, { timeout: 1000 });
  else start();

  // Client-side navigation.
  if (!window.fetch || !window.DOMParser || !history.pushState) return;
  history.scrollRestoration = 'manual';
  const stylesheet = (doc) => doc.querySelector('link[rel=stylesheet]')?.getAttribute('href');
  // Our pages only: not bundle files, downloads (a file name with a dot) or development tools.
  const ours = (url) => url.origin === location.origin
    && !/^\/(pkg|assets|dev|api)\//.test(url.pathname)
    && !/\.[a-z0-9]+$/i.test(url.pathname);
  const remember = () => history.replaceState({ ...(history.state || {}), scroll: scrollY }, '');
  let latest = 0;
  // The page on show, without its #fragment: a Back or Forward between fragments of the same
  // page (the skip link, the error summary's links) is the browser's to scroll, not a fetch.
  const withoutHash = (href) => href.split('#')[0];
  let shown = withoutHash(location.href);
  // `post`: { body, signal } to post a form; then the answer is 'shown' (the page it led to is on
  // show, or another navigation overtook it) or 'failed' (it did not get through, or no answer in
  // time: it may or may not have arrived).
  async function navigate(url, push, scroll, post) {
    const id = ++latest;
    const started = performance.now();
    const html = document.documentElement;
    html.dataset.navigating = 'true';
    document.getElementById('main-content')?.setAttribute('aria-busy', 'true');
    const settle = () => {
      if (id !== latest) return;
      delete html.dataset.navigating;
      document.getElementById('main-content')?.removeAttribute('aria-busy');
    };
    // What cannot be shown here is shown by the browser: after a post, the page it was posted
    // from, afresh (the post is not sent twice).
    const fallBack = (res) => {
      if (id === latest) location.assign(post ? (res && res.url) || url.href : url.href);
      return 'shown';
    };
    let res, text;
    try {
      res = await fetch(url.href, post
        ? { method: 'POST', body: post.body, signal: post.signal, credentials: 'same-origin', headers: { Accept: 'text/html' } }
        : { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!(res.headers.get('content-type') || '').startsWith('text/html')) return fallBack(res);
      text = await res.text();
    } catch (_) {
      if (post) { settle(); return 'failed'; }
      return fallBack();
    }
    if (id !== latest) return 'shown';
    const doc = new DOMParser().parseFromString(text, 'text/html');
    const landed = new URL(res.url || url.href);
    if (!doc.getElementById('main-content') || stylesheet(doc) !== stylesheet(document)
      || landed.origin !== location.origin) return fallBack(res);
    landed.hash = url.hash;
    if (push) {
      remember();
      history.pushState({}, '', landed.href);
    } else if (landed.href !== location.href) {
      history.replaceState(history.state, '', landed.href);
    }
    document.title = doc.title;
    html.lang = doc.documentElement.lang;
    // A copy the service worker kept says so (offline.js).
    if (doc.documentElement.dataset.savedAt) html.dataset.savedAt = doc.documentElement.dataset.savedAt;
    else delete html.dataset.savedAt;
    document.body.replaceChildren(...doc.body.childNodes);
    // The islands that were busy are gone with the page they were on.
    delete html.dataset.busyMessage;
    shown = withoutHash(location.href);
    swaps++;
    html.dataset.navigated = 'pending';
    delete html.dataset.navigating;
    if (loaded) delete html.dataset.hydrated;
    // Focus: the error summary if the page has one, then the target of a #fragment, else the
    // heading; the view goes back to where it was (Back) or to the top.
    const target = doc.querySelector('.govuk-error-summary') ? document.querySelector('.govuk-error-summary')
      : (post && document.querySelector('.govuk-notification-banner--success'))
      || (url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1))))
      || document.querySelector('#main-content h1') || document.getElementById('main-content');
    if (target) {
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: true });
    }
    if (typeof scroll === 'number') scrollTo(0, scroll);
    else if (url.hash && target) target.scrollIntoView();
    else scrollTo(0, 0);
    requestAnimationFrame(() => {
      html.dataset.navigated = String(Math.round(performance.now() - started));
      document.dispatchEvent(new CustomEvent('app:navigated', { detail: { url: landed.href } }));
    });
    if (loaded) {
      await traverse(document.body, loaded);
      if (id === latest) html.dataset.hydrated = 'true';
    }
    return 'shown';
  }
  // An island with work on its way (files uploading) sets data-busy-message on <html>: leaving
  // the page then asks first, by our navigation or the browser's.
  const html0 = document.documentElement;
  const mayLeave = () => {
    const busy = html0.dataset.busyMessage;
    if (!busy) return true;
    if (!window.confirm(busy)) return false;
    delete html0.dataset.busyMessage;
    return true;
  };
  window.addEventListener('beforeunload', (e) => {
    if (html0.dataset.busyMessage) { e.preventDefault(); e.returnValue = ''; }
  });
  // For islands: go to one of our pages the way a link does.
  window.__navigate = (href, replace) => {
    const url = new URL(href, location.href);
    if (ours(url)) navigate(url, !replace, replace ? scrollY : undefined); else location.assign(url.href);
  };
  // For offline.js: post a form the way a link navigates.
  window.__post = (href, body, signal) => navigate(new URL(href, location.href), true, undefined, { body, signal });
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (!ours(url)) return;
    // A link within this page (the skip link, the error summary's links) is the browser's.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    e.preventDefault();
    if (!mayLeave()) return;
    navigate(url, true);
  });
  document.addEventListener('submit', (e) => {
    if (e.defaultPrevented) return;
    const form = e.target;
    const submitter = e.submitter;
    const method = ((submitter && submitter.getAttribute('formmethod')) || form.getAttribute('method') || 'get').toLowerCase();
    if (method !== 'get' || (form.target && form.target !== '_self')) return;
    const url = new URL((submitter && submitter.getAttribute('formaction')) || form.getAttribute('action') || location.href, location.href);
    if (!ours(url)) return;
    const data = new FormData(form, submitter || undefined);
    url.search = new URLSearchParams([...data].filter(([, v]) => typeof v === 'string')).toString();
    url.hash = '';
    e.preventDefault();
    if (!mayLeave()) return;
    navigate(url, true);
  });
  window.addEventListener('popstate', (e) => {
    if (withoutHash(location.href) === shown) return;
    navigate(new URL(location.href), false, (e.state && e.state.scroll) || 0);
  });
})
