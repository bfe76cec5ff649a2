// Live messaging: a new message appears in the open conversation, and the conversation
// list re-reads its unread counts. The socket (realtime.js) carries ids only; the message
// itself comes from a view that checks membership. Every page works without this file.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }

  function thread() { return document.getElementById("thread"); }

  function items(list) { return Array.prototype.slice.call(list.querySelectorAll(":scope > [data-seq]")); }

  function seqOf(el) { return parseInt(el.dataset.seq, 10) || 0; }

  function lastSeq(list) {
    var all = items(list);
    return all.length ? seqOf(all[all.length - 1]) : 0;
  }

  function markRead(list) {
    if (!list.dataset.live || document.visibilityState !== "visible") { return; }
    var seq = lastSeq(list);
    if (!seq || String(seq) === list.dataset.readSeq) { return; }
    list.dataset.readSeq = String(seq);
    var form = new FormData();
    form.append("seq", String(seq));
    fetch(list.dataset.readUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }, body: form
    }).catch(function () {});
  }

  // Keep one element per message, in message order (a push and the form's answer may race).
  function tidy(list) {
    var seen = {};
    items(list).forEach(function (el) {
      if (seen[el.dataset.messageId]) { el.remove(); } else { seen[el.dataset.messageId] = true; }
    });
    var all = items(list);
    var sorted = all.slice().sort(function (a, b) { return seqOf(a) - seqOf(b); });
    if (sorted.some(function (el, i) { return el !== all[i]; })) {
      sorted.forEach(function (el) { list.appendChild(el); });
    }
    var empty = document.getElementById("thread-empty");
    if (empty && all.length) { empty.remove(); }
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 200;
  }

  function showMessage(list, messageId) {
    if (list.querySelector(':scope > [data-message-id="' + messageId + '"]')) { return; }
    var url = list.dataset.fragmentUrl.replace(/\/m\/0\/$/, "/m/" + messageId + "/");
    var follow = nearBottom();
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("ol");
        holder.innerHTML = html;
        var el = holder.firstElementChild;
        if (!el || list.querySelector(':scope > [data-message-id="' + el.dataset.messageId + '"]')) { return; }
        list.appendChild(el);
        tidy(list);
        if (window.htmx) { window.htmx.process(el); }
        if (follow) { el.scrollIntoView({ block: "end" }); }
        markRead(list);
      })
      .catch(function () {});
  }

  var refreshTimer = null;
  function refreshList() {
    var box = document.getElementById("conversations");
    if (!box || !window.htmx) { return; }
    // A burst of messages costs one request.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      window.htmx.ajax("GET", box.dataset.refreshUrl, { target: "#conversations", swap: "innerHTML" });
    }, 300);
  }

  document.addEventListener("eoffice:message", function (event) {
    var detail = event.detail || {};
    var list = thread();
    if (list && list.dataset.live && String(detail.conversation_id) === list.dataset.conversationId) {
      showMessage(list, detail.message_id);
    }
    refreshList();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var list = thread();
    if (!list) { return; }
    tidy(list);
    var form = event.target && event.target.id === "message-form" ? event.target : null;
    if (form && !form.querySelector(".field-error, .form-error")) {
      var last = items(list).pop();
      if (last) { last.scrollIntoView({ block: "end" }); }
      var text = form.querySelector("textarea");
      if (text) { text.focus(); }
    }
  });

  document.addEventListener("visibilitychange", function () {
    var list = thread();
    if (list) { markRead(list); }
  });
})();
