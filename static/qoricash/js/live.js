/* Pages that keep themselves up to date without a reload (no inline script: the page only carries
   data attributes, so a Content-Security-Policy without 'unsafe-inline' keeps working).

   - The index: every 30 s the live panels are fetched from data-live-panels (one JSON view that
     rebuilds each panel the user may see) and swapped in place; a panel that appears or disappears
     (a new warning, an empty list) is added or removed. Panels without data-live refresh themselves.
   - Any other block with data-live-url (the position page): its HTML is replaced by the view's
     {"html": ...}. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }

  function every(el, fn) {
    var seconds = parseInt(el.dataset.refreshSeconds, 10) || 30;
    el.qcRefresh = fn; // lets a test refresh without waiting
    window.setInterval(fn, seconds * 1000);
  }

  function setupPanels(box) {
    var url = box.dataset.livePanels;
    function apply(data) {
      var wanted = {};
      data.panels.forEach(function (p) { wanted[p.key] = p.html; });
      box.querySelectorAll("section[data-live]").forEach(function (section) {
        if (!(section.dataset.panel in wanted)) section.remove();
      });
      var previous = null;
      data.panels.forEach(function (p) {
        var section = box.querySelector('section[data-panel="' + CSS.escape(p.key) + '"]');
        if (!section) {
          section = document.createElement("section");
          section.className = "qc-panel";
          section.dataset.panel = p.key;
          section.dataset.live = "";
          if (previous && previous.nextSibling) box.insertBefore(section, previous.nextSibling);
          else if (previous) box.appendChild(section);
          else box.insertBefore(section, box.firstChild);
        }
        if (section.innerHTML !== p.html) section.innerHTML = p.html;
        previous = section;
      });
      box.hidden = !box.querySelector("section");
    }
    every(box, function () { return getJSON(url).then(apply).catch(function () {}); });
  }

  function setupBlock(block) {
    var url = block.dataset.liveUrl;
    var status = document.querySelector("[data-live-status]");
    every(block, function () {
      return getJSON(url)
        .then(function (data) {
          block.innerHTML = data.html;
          if (status) status.textContent = block.dataset.updated + " " + new Date().toLocaleTimeString("es-PE", { timeZone: "America/Lima" });
        })
        .catch(function () { if (status) status.textContent = block.dataset.failed; });
    });
  }

  ready(function () {
    document.querySelectorAll("[data-live-panels]").forEach(setupPanels);
    document.querySelectorAll("[data-live-url]").forEach(setupBlock);
  });
})();
