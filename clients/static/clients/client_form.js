// Client form: show the natural-person or the company fields according to the document type.
"use strict";
(function () {
  function toggle() {
    var select = document.getElementById("id_document_type");
    if (!select) { return; }
    var company = select.value === "RUC";
    document.querySelectorAll("fieldset.client-person").forEach(function (el) { el.hidden = company; });
    document.querySelectorAll("fieldset.client-company").forEach(function (el) { el.hidden = !company; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_document_type");
    if (select) {
      select.addEventListener("change", toggle);
      toggle();
    }
  });
})();
