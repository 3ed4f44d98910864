// "Verify in my browser" on a public release page. A static file: the Content Security
// Policy allows no inline script. Every text shown comes from data-m-* attributes that the
// server rendered (and translated); this file holds no visitor-facing words.
//
// It makes the same checks as the Python verifier (packages/sunlight-verify: tlog.py,
// bundle.py, release.py), with the browser's own WebCrypto (Ed25519 and SHA-256):
//   1. the keys to trust come from the log's published key (/log/key) and witness list
//      (/log/witnesses), or from keys the visitor pastes; never from the bundle checked;
//   2. the proof bundle of the release (/api/public/releases/{id}/proof) is fetched;
//   3. each checkpoint (C2SP tlog-checkpoint) carries a valid Ed25519 signature by the log
//      key (C2SP signed-note) and names the bundle's origin;
//   4. it carries valid cosignatures (C2SP tlog-cosignature, cosignature/v1) from at least
//      the quorum of the trusted witness keys; a bad line from a trusted key is a failure;
//   5. the leaf hash is SHA-256(0x00 || entry), the entry is the ingest of the recording the
//      release names, and the RFC 9162 inclusion proof leads to the checkpoint's root;
//   6. the released video's bytes (/public/releases/{id}/media) hash, with SHA-256, to the
//      value the released copy's log entry names.
"use strict";
(function () {
  // The page's #verify section (null outside a browser: see the end of this file).
  let root = null;
  const SIG_ED25519 = 0x01;
  const SIG_COSIGNATURE_V1 = 0x04;
  const DASH = "\u2014 ";
  const encoder = new TextEncoder();

  // -- messages (translated server-side) --------------------------------------------------

  function msg(key, vars) {
    let text = (root && root.getAttribute("data-m-" + key)) || key;
    for (const [name, value] of Object.entries(vars || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  /** A failed check: ``key`` names a translated message. */
  class CheckFailed extends Error {
    constructor(key, vars) {
      super(msg(key, vars));
      this.key = key;
    }
  }

  function fail(key, vars) {
    throw new CheckFailed(key, vars);
  }

  // -- bytes ------------------------------------------------------------------------------

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function fromHex32(text, what) {
    if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) fail("bad-hex", { what });
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  /** Standard base64, canonical encoding only (as tlog.py's _b64decode_canonical). */
  function fromB64(text, what) {
    let bin;
    try {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error();
      bin = atob(text);
    } catch (e) {
      fail("bad-base64", { what });
    }
    if (btoa(bin) !== text) fail("bad-base64", { what });
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  // RFC 9162 section 2.1.1
  function leafHash(entry) {
    return sha256(concat(new Uint8Array([0]), entry));
  }

  function nodeHash(left, right) {
    return sha256(concat(new Uint8Array([1]), left, right));
  }

  // RFC 9162 section 2.1.3.2, as tlog.py's verify_inclusion. Sizes are JSON numbers:
  // exact up to 2^53, far beyond any log this archive keeps.
  async function verifyInclusion(leaf, index, size, proof, rootHash) {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0)
      fail("inclusion-bad");
    if (index >= size) fail("inclusion-bad");
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0) fail("inclusion-bad");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn !== 0 && fn % 2 === 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) fail("inclusion-bad");
    if (!equal(r, rootHash)) fail("inclusion-root");
  }

  // -- keys (c2sp.org/signed-note) ---------------------------------------------------------

  function validName(name) {
    return name !== "" && !name.includes("+") && !/[\s\u0000-\u001f]/u.test(name);
  }

  async function keyId(name, type, publicKey) {
    const material = concat(encoder.encode(name + "\n"), new Uint8Array([type]), publicKey);
    return (await sha256(material)).slice(0, 4);
  }

  /** ``name+hex8(key ID)+base64(type || key)``, checked as tlog.py's parse_verifier_key. */
  async function parseKey(vkey) {
    const first = vkey.indexOf("+");
    const second = vkey.indexOf("+", first + 1);
    if (first < 0 || second < 0) fail("bad-key", { key: vkey });
    const name = vkey.slice(0, first);
    const hexId = vkey.slice(first + 1, second);
    if (!validName(name) || !/^[0-9a-fA-F]{8}$/.test(hexId)) fail("bad-key", { key: vkey });
    const raw = fromB64(vkey.slice(second + 1), "key");
    if (raw.length !== 33 || (raw[0] !== SIG_ED25519 && raw[0] !== SIG_COSIGNATURE_V1))
      fail("bad-key", { key: vkey });
    const type = raw[0];
    const publicKey = raw.slice(1);
    const id = await keyId(name, type, publicKey);
    if (hex(id) !== hexId.toLowerCase()) fail("bad-key", { key: vkey });
    let cryptoKey;
    try {
      cryptoKey = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
        "verify",
      ]);
    } catch (e) {
      fail(e && e.name === "NotSupportedError" ? "no-ed25519" : "bad-key", { key: vkey });
    }
    return { vkey, name, id, type, cryptoKey };
  }

  async function ed25519(key, signature, message) {
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, key.cryptoKey, signature, message);
    } catch (e) {
      return false;
    }
  }

  // -- signed notes and checkpoints ---------------------------------------------------------

  /** Split a signed note into its text and signature lines (no signature checked yet). */
  function openNote(note) {
    if (typeof note !== "string" || /[\u0000-\u0009\u000b-\u001f]/.test(note))
      fail("bad-note");
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n") || split + 2 >= note.length) fail("bad-note");
    const text = note.slice(0, split + 1);
    const lines = note.slice(split + 2, -1).split("\n");
    if (lines.length > 100) fail("bad-note");
    const sigs = lines.map((line) => {
      if (!line.startsWith(DASH)) fail("bad-note");
      const rest = line.slice(DASH.length);
      const space = rest.indexOf(" ");
      const name = rest.slice(0, space);
      if (space < 0 || !validName(name)) fail("bad-note");
      const raw = fromB64(rest.slice(space + 1), "signature");
      if (raw.length < 5) fail("bad-note");
      return { name, id: raw.slice(0, 4), payload: raw.slice(4) };
    });
    return { text, bytes: encoder.encode(text), sigs };
  }

  function parseCheckpoint(text) {
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) fail("bad-checkpoint");
    const rootHash = fromB64(lines[2], "root hash");
    if (rootHash.length !== 32) fail("bad-checkpoint");
    return { origin: lines[0], size: Number(lines[1]), rootHash };
  }

  function signedBy(note, key) {
    return note.sigs.filter((s) => s.name === key.name && equal(s.id, key.id));
  }

  /** The log's Ed25519 signature over the note text (c2sp.org/signed-note). */
  async function checkLogSignature(note, logKey) {
    const sigs = signedBy(note, logKey);
    if (sigs.length === 0) fail("not-signed", { name: logKey.name });
    for (const s of sigs) {
      if (s.payload.length !== 64 || !(await ed25519(logKey, s.payload, note.bytes)))
        fail("bad-signature", { name: logKey.name });
    }
  }

  /** One witness's cosignature/v1 lines (c2sp.org/tlog-cosignature); its latest time. */
  async function checkCosignature(note, witness) {
    let time = null;
    for (const s of signedBy(note, witness)) {
      if (s.payload.length !== 8 + 64) fail("bad-cosignature", { name: witness.name });
      const view = new DataView(s.payload.buffer, s.payload.byteOffset, 8);
      const t = view.getBigUint64(0);
      if (t > 2n ** 63n - 1n) fail("bad-cosignature", { name: witness.name });
      const header = encoder.encode("cosignature/v1\ntime " + t.toString() + "\n");
      if (!(await ed25519(witness, s.payload.slice(8), concat(header, note.bytes))))
        fail("bad-cosignature", { name: witness.name });
      time = time === null || t > time ? t : time;
    }
    return time;
  }

  // -- fetching ------------------------------------------------------------------------------

  async function get(url, as) {
    let response;
    try {
      response = await fetch(url, { cache: "no-store", credentials: "omit" });
    } catch (e) {
      fail("fetch-failed", { url });
    }
    if (!response.ok) fail("fetch-status", { url, status: response.status });
    return as === "json" ? response.json() : response.text();
  }

  /** The whole body, with a progress message (WebCrypto cannot hash a stream). */
  async function download(url, onProgress) {
    let response;
    try {
      response = await fetch(url, { cache: "no-store", credentials: "omit" });
    } catch (e) {
      fail("fetch-failed", { url });
    }
    if (!response.ok) fail("fetch-status", { url, status: response.status });
    const total = Number(response.headers.get("Content-Length")) || 0;
    const reader = response.body.getReader();
    const chunks = [];
    let done = 0;
    let shown = 0;
    for (;;) {
      const part = await reader.read();
      if (part.done) break;
      chunks.push(part.value);
      done += part.value.length;
      if (done - shown >= 1 << 20 || done === total) {
        shown = done;
        onProgress(done, total);
      }
    }
    onProgress(done, total);
    return concat(...chunks);
  }

  // -- the steps -------------------------------------------------------------------------------

  const PASS = "pass";
  const FAIL = "fail";

  function stepElement(name) {
    return root.querySelector('[data-step="' + name + '"]');
  }

  function show(name, state, details) {
    const li = stepElement(name);
    li.setAttribute("data-state", state);
    const marks = { pass: "\u2713", fail: "\u2717", skipped: "\u2013" };
    li.querySelector(".verify-mark").textContent = marks[state] || "\u2026";
    li.querySelector(".verify-status").textContent = msg(state);
    const box = li.querySelector(".verify-detail");
    box.textContent = "";
    for (const line of details || []) {
      const p = document.createElement("p");
      if (typeof line === "string") {
        p.textContent = line;
      } else {
        p.textContent = line.text + " ";
        const code = document.createElement("code");
        code.textContent = line.code;
        p.appendChild(code);
      }
      box.appendChild(p);
    }
  }

  function pastedKeys() {
    const pasted = document.getElementById("verify-keys");
    const text = pasted ? pasted.value.trim() : "";
    return text ? text.split(/\s+/) : null;
  }

  /** One entry per distinct (name, key ID): a key listed twice counts once. */
  function distinct(keys) {
    const seen = new Set();
    return keys.filter((k) => {
      const slot = k.name + "+" + hex(k.id);
      if (seen.has(slot)) return false;
      seen.add(slot);
      return true;
    });
  }

  async function trustedKeys() {
    const own = pastedKeys();
    let logText;
    let witnessTexts;
    let quorum;
    if (own) {
      const parsed = await Promise.all(own.map(parseKey));
      const logs = parsed.filter((k) => k.type === SIG_ED25519);
      if (logs.length !== 1) fail("pasted-log-key");
      const witnesses = distinct(parsed.filter((k) => k.type === SIG_COSIGNATURE_V1));
      return { log: logs[0], witnesses, quorum: witnesses.length > 0 ? 1 : 0, own: true };
    }
    logText = (await get(root.dataset.keyUrl, "text")).trim();
    const published = await get(root.dataset.witnessesUrl, "json");
    witnessTexts = Array.isArray(published.witnesses) ? published.witnesses : [];
    quorum = Number.isSafeInteger(published.quorum) ? published.quorum : 1;
    const log = await parseKey(logText);
    if (log.type !== SIG_ED25519) fail("bad-key", { key: logText });
    const witnesses = distinct(await Promise.all(witnessTexts.map(parseKey)));
    if (witnesses.some((w) => w.type !== SIG_COSIGNATURE_V1)) fail("bad-key", { key: "" });
    return { log, witnesses, quorum, own: false };
  }

  function field(obj, key, kind) {
    const value = obj && typeof obj === "object" ? obj[key] : undefined;
    const ok =
      kind === "array"
        ? Array.isArray(value)
        : kind === "int"
          ? Number.isSafeInteger(value)
          : typeof value === kind && value !== null;
    if (!ok) fail("bad-bundle", { field: key });
    return value;
  }

  const PARTS = ["released", "original"];

  async function run(button, result) {
    button.disabled = true;
    result.textContent = msg("running");
    for (const li of root.querySelectorAll("[data-step]")) show(li.dataset.step, "pending");
    const failed = [];
    const ctx = {};

    async function step(name, fn) {
      show(name, "running");
      try {
        show(name, PASS, await fn());
        return true;
      } catch (e) {
        const text = e instanceof CheckFailed ? e.message : msg("error", { error: String(e) });
        show(name, FAIL, [text]);
        failed.push(name);
        return false;
      }
    }

    const steps = [
      [
        "keys",
        async () => {
          ctx.trust = await trustedKeys();
          const t = ctx.trust;
          ctx.need = Math.max(t.quorum, 1);
          if (t.witnesses.length < ctx.need)
            fail("too-few-witness-keys", { n: ctx.need, have: t.witnesses.length });
          return [
            t.own ? msg("keys-pasted") : msg("keys-published"),
            { text: msg("log-key"), code: t.log.vkey },
            ...t.witnesses.map((w) => ({ text: msg("witness-key"), code: w.vkey })),
          ];
        },
      ],
      [
        "bundle",
        async () => {
          ctx.proof = await get(root.dataset.proofUrl, "json");
          const release = field(ctx.proof, "release", "object");
          ctx.bundles = {};
          for (const part of PARTS) {
            const b = field(ctx.proof, part, "object");
            if (field(b, "format", "string") !== "sunlight-proof-bundle/v1")
              fail("bad-bundle", { field: "format" });
            const log = field(b, "log", "object");
            const leaf = field(b, "leaf", "object");
            const inclusion = field(b, "inclusion", "object");
            ctx.bundles[part] = {
              origin: field(log, "origin", "string"),
              quorum: field(log, "quorum", "int"),
              index: field(leaf, "index", "int"),
              leafHash: fromHex32(field(leaf, "hash", "string"), "leaf hash"),
              entry: field(leaf, "entry", "string"),
              size: field(inclusion, "size", "int"),
              proof: field(inclusion, "proof", "array").map((p) => fromHex32(p, "proof")),
              note: openNote(field(b, "checkpoint", "string")),
              recording: release[part + "_recording_id"],
            };
          }
          if (ctx.bundles.released.origin !== ctx.bundles.original.origin)
            fail("two-logs");
          for (const part of PARTS) {
            const b = ctx.bundles[part];
            b.checkpoint = parseCheckpoint(b.note.text);
          }
          // The bundle may ask for more cosignatures than published, never fewer.
          for (const part of PARTS)
            ctx.need = Math.max(ctx.need, ctx.bundles[part].quorum);
          return [msg("bundle-ok", { id: release.id })];
        },
      ],
      [
        "signature",
        async () => {
          const lines = [];
          for (const part of PARTS) {
            const b = ctx.bundles[part];
            if (b.checkpoint.origin !== b.origin || b.origin !== ctx.trust.log.name)
              fail("wrong-origin", { origin: b.checkpoint.origin, want: ctx.trust.log.name });
            await checkLogSignature(b.note, ctx.trust.log);
            lines.push(msg("signed-" + part, { size: b.checkpoint.size, name: b.origin }));
          }
          return lines;
        },
      ],
      [
        "witnesses",
        async () => {
          const lines = [];
          for (const part of PARTS) {
            const b = ctx.bundles[part];
            const cosigned = [];
            for (const w of ctx.trust.witnesses) {
              const time = await checkCosignature(b.note, w);
              if (time !== null) {
                cosigned.push(w);
                const when = new Date(Number(time) * 1000).toISOString();
                lines.push(msg("cosigned-" + part, { name: w.name, time: when }));
              }
            }
            if (cosigned.length < ctx.need)
              fail("too-few-cosignatures", { n: ctx.need, have: cosigned.length });
          }
          return lines;
        },
      ],
      [
        "inclusion",
        async () => {
          const lines = [];
          for (const part of PARTS) {
            const b = ctx.bundles[part];
            const entryBytes = encoder.encode(b.entry);
            if (!equal(await leafHash(entryBytes), b.leafHash)) fail("leaf-hash");
            let entry;
            try {
              entry = JSON.parse(b.entry);
            } catch (e) {
              fail("bad-entry");
            }
            const obj = entry && entry.object;
            if (
              !entry ||
              entry.action !== "ingest" ||
              !obj ||
              obj.type !== "recording" ||
              String(obj.id) !== String(b.recording)
            )
              fail("wrong-entry", { id: b.recording });
            b.entryJson = entry;
            if (b.size !== b.checkpoint.size) fail("inclusion-size");
            await verifyInclusion(b.leafHash, b.index, b.size, b.proof, b.checkpoint.rootHash);
            lines.push(msg("included-" + part, { index: b.index, size: b.size }));
          }
          return lines;
        },
      ],
      [
        "media",
        async () => {
          const entry = ctx.bundles.released.entryJson;
          const want = entry && entry.hashes && entry.hashes.sha256;
          if (typeof want !== "string") fail("no-hash");
          const bytes = await download(root.dataset.mediaUrl, (done, total) => {
            const mb = (n) => (n / 1048576).toFixed(1);
            show("media", "running", [
              total
                ? msg("downloaded", { done: mb(done), total: mb(total) })
                : msg("downloaded-unknown", { done: mb(done) }),
            ]);
          });
          const got = hex(await sha256(bytes));
          if (got !== want) fail("media-hash", { got, want });
          return [{ text: msg("media-ok"), code: got }];
        },
      ],
    ];

    // A failed key or bundle step leaves nothing to check against; later steps need the
    // earlier ones (the leaf names the hash the video must have).
    let blocked = false;
    for (const [name, fn] of steps) {
      if (blocked) {
        show(name, "skipped");
        continue;
      }
      const ok = await step(name, fn);
      if (!ok && name !== "witnesses" && name !== "signature") blocked = true;
    }
    result.setAttribute("data-outcome", failed.length ? FAIL : PASS);
    result.textContent = failed.length
      ? msg("result-fail", { n: failed.length })
      : msg("result-pass");
    button.disabled = false;
  }

  // Outside a browser (tests/portal/test_verify_js.py runs this file in Node), hand the
  // checks to the caller: the same code the page runs, against Python's test vectors.
  if (typeof document === "undefined") {
    globalThis.sunlightVerifyChecks = {
      parseKey,
      openNote,
      parseCheckpoint,
      checkLogSignature,
      checkCosignature,
      leafHash,
      verifyInclusion,
      CheckFailed,
    };
    return;
  }
  root = document.getElementById("verify");
  if (!root) return;
  const button = document.getElementById("verify-start");
  const result = document.getElementById("verify-result");
  if (!window.crypto || !crypto.subtle) {
    result.textContent = msg("no-webcrypto");
    return;
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    run(button, result).catch((e) => {
      result.setAttribute("data-outcome", FAIL);
      result.textContent = msg("error", { error: String(e) });
      button.disabled = false;
    });
  });
})();
