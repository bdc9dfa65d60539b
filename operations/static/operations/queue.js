/* Operator queue on the admin index: refreshes its rows every 30 s without reloading the page and
   signals operations that were not there before (row highlight, a message, the tab title, a beep).
   An operation crossing the SLA raises an alarm (a red banner and three beeps) once per operation and
   user: the ids already signalled are kept in localStorage, so a reload or a second tab stays quiet.
   The panel is shown to the assigned operator (his own rows) and to supervisors (all rows). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (e) {
      /* sound is optional (browsers may block it until the user interacts) */
    }
  }

  function alarmBeeps() {
    beep();
    window.setTimeout(beep, 400);
    window.setTimeout(beep, 800);
  }

  // {id, code} of rows over the SLA → the ones this user was never alarmed about (and remember them).
  function firstTimeOverSla(panel, sla) {
    var key = "qc-sla-alarmed:" + (panel.dataset.user || "");
    var seen;
    try { seen = JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { seen = []; }
    var fresh = sla.filter(function (r) { return seen.indexOf(r.id) === -1; });
    if (fresh.length) {
      // Only ids still over the SLA are kept: the list never grows past the queue's size.
      var keep = sla.map(function (r) { return r.id; });
      try { window.localStorage.setItem(key, JSON.stringify(keep)); } catch (e) { /* private mode */ }
    }
    return fresh;
  }

  function slaAlarm(panel, sla) {
    var box = panel.querySelector("[data-op-sla-alarm]");
    var fresh = firstTimeOverSla(panel, sla || []);
    if (!fresh.length || !box) return;
    box.textContent = "⚠ " + panel.dataset.slaTitle + ": " + fresh.map(function (r) { return r.code; }).join(", ");
    box.hidden = false;
    alarmBeeps();
  }
  window.qcFirstTimeOverSla = firstTimeOverSla; // exposed for the browser test

  ready(function () {
    var panel = document.querySelector("[data-op-queue]");
    if (!panel) return;
    var initialSla = document.getElementById("op-queue-sla");
    slaAlarm(panel, initialSla ? JSON.parse(initialSla.textContent) : []);
    var url = panel.dataset.refreshUrl;
    var every = (parseInt(panel.dataset.refreshSeconds, 10) || 30) * 1000;
    var rows = panel.querySelector("[data-op-queue-rows]");
    var count = panel.querySelector("[data-op-queue-count]");
    var status = panel.querySelector("[data-op-queue-status]");
    var alertBox = panel.querySelector("[data-op-queue-alert]");
    var known = new Set(JSON.parse(panel.dataset.ids || "[]"));
    var highlighted = new Set();
    var baseTitle = document.title;

    function clearSignal() {
      highlighted.clear();
      document.title = baseTitle;
      alertBox.hidden = true;
      rows.querySelectorAll(".op-new").forEach(function (tr) { tr.classList.remove("op-new"); });
    }

    function apply(data) {
      rows.innerHTML = data.html;
      var fresh = data.ids.filter(function (id) { return !known.has(id); });
      known = new Set(data.ids);
      fresh.forEach(function (id) { highlighted.add(id); });
      highlighted.forEach(function (id) {
        if (!known.has(id)) highlighted.delete(id);
      });
      highlighted.forEach(function (id) {
        var tr = rows.querySelector('[data-op-id="' + id + '"]');
        if (tr) tr.classList.add("op-new");
      });
      count.textContent = String(data.count);
      if (fresh.length) {
        var codes = fresh.map(function (id) {
          var a = rows.querySelector('[data-op-id="' + id + '"] a');
          return a ? a.textContent.trim() : "";
        }).filter(Boolean);
        alertBox.textContent = panel.dataset.newTitle + ": " + codes.join(", ");
        alertBox.hidden = false;
        document.title = "(" + highlighted.size + ") " + panel.dataset.newTitle + " · " + baseTitle;
        beep();
      }
      slaAlarm(panel, data.sla);
      var now = new Date();
      status.textContent = panel.dataset.updated + " " + now.toLocaleTimeString("es-PE");
    }

    function refresh() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(apply)
        .catch(function () { status.textContent = panel.dataset.failed; });
    }

    panel.qcRefresh = refresh; // lets a test trigger a refresh without waiting 30 s
    window.setInterval(refresh, every);
    window.addEventListener("focus", function () { if (highlighted.size) window.setTimeout(clearSignal, 5000); });
    panel.addEventListener("click", clearSignal);
    var alarm = panel.querySelector("[data-op-sla-alarm]");
    if (alarm) alarm.addEventListener("click", function () { alarm.hidden = true; });
  });
})();
