/**
 * `/console/static/refresh.js`, served from our own origin so the pages keep their CSP (script-src 'self',
 * no inline script). It does three small things and needs nothing else to work: pages stay usable without it.
 * - Parts of a page marked `data-live` (with an id) are fetched again every `data-refresh` seconds of the
 *   body and swapped in place, unless the reader is typing in a form or the tab is hidden.
 * - `<time datetime>` gets the reader's local time as its `title` (hover).
 * - `[data-since]` counters tick every second (elapsed time of a call, of a ring).
 */
export const REFRESH_JS = `"use strict";
(function () {
  function pad(n) { return String(n).padStart(2, "0"); }
  function duration(s) { s = Math.max(0, Math.round(s)); return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + pad(s % 60) + " s"; }
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d.getTime())) t.title = d.toLocaleString() + " (your local time)";
    });
  }
  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = duration((Date.now() - since) / 1000);
    });
  }
  function typing() {
    var a = document.activeElement;
    return a && a.closest && a.closest("form") && (a.tagName === "TEXTAREA" || a.tagName === "INPUT" || a.tagName === "SELECT");
  }
  var refreshing = false;
  function refresh() {
    var live = document.querySelectorAll("[data-live][id]");
    if (!live.length || refreshing || document.hidden || typing()) return;
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", headers: { accept: "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        live.forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next) el.replaceWith(document.importNode(next, true));
        });
        localTimes(document);
        tick();
        document.body.setAttribute("data-refreshed", new Date().toISOString());
      })
      .catch(function () {})
      .finally(function () { refreshing = false; });
  }
  localTimes(document);
  tick();
  setInterval(tick, 1000);
  var every = Number(document.body.getAttribute("data-refresh") || 0);
  if (every > 0) setInterval(refresh, every * 1000);
})();
`;
