// Review queue: save labels without leaving the page (toast with "Hoàn tác"), keyboard (j/k move,
// 1/2/3 label the focused message, u undoes), and the live queue (polls a small JSON endpoint:
// new messages appear, a new urgent tip raises a banner, vibration and a short sound, and the tab
// title carries the number of urgent tips waiting). Vendored with the app: the CSP allows 'self' only.
(function () {
  "use strict";
  var TOAST_MS = 8000;
  var toastTimer = null;
  var lastUndo = null;
  var baseTitle = document.title.replace(/^\(\d+\) /, "");

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

  function showToast(text, undo, isError) {
    var toast = document.getElementById("toast");
    if (!toast) { return; }
    document.getElementById("toast-text").textContent = text;
    var button = document.getElementById("toast-undo");
    lastUndo = undo || null;
    button.hidden = !undo;
    toast.classList.toggle("error", !!isError);
    toast.hidden = false;
    if (toastTimer) { clearTimeout(toastTimer); }
    toastTimer = setTimeout(function () { toast.hidden = true; lastUndo = null; }, TOAST_MS);
  }

  function csrf() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function post(url, data) {
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {"Accept": "application/json"}}).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      return json ? response.json() : {message: "Chưa lưu được (lỗi " + response.status + "). Hãy tải lại trang."};
    });
  }

  function setUrgentCount(count) {
    document.title = (count > 0 ? "(" + count + ") " : "") + baseTitle;
    document.body.setAttribute("data-urgent", String(count));
  }

  // Label from a queue item: save in the background, take the item off the list, offer undo.
  function submitLabel(form, button) {
    var data = new FormData(form);
    data.append(button.name, button.value);
    var row = form.closest(".row");
    var index = rows().indexOf(row);
    if (row) { row.classList.add("leaving"); }
    post(form.action, data).then(function (answer) {
      if (!answer.saved) {
        if (row) { row.classList.remove("leaving"); }
        showToast(answer.message || "Chưa lưu được.", null, true);
        return;
      }
      if (row && row.parentNode && document.querySelector(".queue")) {
        var unreviewed = !/[?&]status=(all|reviewed)/.test(window.location.search);
        if (unreviewed || row.classList.contains("waiting")) { row.parentNode.removeChild(row); }
        else { row.classList.remove("leaving"); }
      }
      if (answer.acknowledged) {
        setUrgentCount(Math.max(0, parseInt(document.body.getAttribute("data-urgent") || "0", 10) - 1));
      }
      focusRow(index);
      showToast(answer.message, {url: answer.undo_url, correction: answer.correction_id});
    }).catch(function () {
      if (row) { row.classList.remove("leaving"); }
      showToast("Mất kết nối: chưa lưu. Hãy thử lại.", null, true);
    });
  }

  function undo() {
    var target = lastUndo;
    if (!target) { return; }
    var data = new FormData();
    data.append("csrf_token", csrf());
    data.append("correction_id", String(target.correction));
    lastUndo = null;
    document.getElementById("toast-undo").hidden = true;
    post(target.url, data).then(function (answer) {
      showToast(answer.message || "Không hoàn tác được.", null, !answer.undone);
      if (answer.undone) { refresh(); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("correct") || !window.fetch) { return; }
    var button = event.submitter;
    if (!button || button.name !== "label") { return; }
    event.preventDefault();
    submitLabel(form, button);
  });

  document.addEventListener("click", function (event) {
    if (event.target.id === "toast-undo") {
      undo();
    } else if (event.target.id === "live-reload") {
      window.location.reload();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var all = rows();
    var row = event.target.closest ? event.target.closest(".row") : null;
    var index = row ? all.indexOf(row) : -1;
    if (event.key === "j") { focusRow(index + 1); event.preventDefault(); return; }
    if (event.key === "k") { focusRow(index < 0 ? 0 : index - 1); event.preventDefault(); return; }
    if (event.key === "u" && lastUndo) { undo(); event.preventDefault(); return; }
    if (row && (event.key === "1" || event.key === "2" || event.key === "3")) {
      var button = row.querySelector('button[data-key="' + event.key + '"]');
      if (button) { event.preventDefault(); button.click(); }
    }
  });

  // --- live queue --------------------------------------------------------------------------------
  function busy() {
    var active = document.activeElement;
    return typing(active) || !!document.querySelector(".row .more[open]") || !!document.querySelector(".row.leaving");
  }

  // Replace the worklist and the queue with the server's current ones (rendered and redacted there).
  function refresh() {
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["urgent-section", "queue-section"].forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.parentNode.replaceChild(document.importNode(next, true), now); }
        });
        var messages = fresh.body.getAttribute("data-messages");
        if (messages) { document.body.setAttribute("data-messages", messages); }
      });
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    try {
      var context = new Context();
      var tone = context.createOscillator();
      var gain = context.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain);
      gain.connect(context.destination);
      tone.start();
      tone.stop(context.currentTime + 0.35);
    } catch (ignored) { /* the browser does not allow sound before a tap */ }
  }

  function showLive(text) {
    var banner = document.getElementById("live");
    if (!banner) { return; }
    document.getElementById("live-text").textContent = text;
    banner.hidden = false;
  }

  function alertUrgent(count) {
    showLive("Có tin khẩn mới! " + count + " tin khẩn đang chờ tiếp nhận.");
    if (navigator.vibrate) { navigator.vibrate([300, 150, 300]); }
    beep();
  }

  function poll() {
    var body = document.body;
    var url = body.getAttribute("data-updates");
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (response.ok && !json) { showLive("Phiên đăng nhập đã kết thúc: tải lại trang để đăng nhập và nhận tin mới."); }
        return response.ok && json ? response.json() : null;
      })
      .then(function (counts) {
        if (!counts) { return; }
        var known = parseInt(body.getAttribute("data-messages") || "0", 10);
        var urgent = parseInt(body.getAttribute("data-urgent") || "0", 10);
        if (counts.messages > known && counts.urgent_waiting > urgent) { alertUrgent(counts.urgent_waiting); }
        setUrgentCount(counts.urgent_waiting);
        if (counts.messages !== known) {
          if (busy()) {
            if (document.getElementById("live").hidden) { showLive("Có tin nhắn mới."); }
          } else {
            body.setAttribute("data-messages", String(counts.messages));
            refresh();
          }
        }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var match = /^#r(\d+)$/.exec(window.location.hash);
    if (match && rows().length) { focusRow(parseInt(match[1], 10)); }
    var filters = document.getElementById("filters");
    if (filters && window.matchMedia && window.matchMedia("(min-width: 700px)").matches) { filters.open = true; }
    var body = document.body;
    if (body.getAttribute("data-updates")) {
      setUrgentCount(parseInt(body.getAttribute("data-urgent") || "0", 10));
      var seconds = parseFloat(body.getAttribute("data-poll") || "10");
      setInterval(poll, Math.max(0.2, Math.min(seconds, 15)) * 1000);
    }
  });
}());
