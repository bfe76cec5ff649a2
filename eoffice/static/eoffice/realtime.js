// Live notices: one websocket per tab, replay after any drop, nothing shown twice.
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.dataset.wsPath || !window.WebSocket) { return; }

  var lastSeq = parseInt(body.dataset.lastSeq || "0", 10);
  var seen = {};
  var socket = null;
  var delay = 1000;
  var pingTimer = null;
  var pongTimer = null;

  function bell(count) {
    var el = document.querySelector(".bell-count");
    if (!el) { return; }
    el.textContent = String(count);
    el.dataset.count = String(count);
  }

  function refreshUnread() {
    fetch(body.dataset.unreadUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { bell(data.unread); } })
      .catch(function () {});
  }

  function toast(noticeId) {
    var url = body.dataset.toastUrl.replace(/0\/toast\/$/, noticeId + "/toast/");
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var box = document.getElementById("toasts");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var el = holder.firstElementChild;
        box.appendChild(el);
        var close = el.querySelector(".toast-close");
        if (close) { close.addEventListener("click", function () { el.remove(); }); }
        setTimeout(function () { el.remove(); }, 15000);
      })
      .catch(function () {});
  }

  function refreshTodo() {
    // "Việc cần xử lý" is re-read in place: the new item appears without a reload.
    var todo = document.getElementById("todo");
    if (todo && window.htmx) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search,
                       { target: "#todo", swap: "innerHTML" });
    }
  }

  function onNotice(message) {
    if (seen[message.seq] || message.seq <= lastSeq) { return; }
    seen[message.seq] = true;
    lastSeq = message.seq;
    var el = document.querySelector(".bell-count");
    bell((el ? parseInt(el.textContent, 10) || 0 : 0) + 1);
    toast(message.id);
    refreshTodo();
    document.dispatchEvent(new CustomEvent("eoffice:notice", { detail: message }));
  }

  function onDocumentChange(message) {
    // The open document changed: re-read its history in place; a move of its state may
    // have changed what this user can do, so offer a reload rather than lose their typing.
    var panel = document.querySelector("[data-watch-document]");
    if (!panel || parseInt(panel.dataset.watchDocument, 10) !== message.document_id) { return; }
    if (window.htmx) {
      window.htmx.ajax("GET", panel.dataset.historyUrl, { target: "#history", swap: "innerHTML" });
    }
    if (message.change === "state") {
      var banner = document.getElementById("document-changed");
      if (banner) { banner.hidden = false; }
    }
  }

  function schedulePing() {
    clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
      socket.send(JSON.stringify({ type: "ping" }));
      clearTimeout(pongTimer);
      // A half-open connection answers nothing: drop it and reconnect.
      pongTimer = setTimeout(function () { socket.close(); }, 10000);
    }, 25000);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + body.dataset.wsPath);
    socket.addEventListener("open", function () {
      delay = 1000;
      body.dataset.live = "connected";
      // "watch" goes first: the server handles a socket's frames in order, so the "ready"
      // that answers "hello" also means that this page follows its document.
      var watched = document.querySelector("[data-watch-document]");
      if (watched) {
        socket.send(JSON.stringify({
          type: "watch", document_id: parseInt(watched.dataset.watchDocument, 10)
        }));
      }
      socket.send(JSON.stringify({ type: "hello", last_seq: lastSeq }));
      schedulePing();
    });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "notice") { onNotice(message); }
      else if (message.type === "message") {
        // A new chat message (ids only); messaging.js fetches what this user may see.
        document.dispatchEvent(new CustomEvent("eoffice:message", { detail: message }));
      }
      else if (message.type === "document") { onDocumentChange(message); }
      else if (message.type === "read") { refreshUnread(); }
      else if (message.type === "pong") { clearTimeout(pongTimer); }
      else if (message.type === "ready") { body.dataset.live = "ready"; }
    });
    socket.addEventListener("close", function (event) {
      body.dataset.live = "disconnected";
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      if (event.code === 4401 || event.code === 4001) { return; } // logged out: stay quiet
      var wait = delay + Math.floor(Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
      setTimeout(connect, wait);
    });
  }

  document.addEventListener("DOMContentLoaded", connect);
})();
