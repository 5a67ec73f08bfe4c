// Keyboard for the review queue: j/k move between messages, 1/2/3 confirm or correct the focused one.
// Vendored with the app; the page's CSP allows scripts from 'self' only.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll(".row")); }
  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && el.type !== "checkbox");
  }
  function focusRow(index) {
    var all = rows();
    if (!all.length) { return; }
    var row = all[Math.max(0, Math.min(index, all.length - 1))];
    row.focus();
    row.scrollIntoView({block: "nearest"});
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var all = rows();
    var row = event.target.closest ? event.target.closest(".row") : null;
    var index = row ? all.indexOf(row) : -1;
    if (event.key === "j") { focusRow(index + 1); event.preventDefault(); return; }
    if (event.key === "k") { focusRow(index < 0 ? 0 : index - 1); event.preventDefault(); return; }
    if (row && (event.key === "1" || event.key === "2" || event.key === "3")) {
      var button = row.querySelector('button[data-key="' + event.key + '"]');
      if (button) { event.preventDefault(); button.click(); }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var match = /^#r(\d+)$/.exec(window.location.hash);
    if (match && rows().length) { focusRow(parseInt(match[1], 10)); }
  });
}());
