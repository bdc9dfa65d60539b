/* Operation form: live PEN preview (exact integer arithmetic, HALF_UP to the cent, like the server),
   default rate by type, and the client's accounts filtered by currency. The server recomputes and
   validates everything; this only helps the user see the result before saving. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // "1234.5" → 123450n with places=2; null when not a plain non-negative decimal or too many decimals.
  function toUnits(text, places) {
    text = String(text || "").trim().replace(/,/g, "");
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return null;
    var parts = text.split(".");
    var frac = parts[1] || "";
    if (frac.length > places) return null;
    while (frac.length < places) frac += "0";
    return BigInt((parts[0] || "0") + frac);
  }

  function formatUnits(units, places) {
    var s = units.toString();
    while (s.length <= places) s = "0" + s;
    var whole = s.slice(0, s.length - places).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return whole + "." + s.slice(s.length - places);
  }

  // USD (cents) × rate (1/10000) = 1e-6 units; HALF_UP to cents for a positive amount.
  function penCents(usdText, rateText) {
    var usd = toUnits(usdText, 2);
    var rate = toUnits(rateText, 4);
    if (usd === null || rate === null || usd <= 0n || rate <= 0n) return null;
    return (usd * rate + 5000n) / 10000n;
  }
  window.qcPenCents = penCents; // exposed for the browser test

  // The negotiated-rate guard, as the server applies it (operations/rate_guard.py): worse for the house
  // than the published rate by more than the tolerance, or a loss against the base rate.
  function guard(type, usdText, rateText, rates) {
    var rate = toUnits(rateText, 4);
    if (!rates || rate === null || rate <= 0n || (type !== "buy" && type !== "sell")) return null;
    var published = toUnits(type === "buy" ? rates.buy : rates.sell, 4);
    // The base rate is sent only to those who may see profit; without it the form's own check on
    // saving catches a loss, and no profit is shown.
    var base = rates.base === undefined ? null : toUnits(rates.base, 4);
    var tolerance = toUnits(rates.tolerance, 4);
    var worse = type === "buy" ? rate - published : published - rate;
    var spread = base === null ? 0n : type === "buy" ? base - rate : rate - base;
    if (!(worse > tolerance || spread < 0n)) return null;
    var usd = toUnits(usdText, 2);
    var profit = null;
    if (base !== null && usd !== null && usd > 0n) {
      var raw = usd * (spread < 0n ? -spread : spread); // 1e-6 units
      var cents = (raw + 5000n) / 10000n; // HALF_UP away from zero, like the server
      profit = (spread < 0n && cents > 0n ? "-" : "") + formatUnits(cents, 2);
    }
    return { published: formatUnits(published, 4), profit: profit, loss: spread < 0n };
  }
  window.qcRateGuard = guard; // exposed for the browser test

  function selectedType() {
    var checked = document.querySelector("input[name=type]:checked");
    if (checked) return checked.value;
    var select = document.querySelector("select[name=type]");
    return select ? select.value : null;
  }

  function setupAddForm(config) {
    var rates = readJSON("op-rates");
    var currencies = readJSON("op-currencies") || {};
    var amount = document.getElementById("id_amount_usd");
    var rate = document.getElementById("id_rate");
    var output = document.getElementById("op-pen-preview");
    var source = document.getElementById("id_source_account");
    var destination = document.getElementById("id_destination_account");
    var client = document.getElementById("id_client");
    var accounts = null;

    function effectiveRate() {
      if (rate && rate.value.trim()) return rate.value.trim();
      var type = selectedType();
      if (!rates || !type) return "";
      return type === "buy" ? rates.buy : rates.sell;
    }

    var warning = document.createElement("p");
    warning.className = "op-rate-warning";
    warning.id = "op-rate-warning";
    warning.setAttribute("role", "status");
    warning.hidden = true;
    if (output) output.insertAdjacentElement("afterend", warning);

    function updateWarning(r) {
      var found = guard(selectedType(), amount && amount.value, r, rates);
      warning.hidden = !found;
      if (!found) return;
      var side = selectedType() === "buy" ? config.dataset.guardBuy : config.dataset.guardSell;
      warning.textContent = config.dataset.guardTitle + ": " + formatUnits(toUnits(r, 4), 4) + " · " + side + " " +
        found.published + (found.profit !== null ? " · " + config.dataset.guardProfit + " S/ " + found.profit : "") +
        ". " + config.dataset.guardNote;
    }

    function updatePreview() {
      var r = effectiveRate();
      updateWarning(r);
      if (rate) rate.placeholder = rates ? (selectedType() === "sell" ? rates.sell : rates.buy) : "";
      if (!output) return;
      var cents = penCents(amount && amount.value, r);
      if (cents === null) {
        output.textContent = "—";
        return;
      }
      output.textContent = "S/ " + formatUnits(cents, 2);
      var basis = document.createElement("span");
      basis.className = "op-preview-basis";
      basis.textContent = "US$ " + formatUnits(toUnits(amount.value, 2), 2) + " × " + formatUnits(toUnits(r, 4), 4);
      output.appendChild(basis);
    }

    function fill(select, currency, keep) {
      if (!select) return;
      var previous = keep || select.value;
      select.innerHTML = "";
      var list = (accounts || []).filter(function (a) { return a.currency === currency; });
      var first = document.createElement("option");
      first.value = "";
      first.textContent = accounts === null ? config.dataset.chooseClient
        : (list.length ? config.dataset.choose : config.dataset.noAccounts);
      select.appendChild(first);
      list.forEach(function (a) {
        var opt = document.createElement("option");
        opt.value = String(a.id);
        opt.textContent = a.label;
        select.appendChild(opt);
      });
      if (list.some(function (a) { return String(a.id) === previous; })) select.value = previous;
      else if (list.length === 1) select.value = String(list[0].id);
    }

    function refill(keepSource, keepDestination) {
      var flow = currencies[selectedType()] || {};
      fill(source, flow.source, keepSource);
      fill(destination, flow.destination, keepDestination);
    }

    function loadAccounts(keepSource, keepDestination) {
      var id = client && client.value;
      if (!id) {
        accounts = null;
        refill();
        return;
      }
      fetch(config.dataset.accountsUrl + "?client=" + encodeURIComponent(id), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) { accounts = data.accounts; refill(keepSource, keepDestination); })
        .catch(function () { accounts = []; refill(); });
    }

    ["input", "change"].forEach(function (ev) {
      if (amount) amount.addEventListener(ev, updatePreview);
      if (rate) rate.addEventListener(ev, updatePreview);
    });
    document.querySelectorAll("input[name=type], select[name=type]").forEach(function (el) {
      el.addEventListener("change", function () { updatePreview(); refill(); });
    });
    // The client field is a select2 autocomplete: it reports changes through jQuery events.
    if (client && window.django && window.django.jQuery) {
      window.django.jQuery(client).on("change", function () { loadAccounts(); });
    } else if (client) {
      client.addEventListener("change", function () { loadAccounts(); });
    }
    loadAccounts(source && source.value, destination && destination.value);
    updatePreview();
  }

  function setupChangeForm(preview) {
    var amount = document.getElementById("id_amount_usd");
    if (!amount) return;
    var out = document.createElement("output");
    out.className = "op-preview-inline";
    out.id = "op-pen-preview";
    out.setAttribute("aria-live", "polite");
    amount.insertAdjacentElement("afterend", out);
    function update() {
      var cents = penCents(amount.value, preview.rate);
      out.textContent = cents === null ? "" : "→ S/ " + formatUnits(cents, 2);
    }
    amount.addEventListener("input", update);
    update();
  }

  ready(function () {
    var config = document.getElementById("op-form-config");
    if (config) setupAddForm(config);
    var preview = readJSON("op-preview-config");
    if (preview) setupChangeForm(preview);
  });
})();
