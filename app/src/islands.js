// Loads the wasm bundle when the browser is idle, then hydrates each `<leptos-island>` on the page.
// Adapted from Leptos 0.8's island_script.js (MIT); the paths come from the build's manifest and
// `data-hydrated` on <html> tells styles and browser tests that the islands are live.
((js, wasm) => {
  const childCallbacks = [];
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
    window.__hydrateIsland = (el) => hydrateIsland(el, mod);
    await traverse(document.body, mod);
    document.documentElement.dataset.hydrated = 'true';
  });
  if ('requestIdleCallback' in window) window.requestIdleCallback(start, { timeout: 1000 });
  else start();
})
