// Passkey ceremonies (WebAuthn) for the sign-in and enrolment pages. A static file: the
// Content Security Policy allows no inline script. The server makes the options and checks
// the answers; this only converts between JSON (base64url) and the browser's ArrayBuffers.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]');

  function fromB64url(value) {
    const b64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function post(url, body) {
    const headers = { Accept: "application/json" };
    if (csrf && csrf.content) headers["X-CSRF-Token"] = csrf.content;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.detail || "refused (" + res.status + ")");
    return data;
  }

  function descriptors(list) {
    return (list || []).map((c) => Object.assign({}, c, { id: fromB64url(c.id) }));
  }

  function showError(message) {
    const box = document.getElementById("passkey-error");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  async function signIn(button) {
    const options = await post("/sign-in/passkey/options");
    options.challenge = fromB64url(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    const cred = await navigator.credentials.get({ publicKey: options });
    const answer = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        authenticatorData: toB64url(cred.response.authenticatorData),
        signature: toB64url(cred.response.signature),
        userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null,
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
    const next = encodeURIComponent(button.dataset.next || "/recordings");
    const done = await post("/sign-in/passkey?next=" + next, answer);
    window.location.assign(done.next);
  }

  async function register(button) {
    const options = await post("/account/passkeys/options");
    options.challenge = fromB64url(options.challenge);
    options.user.id = fromB64url(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    const cred = await navigator.credentials.create({ publicKey: options });
    const answer = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        attestationObject: toB64url(cred.response.attestationObject),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
    const nameInput = document.getElementById("passkey-name");
    const next = encodeURIComponent(button.dataset.next || "/account");
    const done = await post("/account/passkeys?next=" + next, {
      credential: answer,
      name: nameInput ? nameInput.value : "Passkey",
    });
    window.location.assign(done.next);
  }

  function wire(id, action) {
    const button = document.getElementById(id);
    if (!button) return;
    button.addEventListener("click", function () {
      button.disabled = true;
      action(button).catch(function (err) {
        showError(err.message || String(err));
        button.disabled = false;
      });
    });
  }

  wire("passkey-sign-in", signIn);
  wire("passkey-register", register);
})();
