// Redaction review editor: the plan drawn over the video on a canvas, edited in place and
// saved as a new version. Boxes are keyframed; between keyframes a box moves in a straight
// line, the same rule the renderer uses, so what is drawn here is what gets hidden.
(function () {
  "use strict";
  const root = document.getElementById("redaction-editor");
  const config = JSON.parse(document.getElementById("redaction-config").textContent);
  const video = document.getElementById("player");
  const canvas = document.getElementById("overlay");
  if (!video || !canvas) return;
  const ctx = canvas.getContext("2d");
  const rec = config.recording;
  const statusEl = document.getElementById("status");
  const state = { plan: null, versionId: config.plan_id, selected: null, drag: null, dirty: false, checked: new Set() };
  const HANDLE = 8;

  function setStatus(text) { statusEl.textContent = text; }
  function fps() { return (state.plan && state.plan.fps) || rec.fps || 30; }
  function frameNow() { return Math.max(0, Math.floor(video.currentTime * fps() + 1e-3)); }
  function scale() { return canvas.width / (state.plan ? state.plan.width : rec.width); }

  function boxAt(track, frame) {
    const k = track.keyframes;
    if (!k.length || frame < k[0][0] || frame > k[k.length - 1][0]) return null;
    let lo = 0, hi = k.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (k[mid][0] <= frame) lo = mid; else hi = mid; }
    const a = k[lo], b = k[hi];
    if (frame <= a[0] || a[0] === b[0]) return a.slice(1);
    if (frame >= b[0]) return b.slice(1);
    const t = (frame - a[0]) / (b[0] - a[0]);
    return [1, 2, 3, 4].map((i) => a[i] + (b[i] - a[i]) * t);
  }

  function setKeyframe(track, frame, box) {
    const clamped = [
      Math.max(0, Math.min(box[0], box[2])), Math.max(0, Math.min(box[1], box[3])),
      Math.min(state.plan.width, Math.max(box[0], box[2])), Math.min(state.plan.height, Math.max(box[1], box[3])),
    ].map((v) => Math.round(v * 10) / 10);
    const kf = [frame].concat(clamped);
    const i = track.keyframes.findIndex((k) => k[0] >= frame);
    if (i === -1) track.keyframes.push(kf);
    else if (track.keyframes[i][0] === frame) track.keyframes[i] = kf;
    else track.keyframes.splice(i, 0, kf);
    markDirty();
  }

  function markDirty() { state.dirty = true; setStatus("Unsaved changes."); }

  function resize() {
    canvas.width = video.clientWidth;
    canvas.height = video.clientHeight;
    canvas.style.width = video.clientWidth + "px";
    canvas.style.height = video.clientHeight + "px";
    draw();
  }

  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    document.getElementById("frame-no").textContent = frameNow();
    document.getElementById("time").textContent = video.currentTime.toFixed(2);
    if (!state.plan) return;
    const s = scale(), f = frameNow();
    for (const track of state.plan.tracks) {
      const b = boxAt(track, f);
      if (!b) continue;
      const sel = track.id === state.selected;
      ctx.lineWidth = sel ? 3 : 2;
      ctx.setLineDash(track.keep_visible ? [6, 4] : []);
      ctx.strokeStyle = track.keep_visible ? "#1a9850" : (sel ? "#ffcc00" : "#d73027");
      ctx.fillStyle = track.keep_visible ? "rgba(26,152,80,0.10)" : "rgba(215,48,39,0.25)";
      ctx.fillRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
      ctx.strokeRect(b[0] * s, b[1] * s, (b[2] - b[0]) * s, (b[3] - b[1]) * s);
      if (sel) { ctx.setLineDash([]); ctx.fillStyle = "#ffcc00"; ctx.fillRect(b[2] * s - HANDLE, b[3] * s - HANDLE, HANDLE, HANDLE); }
      ctx.setLineDash([]);
      ctx.fillStyle = "#fff"; ctx.font = "12px sans-serif";
      ctx.fillText(track.id, b[0] * s + 2, b[1] * s + 12);
    }
  }

  function hit(x, y) {
    const s = scale(), f = frameNow();
    const tracks = state.plan ? state.plan.tracks : [];
    for (let i = tracks.length - 1; i >= 0; i--) {
      const b = boxAt(tracks[i], f);
      if (!b) continue;
      const [x1, y1, x2, y2] = b.map((v) => v * s);
      if (x >= x2 - HANDLE - 2 && x <= x2 + 2 && y >= y2 - HANDLE - 2 && y <= y2 + 2) return { track: tracks[i], mode: "resize", box: b };
      if (x >= x1 && x <= x2 && y >= y1 && y <= y2) return { track: tracks[i], mode: "move", box: b };
    }
    return null;
  }

  function point(ev) {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }

  canvas.addEventListener("mousedown", (ev) => {
    if (!state.plan) return;
    const [x, y] = point(ev);
    if (document.getElementById("draw-mode").checked) {
      state.drag = { mode: "new", x0: x, y0: y, x, y };
      return;
    }
    const h = hit(x, y);
    state.selected = h ? h.track.id : null;
    renderTables();
    if (h) state.drag = { mode: h.mode, track: h.track, box: h.box, x0: x, y0: y };
    draw();
  });

  canvas.addEventListener("mousemove", (ev) => {
    if (!state.drag) return;
    const [x, y] = point(ev);
    const d = state.drag, s = scale();
    if (d.mode === "new") {
      d.x = x; d.y = y; draw();
      ctx.strokeStyle = "#ffcc00"; ctx.lineWidth = 2;
      ctx.strokeRect(Math.min(d.x0, x), Math.min(d.y0, y), Math.abs(x - d.x0), Math.abs(y - d.y0));
      return;
    }
    const dx = (x - d.x0) / s, dy = (y - d.y0) / s, b = d.box;
    const box = d.mode === "move" ? [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy] : [b[0], b[1], Math.max(b[0] + 4, b[2] + dx), Math.max(b[1] + 4, b[3] + dy)];
    setKeyframe(d.track, frameNow(), box);
    draw();
  });

  window.addEventListener("mouseup", () => {
    const d = state.drag;
    state.drag = null;
    if (!d) return; // a click elsewhere on the page: leave the tables alone
    if (d.mode !== "new") { renderTables(); return; }
    const s = scale();
    const box = [Math.min(d.x0, d.x) / s, Math.min(d.y0, d.y) / s, Math.max(d.x0, d.x) / s, Math.max(d.y0, d.y) / s];
    if (box[2] - box[0] < 3 || box[3] - box[1] < 3) return;
    addManualTrack(box);
  });

  function addManualTrack(box) {
    const f = frameNow();
    const seconds = parseFloat(document.getElementById("new-seconds").value) || 2;
    const last = Math.min(state.plan.frame_count - 1, f + Math.max(0, Math.round(seconds * fps()) - 1));
    let n = state.plan.tracks.length + 1;
    while (state.plan.tracks.some((t) => t.id === "m" + n)) n++;
    const kind = document.getElementById("new-kind").value;
    const track = {
      id: "m" + n, kind, source: "manual", keep_visible: false,
      keyframes: [], reason: { statute: "RSMo 610.024", text: "Manually marked " + kind + ": exempt material separated out." },
    };
    setKeyframe(track, f, box);
    if (last > f) setKeyframe(track, last, box);
    state.plan.tracks.push(track);
    state.selected = track.id;
    document.getElementById("draw-mode").checked = false;
    renderTables(); draw();
  }

  function cell(content) { const td = document.createElement("td"); if (content instanceof Node) td.appendChild(content); else td.textContent = content; return td; }
  function select(options, value, onchange) {
    const el = document.createElement("select");
    for (const o of options) { const opt = document.createElement("option"); opt.textContent = o; opt.selected = o === value; el.appendChild(opt); }
    el.addEventListener("change", () => { onchange(el.value); markDirty(); draw(); });
    return el;
  }
  function input(value, onchange, attrs) {
    const el = document.createElement("input");
    el.value = value;
    Object.assign(el, attrs || {});
    el.addEventListener("change", () => { onchange(el.value); markDirty(); draw(); });
    return el;
  }

  function renderTables() {
    const tbody = document.getElementById("tracks");
    tbody.textContent = "";
    if (!state.plan) return;
    for (const track of state.plan.tracks) {
      const tr = document.createElement("tr");
      tr.dataset.track = track.id;
      if (track.id === state.selected) tr.className = "selected";
      const k = track.keyframes;
      const idLink = document.createElement("button");
      idLink.type = "button"; idLink.textContent = track.id; idLink.className = "link";
      idLink.addEventListener("click", () => { state.selected = track.id; video.currentTime = (k[0][0] + 0.5) / fps(); renderTables(); });
      tr.appendChild(cell(idLink));
      tr.appendChild(cell(select(config.kinds, track.kind, (v) => { track.kind = v; })));
      tr.appendChild(cell(k[0][0] + "–" + k[k.length - 1][0]));
      const keep = document.createElement("input");
      keep.type = "checkbox"; keep.checked = !!track.keep_visible; keep.className = "keep-visible";
      keep.setAttribute("aria-label", "Keep " + track.id + " visible");
      keep.addEventListener("change", () => { track.keep_visible = keep.checked; markDirty(); draw(); });
      tr.appendChild(cell(keep));
      tr.appendChild(cell(select(config.statutes, track.reason.statute, (v) => { track.reason.statute = v; })));
      tr.appendChild(cell(input(track.reason.text, (v) => { track.reason.text = v; }, { maxLength: 2000 })));
      const del = document.createElement("button");
      del.type = "button"; del.textContent = "Delete"; del.className = "delete-track";
      del.addEventListener("click", () => { state.plan.tracks = state.plan.tracks.filter((t) => t !== track); markDirty(); renderTables(); draw(); });
      tr.appendChild(cell(del));
      tbody.appendChild(tr);
    }
    const mutes = document.getElementById("mutes");
    mutes.textContent = "";
    for (const m of state.plan.audio_mutes) {
      const tr = document.createElement("tr");
      tr.appendChild(cell(input(m.start_s, (v) => { m.start_s = parseFloat(v); }, { type: "number", step: "0.1", min: "0" })));
      tr.appendChild(cell(input(m.end_s, (v) => { m.end_s = parseFloat(v); }, { type: "number", step: "0.1", min: "0" })));
      tr.appendChild(cell(select(config.audio_modes, m.mode, (v) => { m.mode = v; })));
      tr.appendChild(cell(select(config.statutes, m.reason.statute, (v) => { m.reason.statute = v; })));
      tr.appendChild(cell(input(m.reason.text, (v) => { m.reason.text = v; }, { maxLength: 2000 })));
      const del = document.createElement("button");
      del.type = "button"; del.textContent = "Delete";
      del.addEventListener("click", () => { state.plan.audio_mutes = state.plan.audio_mutes.filter((x) => x !== m); markDirty(); renderTables(); });
      tr.appendChild(cell(del));
      mutes.appendChild(tr);
    }
  }

  // "Check these": the detector's list of what a reviewer should look at first. Each item
  // seeks to its first frame and selects its track; ticks are kept in this page only.
  const KIND_LABEL = { weak: "weak detection", gap: "face lost, box interpolated", start: "track starts abruptly", end: "track ends abruptly", small: "face near the size limit" };
  function renderChecks() {
    const section = document.getElementById("check-these");
    const list = document.getElementById("check-list");
    if (!section || !list) return;
    list.textContent = "";
    const items = (state.plan && state.plan.review) || [];
    section.hidden = items.length === 0;
    const done = items.filter((r) => state.checked.has(checkKey(r))).length;
    document.getElementById("check-count").textContent = "(" + done + " of " + items.length + " checked)";
    for (const r of items) {
      const li = document.createElement("li");
      li.className = "check-item";
      li.dataset.kind = r.kind;
      if (r.track) li.dataset.track = r.track;
      const tick = document.createElement("input");
      tick.type = "checkbox"; tick.checked = state.checked.has(checkKey(r));
      tick.setAttribute("aria-label", "Checked: " + (KIND_LABEL[r.kind] || r.kind) + " at frame " + r.frame);
      tick.addEventListener("change", () => { if (tick.checked) state.checked.add(checkKey(r)); else state.checked.delete(checkKey(r)); renderChecks(); });
      const go = document.createElement("button");
      go.type = "button"; go.className = "link check-go";
      const range = r.end_frame !== undefined && r.end_frame !== r.frame ? "frames " + r.frame + "–" + r.end_frame : "frame " + r.frame;
      go.textContent = (KIND_LABEL[r.kind] || r.kind) + (r.track ? " · " + r.track : "") + " · " + range;
      go.title = r.note || "";
      go.addEventListener("click", () => {
        video.pause();
        if (r.track) state.selected = r.track;
        video.currentTime = (r.frame + 0.5) / fps();
        renderTables(); draw();
      });
      li.appendChild(tick); li.appendChild(document.createTextNode(" ")); li.appendChild(go);
      if (r.note) { const note = document.createElement("span"); note.className = "muted"; note.textContent = " — " + r.note; li.appendChild(note); }
      list.appendChild(li);
    }
  }
  function checkKey(r) { return [r.kind, r.track || "", r.frame, r.end_frame === undefined ? "" : r.end_frame].join(":"); }

  function emptyPlan() {
    return {
      schema: "sunlight.redaction-plan/1", recording_sha256: rec.sha256, width: rec.width, height: rec.height,
      fps: rec.fps || 30, frame_count: Math.max(1, Math.round((video.duration || 1) * (rec.fps || 30))),
      fill: "pixelate", detector: {}, tracks: [], audio_mutes: [],
    };
  }

  async function api(method, url, body) {
    const csrf = document.querySelector('meta[name="csrf-token"]');
    const headers = body ? { "Content-Type": "application/json" } : {};
    if (csrf && csrf.content) headers["X-CSRF-Token"] = csrf.content;
    const res = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : res.statusText);
    return data;
  }

  async function loadPlan(id) {
    const data = await api("GET", "/api/redaction/plans/" + id);
    state.plan = data.plan;
    state.versionId = data.version.id;
    state.dirty = false;
    document.getElementById("plan-label").textContent = "version " + data.version.version + " · sha256 " + data.version.sha256.slice(0, 12) + "…";
    root.dataset.planVersion = data.version.version;
    renderTables(); renderChecks(); draw();
  }

  async function pollJob(job, label) {
    const bar = document.getElementById("job-progress");
    bar.hidden = false;
    while (job.status === "queued" || job.status === "running") {
      bar.value = job.progress;
      setStatus(label + ": " + Math.round(job.progress * 100) + "%");
      await new Promise((r) => setTimeout(r, 700));
      job = await api("GET", "/api/redaction/jobs/" + job.id);
    }
    bar.value = job.progress; bar.hidden = job.status === "done";
    if (job.status !== "done") throw new Error(label + " failed: " + (job.error || job.status));
    return job;
  }

  document.getElementById("detect").addEventListener("click", async () => {
    try {
      const job = await pollJob(await api("POST", "/api/redaction/recordings/" + rec.id + "/detect"), "Detecting faces");
      await loadPlan(job.result_plan_id);
      const checks = (state.plan.review || []).length;
      setStatus("Detection done: " + state.plan.tracks.length + " tracks" + (checks ? ", " + checks + " places to check first" : "") + ". Review them before rendering.");
    } catch (e) { setStatus(e.message); }
  });

  document.getElementById("save").addEventListener("click", async () => {
    if (!state.plan) state.plan = emptyPlan();
    try {
      const note = document.getElementById("note").value || null;
      const v = await api("POST", "/api/redaction/recordings/" + rec.id + "/plans", { plan: state.plan, parent_id: state.versionId, note });
      await loadPlan(v.id);
      setStatus("Saved as version " + v.version + ".");
    } catch (e) { setStatus("Not saved: " + e.message); }
  });

  document.getElementById("render").addEventListener("click", async () => {
    if (state.dirty) { setStatus("Save the plan first: only saved versions are rendered."); return; }
    if (!state.versionId) { setStatus("There is no saved plan to render."); return; }
    try {
      const job = await pollJob(await api("POST", "/api/redaction/plans/" + state.versionId + "/render"), "Rendering");
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "/recordings/" + job.result_recording_id; a.textContent = "recording " + job.result_recording_id;
      li.appendChild(a);
      document.getElementById("derived").appendChild(li);
      setStatus("Redacted copy ready: recording " + job.result_recording_id + ".");
    } catch (e) { setStatus(e.message); }
  });

  document.getElementById("add-mute").addEventListener("click", () => {
    if (!state.plan) state.plan = emptyPlan();
    const t = Math.round(video.currentTime * 10) / 10;
    state.plan.audio_mutes.push({ start_s: t, end_s: t + 2, mode: "silence", reason: { statute: "RSMo 610.024", text: "Audio with exempt personal information." } });
    markDirty(); renderTables();
  });

  document.getElementById("delete-keyframe").addEventListener("click", () => {
    const track = state.plan && state.plan.tracks.find((t) => t.id === state.selected);
    if (!track) return;
    const f = frameNow();
    const rest = track.keyframes.filter((k) => k[0] !== f);
    if (rest.length === track.keyframes.length) { setStatus("No keyframe of " + track.id + " at this frame."); return; }
    if (!rest.length) state.plan.tracks = state.plan.tracks.filter((t) => t !== track);
    else track.keyframes = rest;
    markDirty(); renderTables(); draw();
  });

  document.getElementById("play").addEventListener("click", () => { if (video.paused) video.play(); else video.pause(); });
  document.getElementById("prev-frame").addEventListener("click", () => { video.pause(); video.currentTime = Math.max(0, (frameNow() - 1 + 0.5) / fps()); });
  document.getElementById("next-frame").addEventListener("click", () => { video.pause(); video.currentTime = (frameNow() + 1 + 0.5) / fps(); });

  function tick() { draw(); if (!video.paused) requestAnimationFrame(tick); }
  video.addEventListener("play", () => requestAnimationFrame(tick));
  video.addEventListener("seeked", draw);
  video.addEventListener("timeupdate", draw);
  video.addEventListener("loadedmetadata", resize);
  window.addEventListener("resize", resize);
  if (video.readyState >= 1) resize();

  // For tests and the curious: the editor's state, read-only by convention.
  window.redactionEditor = { state, frameNow, boxAt };
  if (state.versionId) loadPlan(state.versionId).catch((e) => setStatus(e.message));
  else setStatus("No plan yet: detect faces, or draw boxes and save.");
})();
