// Signing on the signer's own device (USB token or remote-signing service): the page hands
// the pending digest to a signing app integration and sends the value back; the server
// checks it against the certificate before adding it. Without this file, or without an
// integration, the form in the panel still works: the value is pasted.
//
// An integration (a same-origin script, EOFFICE_SIGNING_DEVICE_SCRIPT) registers one
// function; it receives the pending signature as the server gives it ({id, digest (base64),
// digest_algorithm, prehashed, algorithm, certificate_fingerprint, ...}) and returns (a
// promise of) the signature value in base64:
//   window.eofficeDeviceSigning.register(function (request) { return helper.signHash(request); });
// A script loaded before this one can wait for the "eoffice:device-signing-ready" event.
(function () {
  "use strict";
  var panel = document.querySelector("[data-device-signing]");
  if (!panel || !window.fetch) { return; }
  var url = panel.dataset.url;
  var status = panel.querySelector(".device-signing-status");
  var button = panel.querySelector(".device-signing-start");
  var signer = null;

  function csrfToken() {
    var field = panel.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function say(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("form-error", !!isError);
  }

  // The pending signature: the digest to sign and the certificate expected.
  function fetchPending() {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("pending signature: " + r.status); }
        return r.json();
      });
  }

  // Send the device's value back; resolves to {ok, message, redirect} or {ok: false, error}.
  function submitValue(id, value) {
    var form = new FormData();
    form.append("signature_id", String(id));
    form.append("value", String(value || ""));
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: form
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: panel.dataset.msgFailed }; });
    });
  }

  function run() {
    if (!signer) { return; }
    button.disabled = true;
    say(panel.dataset.msgWorking);
    fetchPending()
      .then(function (request) {
        return Promise.resolve(signer(request)).then(function (value) {
          return submitValue(request.id, value);
        });
      })
      .then(function (result) {
        if (result.ok) {
          say(result.message);
          window.location.assign(result.redirect || window.location.href);
        } else {
          say(result.error, true);
          button.disabled = false;
        }
      })
      .catch(function () {
        say(panel.dataset.msgFailed, true);
        button.disabled = false;
      });
  }

  window.eofficeDeviceSigning = {
    register: function (fn) {
      signer = fn;
      button.hidden = false;
    },
    fetchPending: fetchPending,
    submitValue: submitValue
  };
  button.addEventListener("click", run);
  document.dispatchEvent(new CustomEvent("eoffice:device-signing-ready", {
    detail: window.eofficeDeviceSigning
  }));
})();
