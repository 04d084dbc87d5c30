// The one classic (non-module) script, on every page: it runs even where ES modules cannot load.
// 1. Forms start disabled until their module has wired them up (forms.js markReady). If that never happens
//    (a module failed to download on a poor connection), say so plainly instead of leaving a dead form.
// 2. Register the service worker that keeps the static shell and the offline page (never any data).
(function () {
  "use strict";

  var NOT_LOADED =
    "This page did not finish loading, so it cannot be used yet. Check your connection, then reload the page. " +
    "Nothing you saved in this tab has been lost.";

  window.addEventListener("load", function () {
    var gates = document.querySelectorAll("form:not([data-ready]) [data-ready-gate][disabled]");
    if (!gates.length) return;
    var box = document.getElementById("page-error");
    if (!box) return;
    box.textContent = NOT_LOADED;
    box.hidden = false;
    box.focus();
  });

  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        // Without it Lantern still works; it just does not open offline.
      });
    });
  }
})();
