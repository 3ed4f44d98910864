/*
 * Sunlight resumable uploads: a small tus 1.0.0 client for evidence ingest, no dependencies.
 *
 *   const upload = sunlightUpload(file, {
 *     endpoint: "/uploads", metadata: {case: "24-0117"}, chunkSize: 8 * 1024 * 1024,
 *     onProgress(sent, total) {}, onDone(headers) {}, onError(message) {},
 *   });
 *   upload.abort();        // stops; the upload can be resumed later (same file, same page)
 *   await upload.promise;  // the final response headers, or null on failure / abort
 *
 * Every chunk carries `Upload-Checksum: sha256 ...`, so a damaged chunk is refused by the
 * server (460) and resent rather than stored. The upload URL is kept in localStorage under
 * the file's name, size and lastModified, so after a page reload the same file picks up at
 * the server's offset (HEAD) instead of starting over.
 */
(function (root) {
  "use strict";

  const TUS_VERSION = "1.0.0";
  const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
  // Milliseconds before each retry of a failed request; jittered so many clients recovering
  // from the same outage do not hit the server in lockstep.
  const DEFAULT_RETRY_DELAYS = [1000, 3000, 5000, 10000, 20000];
  // 408 timeout, 409 offset out of sync, 423 still locked by our own dropped request,
  // 429 throttled, 460 chunk damaged in transit: all cured by re-syncing and resending.
  const RETRY_STATUSES = new Set([408, 409, 423, 429, 460]);

  class UploadError extends Error {
    constructor(message, retryable) {
      super(message);
      this.retryable = retryable;
    }
  }

  function base64FromBytes(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  function encodeMetadata(metadata) {
    const encoder = new TextEncoder();
    return Object.keys(metadata)
      .filter((key) => metadata[key] !== undefined && metadata[key] !== null)
      .map((key) => key + " " + base64FromBytes(encoder.encode(String(metadata[key]))))
      .join(",");
  }

  // Cookie-authenticated writes carry the session's CSRF token (base.html's meta tag).
  function csrfHeader() {
    if (typeof document === "undefined") return {};
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta && meta.content ? { "X-CSRF-Token": meta.content } : {};
  }

  function headersToObject(headers) {
    const result = {};
    headers.forEach((value, name) => {
      result[name] = value;
    });
    return result;
  }

  async function describe(response) {
    const text = response.status === 204 ? "" : (await response.text()).trim();
    return "server answered " + response.status + (text ? ": " + text : "");
  }

  function sunlightUpload(file, options) {
    const opts = Object.assign(
      {
        endpoint: "/uploads",
        metadata: {},
        chunkSize: DEFAULT_CHUNK_SIZE,
        retryDelays: DEFAULT_RETRY_DELAYS,
        onProgress() {},
        onDone() {},
        onError() {},
      },
      options,
    );
    const base = typeof location !== "undefined" ? location.href : undefined;
    const endpoint = new URL(opts.endpoint, base).href;
    const store = typeof localStorage !== "undefined" ? localStorage : null;
    const key = ["sunlight-upload", endpoint, file.name, file.size, file.lastModified].join("|");
    const controller = new AbortController();
    let url = store ? store.getItem(key) : null;
    let offset = null; // null: ask the server before sending anything

    function request(method, target, headers, body) {
      return fetch(target, {
        method,
        headers: Object.assign({ "Tus-Resumable": TUS_VERSION }, csrfHeader(), headers),
        body,
        signal: controller.signal,
      });
    }

    function forget() {
      url = null;
      if (store) store.removeItem(key);
    }

    async function sync() {
      if (url) {
        const response = await request("HEAD", url, {});
        if (response.ok && Number(response.headers.get("Upload-Length")) === file.size) {
          offset = Number(response.headers.get("Upload-Offset"));
          return;
        }
        if (response.status >= 500 || RETRY_STATUSES.has(response.status)) {
          throw new UploadError("cannot check the upload: " + (await describe(response)), true);
        }
        forget(); // expired, terminated or not ours: start a fresh upload
      }
      const metadata = Object.assign(
        { filename: file.name, filetype: file.type || "application/octet-stream" },
        opts.metadata,
      );
      const response = await request("POST", endpoint, {
        "Upload-Length": String(file.size),
        "Upload-Metadata": encodeMetadata(metadata),
      });
      if (response.status !== 201) {
        throw new UploadError("cannot start the upload: " + (await describe(response)),
          response.status >= 500 || RETRY_STATUSES.has(response.status));
      }
      url = new URL(response.headers.get("Location"), endpoint).href;
      if (store) store.setItem(key, url);
      offset = 0;
    }

    async function sendChunk() {
      // Reading the slice once serves both the digest and the request body.
      const body = await file.slice(offset, Math.min(offset + opts.chunkSize, file.size))
        .arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
      const response = await request("PATCH", url, {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": String(offset),
        "Upload-Checksum": "sha256 " + base64FromBytes(digest),
      }, body);
      if (response.ok) return response;
      if (response.status === 404 || response.status === 410) {
        forget();
        throw new UploadError("the server no longer has this upload; start it again", false);
      }
      throw new UploadError(await describe(response),
        response.status >= 500 || RETRY_STATUSES.has(response.status));
    }

    async function run() {
      if (!(root.crypto && root.crypto.subtle)) {
        throw new UploadError("checksums need crypto.subtle: open this page over HTTPS", false);
      }
      let failures = 0;
      for (;;) {
        try {
          if (offset === null) {
            await sync();
            opts.onProgress(offset, file.size);
          }
          // At offset == size this sends an empty PATCH, which asks the server to (re)run
          // completion and return its result headers.
          const response = await sendChunk();
          failures = 0;
          offset = Number(response.headers.get("Upload-Offset"));
          opts.onProgress(offset, file.size);
          if (offset >= file.size) {
            forget();
            return headersToObject(response.headers);
          }
        } catch (error) {
          if (controller.signal.aborted) throw new UploadError("upload stopped", false);
          // fetch rejects with a TypeError on network failure: always worth a retry.
          if (error instanceof UploadError && !error.retryable) throw error;
          if (failures >= opts.retryDelays.length) {
            throw new UploadError("giving up after " + failures + " retries: " + error.message);
          }
          const delay = opts.retryDelays[failures++] * (0.5 + Math.random());
          await new Promise((resolve) => setTimeout(resolve, delay));
          offset = null; // the server's offset is the truth after any failure
        }
      }
    }

    const promise = run().then(
      (headers) => {
        opts.onDone(headers);
        return headers;
      },
      (error) => {
        opts.onError(error.message);
        return null;
      },
    );
    return { promise, abort: () => controller.abort() };
  }

  root.sunlightUpload = sunlightUpload;
})(typeof window !== "undefined" ? window : globalThis);
