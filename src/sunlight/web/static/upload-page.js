// Wires the upload form to the resumable tus client (tus-upload.js).
(function () {
  const form = document.getElementById("upload-form");
  const list = document.getElementById("uploads");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const files = document.getElementById("files").files;
    const officer = document.getElementById("officer").value;
    const device = document.getElementById("device").value;
    const local = document.getElementById("recorded_at").value;
    const metadata = {};
    if (officer) metadata.officer = officer;
    if (device) metadata.device = device;
    if (local) metadata.recorded_at = new Date(local).toISOString();
    for (const file of files) {
      const item = document.createElement("li");
      const label = document.createElement("div");
      label.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = file.size || 1;
      bar.value = 0;
      const status = document.createElement("div");
      status.className = "muted";
      status.textContent = "starting…";
      item.append(label, bar, status);
      list.prepend(item);
      sunlightUpload(file, {
        endpoint: "/api/uploads",
        metadata: Object.assign({ filename: file.name, filetype: file.type || "application/octet-stream" }, metadata),
        onProgress: function (sent, total) {
          bar.value = sent;
          status.textContent = Math.floor((100 * sent) / (total || 1)) + "% (" + sent + " of " + total + " bytes)";
        },
        onDone: function (headers) {
          bar.value = bar.max;
          const id = headers["sunlight-recording-id"];
          const state = headers["sunlight-status"] === "duplicate" ? "Already in custody" : "Ingested";
          status.innerHTML = "";
          const link = document.createElement("a");
          link.href = "/recordings/" + id;
          link.textContent = state + ": recording " + id;
          status.append(link, " · sha256 " + (headers["sunlight-sha256"] || ""));
          item.className = "done";
        },
        onError: function (message) {
          status.textContent = "Failed: " + message + " (reload the page and choose the file again to resume)";
          status.className = "error";
        },
      });
    }
  });
})();
