// Lantern's service worker: the home-screen icon opens at once and says clearly when there is no connection.
// It keeps only the static shell (pages, styles, scripts, icons: the same files for everyone, with nothing
// about any pupil in them) and the offline page. It never touches /api/ (the data, sent with no-store) or
// the local-only /dev/ pages, and never a request that is not a plain GET.

const CACHE = "lantern-shell-v1";
const OFFLINE = "/offline.html";
// Pages wait this long for the network before the kept copy is shown (a slow school Wi-Fi still opens fast).
const NETWORK_WAIT_MS = 4000;

function isShell(url) {
  return (
    url.origin === self.location.origin &&
    !url.pathname.startsWith("/api/") &&
    !url.pathname.startsWith("/dev/") &&
    url.pathname !== "/sw.js"
  );
}

// The offline page and what it links to (its stylesheet and icon, whatever the build named them).
async function keepOfflinePage(cache) {
  const response = await fetch(OFFLINE, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${OFFLINE}: ${response.status}`);
  const text = await response.clone().text();
  await cache.put(OFFLINE, response);
  const links = [...text.matchAll(/(?:href|src)="(\/(?:css|icons|js)\/[^"]+)"/g)].map((match) => match[1]);
  await Promise.all(links.map((link) => cache.add(link).catch(() => undefined)));
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(keepOfflinePage)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// The build names scripts and styles by their content (js/api.0123456789.js): such a file never changes.
const FINGERPRINTED = /^(.+)\.[0-9a-f]{10}(\.[a-z]+)$/;

function keep(request, response) {
  // Only whole, successful, same-origin answers: never a redirect, an error page or a partial body.
  if (response.ok && response.status === 200 && response.type === "basic") {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy).then(() => forgetOlderBuilds(cache, request.url)));
  }
  return response;
}

// Keeping a new build of a file drops the earlier builds of it, so the cache holds one copy of each file.
async function forgetOlderBuilds(cache, url) {
  const named = FINGERPRINTED.exec(new URL(url).pathname);
  if (!named) return;
  for (const old of await cache.keys()) {
    const other = FINGERPRINTED.exec(new URL(old.url).pathname);
    if (other && other[1] === named[1] && other[2] === named[2] && old.url !== url) await cache.delete(old);
  }
}

// A page: the network first (so a new version is seen at once), the kept copy if the network is slow or
// gone, and the offline page if this page was never kept. Pages are kept without their query string and
// fragment, which may name an incident or a pupil.
async function page(request) {
  const url = new URL(request.url);
  const key = url.origin + url.pathname;
  const network = fetch(request).then((response) => {
    if (response.ok && response.type === "basic" && !response.redirected) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(key, copy));
    }
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
  } catch {
    // No connection: fall through to the kept copies.
  }
  const kept = await caches.match(key);
  if (kept) return kept;
  try {
    return await network;
  } catch {
    return (await caches.match(OFFLINE)) || Response.error();
  }
}

// Styles, scripts and icons: the kept copy at once; refreshed from the network for next time unless its name
// says it cannot have changed.
async function asset(request) {
  const kept = await caches.match(request);
  if (kept && FINGERPRINTED.test(new URL(request.url).pathname)) return kept;
  const fresh = fetch(request).then((response) => keep(request, response));
  if (kept) {
    fresh.catch(() => undefined);
    return kept;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!isShell(url)) return; // the API and anything elsewhere go straight to the network, untouched
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (/^\/(css|js|icons)\//.test(url.pathname) || url.pathname === "/manifest.webmanifest") {
    event.respondWith(asset(request));
  }
});
