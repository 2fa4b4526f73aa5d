// The in-car touchscreen. No framework, no build step; the server decides who sees what.
"use strict";

const S = { session: null, es: null, snapshot: null, alertId: null, openTicket: 0, seenAlerts: new Set(),
            lastPing: 0, audio: null, beeps: 0 };
window.alpr = S; // for tests: S.beeps counts sounds played

// -- helpers ------------------------------------------------------------
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}
function message(data, status) {
  if (!data) return "Error " + status;
  if (data.message) return data.message;
  if (typeof data.detail === "string") return data.detail;
  if (Array.isArray(data.detail)) return "Check the form: " + data.detail.map((d) => d.loc.slice(-1)[0] + ": " + d.msg).join("; ");
  return "Error " + status;
}
async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") {
    options.headers["Content-Type"] = "application/json";
    if (S.session) options.headers["X-CSRF-Token"] = S.session.csrf;
    options.body = JSON.stringify(body || {});
  }
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (response.status === 423) showLock();
  if (response.status === 401 && S.session && !["/api/login", "/api/unlock"].includes(path)) showLogin("Session expired: log in again.");
  if (!response.ok) { const error = new Error(message(data, response.status)); error.status = response.status; error.data = data; throw error; }
  return data;
}
const day = (t) => { const d = new Date(t * 1000); return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0"); };
const details = (detail) => Object.entries(detail || {}).filter(([, v]) => v !== null && v !== "")
  .map(([k, v]) => k + ": " + (typeof v === "object" ? JSON.stringify(v) : v)).join(" · ");
const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

// -- screens ------------------------------------------------------------
const SCREENS = ["login-screen", "lock-screen", "shift-screen", "main-screen"];
function show(id) {
  for (const s of SCREENS) $(s).hidden = s !== id;
  $("bar").hidden = !(id === "main-screen" || id === "shift-screen");
  if (id !== "main-screen" && id !== "lock-screen") hideAlert();  // an alert shows over the lock
}
function hideAlert() {
  S.openTicket++;  // an open still on its way must not bring the alert back
  $("alert-screen").hidden = true;
}
function showLogin(text) {
  S.session = null; S.locked = false; S.alertId = null; closeEvents(); show("login-screen");
  $("login-error").textContent = text || ""; $("login-totp-row").hidden = true; $("login-secret").value = "";
}
// Locked: the PIN screen, but an unverified alert stays on top of it (acting on it asks for the PIN).
// alerts: the server's list of what may show over the lock (undefined: not known yet, leave the screen as it is).
function showLock(pending, alerts) {
  if (!S.session) return;
  const wasLocked = S.locked; S.locked = true;
  show("lock-screen"); $("lock-user").textContent = S.session.user + " (" + S.session.role + ")";
  $("lock-pending").hidden = !pending;
  $("lock-pending").replaceChildren(el("span", {}, pending ? pending + " unverified alert(s) sounding" : ""));
  const shown = !$("alert-screen").hidden && S.alertId;
  if (alerts === undefined) { if (shown && !wasLocked) openAlert(S.alertId); return; }
  if (shown && alerts.some((a) => a.alert_id === S.alertId)) { if (!wasLocked) openAlert(S.alertId); return; }
  if (shown) { S.resumeAlert = S.alertId; hideAlert(); }  // not unverified: back to it after the PIN
  if (alerts.length) openAlert(alerts[0].alert_id);
}
function unlocked(session) {
  S.session = session; S.lockedPending = 0; S.locked = false;
  for (const id of ["unlock-secret", "unlock-totp", "a-unlock-secret"]) $(id).value = "";
  $("unlock-totp-row").hidden = true; $("unlock-error").textContent = ""; $("a-unlock-error").textContent = "";
  show("main-screen"); tab("live"); openEvents();
  const back = S.alertId && !$("alert-screen").hidden ? S.alertId : S.resumeAlert;  // back to the alert the lock covered
  S.resumeAlert = null;
  if (back) openAlert(back);
}
function enter(session, checks) {
  S.session = session; S.locked = false;
  document.body.dataset.role = session.role;
  $("bar-user").textContent = session.user + " · " + session.role;
  for (const [cls, allowed] of [["needs-alerts", session.can.alerts], ["needs-search", session.can.search], ["needs-browse", session.can.browse_hotlist],
                                ["needs-add", session.can.add_hot_plates], ["needs-audit", session.can.audit]])
    for (const node of document.getElementsByClassName(cls)) node.hidden = !allowed;
  openEvents();
  if (checks) { renderChecks($("shift-checks"), checks); show("shift-screen"); }
  else { show("main-screen"); tab("live"); }
}
function renderChecks(table, checks) {
  table.replaceChildren(...checks.map((c) => el("tr", { "data-check": c.name },
    el("td", {}, c.name), el("td", { class: "status " + c.status }, c.status), el("td", {}, c.detail))));
}
function tab(name) {
  for (const button of document.querySelectorAll("#tabs .tab")) button.classList.toggle("active", button.dataset.tab === name);
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== "tab-" + name;
  if (name === "hotlist") loadHotlist();
  if (name === "audit") loadAudit();
  if (name === "shift") api("GET", "/api/start-of-shift").then((c) => renderChecks($("shift-checks-tab"), c)).catch(() => {});
}

// -- live push ----------------------------------------------------------
function openEvents() {
  closeEvents();
  const es = new EventSource("/api/events");
  S.es = es;
  es.addEventListener("live", (e) => {
    if (!$("lock-screen").hidden || S.locked) {  // unlocked (here or elsewhere): the alert on screen gets its buttons back
      S.locked = false; show("main-screen"); tab("live"); if (S.alertId && !$("alert-screen").hidden) openAlert(S.alertId);
    }
    onLive(JSON.parse(e.data));
  });
  es.addEventListener("locked", (e) => { const d = JSON.parse(e.data); S.lockedPending = d.pending_alerts; showLock(d.pending_alerts, d.alerts); });
  es.addEventListener("expired", () => showLogin("Session expired: log in again."));
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED && S.es === es)
      setTimeout(() => { if (S.session && S.es === es) api("GET", "/api/session").then(openEvents).catch(() => {}); }, 2000);
  };
}
function closeEvents() { if (S.es) { S.es.close(); S.es = null; } }

function onLive(snapshot) {
  S.snapshot = snapshot; S.lockedPending = 0;
  pill($("bar-gps"), "GPS", snapshot.gps); pill($("bar-uplink"), "Uplink", snapshot.uplink);
  $("live-warnings").replaceChildren(...snapshot.warnings.map((w) => el("div", { class: "warning" }, "⚠ " + w)));
  $("live-hidden").hidden = !!S.session.can.see_plates;
  renderReads(snapshot.reads);
  renderQueue(snapshot.alerts);
  // The alert on screen changed or closed elsewhere (timed out, another officer): follow it.
  if (S.alertId && !$("alert-screen").hidden) {
    const shown = snapshot.alerts.find((a) => a.alert_id === S.alertId);
    if (!shown) closeAlert("Alert closed elsewhere.");
    else if (shown.state !== $("alert-screen").dataset.state) openAlert(S.alertId);
  }
  // A new unverified alert takes the screen (highest priority first); one the officer put back stays queued.
  const fresh = snapshot.alerts.find((a) => a.sounding && !S.seenAlerts.has(a.alert_id));
  if (fresh && $("alert-screen").hidden && !$("main-screen").hidden) openAlert(fresh.alert_id);
}
function pill(node, name, check) { node.textContent = name + ": " + check.detail; node.className = "pill " + check.status; }
function renderReads(reads) {
  const list = $("live-reads");
  const key = reads.map((r) => r.read_id + (r.alert_id || "")).join();
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...reads.map((r) => el("li", { "data-read": r.read_id },
    el("img", { src: "/api/reads/" + encodeURIComponent(r.read_id) + "/crop.jpg", alt: "plate" }),
    el("span", { class: "read-text" }, r.text), el("span", {}, r.state || "?"),
    el("span", { class: "meta" }, clock(r.time) + " · " + Math.round(r.confidence * 100) + "%"),
    r.alert_id ? el("span", { class: "tag" }, "HIT") : "")));
}
function renderQueue(alerts) {
  $("alert-count").textContent = alerts.length;
  $("alert-queue").replaceChildren(...alerts.map((a) => el("li", { "data-alert": a.alert_id },
    el("span", { class: "read-text" }, a.read_text), el("span", {}, a.read_state || "?"),
    el("span", { class: "meta" }, "P" + a.priority + " · " + a.list_name + " · " + a.state.replace("_", " ")),
    el("button", { type: "button", onclick: () => openAlert(a.alert_id) }, "Open"))));
}

// -- sound: Web Audio, the car speaker's tone for each priority, repeating while unacknowledged --
function audio() {
  if (!S.audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    S.audio = new Ctx(); S.tones = {};
    for (const p of [1, 2, 3, 4, 5])  // the same WAVs as the car speaker (alpr_edge.alerts.tones)
      fetch("/tones/" + p + ".wav").then((r) => r.arrayBuffer()).then((b) => S.audio.decodeAudioData(b))
        .then((buffer) => { S.tones[p] = buffer; }).catch(() => {});
  }
  if (S.audio.state === "suspended") S.audio.resume();
  return S.audio;
}
function beep(priority) {
  S.beeps += 1;
  const ctx = audio();
  if (!ctx) return;
  const buffer = S.tones[Math.min(Math.max(priority, 1), 5)];
  if (buffer) { const source = ctx.createBufferSource(); source.buffer = buffer; source.connect(ctx.destination); source.start(); return; }
  const [freq, count, length] = { 1: [1250, 3, 0.12], 2: [900, 2, 0.18] }[priority] || [650, 1, 0.3];  // until the WAVs load
  for (let i = 0; i < count; i++) {
    const osc = ctx.createOscillator(), gain = ctx.createGain(), start = ctx.currentTime + i * (length + 0.08);
    osc.frequency.value = freq; osc.type = "square";
    gain.gain.setValueAtTime(0.25, start); gain.gain.setValueAtTime(0, start + length);
    osc.connect(gain).connect(ctx.destination); osc.start(start); osc.stop(start + length + 0.02);
  }
}
setInterval(() => {
  if (!S.session) return;
  const raised = S.lockedPending ? [{ priority: 1 }] : (S.snapshot ? S.snapshot.alerts.filter((a) => a.sounding) : []);
  if (raised.length) beep(Math.min(...raised.map((a) => a.priority)));
}, 2500);

// -- alert screen -------------------------------------------------------
// The banner's look, words and question are the server's (alpr_edge.alerts.lifecycle.BANNERS): no second copy here.
const LOOKS = ["unverified", "verified", "confirmed", "closed"];  // the styles app.css has
async function openAlert(id) {
  // Only the newest open counts: a fetch answered after the alert closed (or another opened) is dropped.
  const ticket = ++S.openTicket;
  let alert;
  try { alert = await api("GET", "/api/alerts/" + encodeURIComponent(id)); } catch (e) { return; }
  if (ticket !== S.openTicket) return;
  // Re-drawn (a push, the lock): the note being typed stays; only another alert starts with an empty one.
  if (S.alertId !== id || $("alert-screen").hidden) $("a-note").value = "";
  S.alertId = id; S.seenAlerts.add(id); $("alert-screen").hidden = false; $("a-error").textContent = "";
  renderAlert(alert);
}
function renderAlert(a) {
  const b = a.banner || {};  // none sent (an older server): a neutral banner naming the state
  const look = LOOKS.includes(b.look) ? b.look : "closed", prompt = b.prompt || "";
  const screen = $("alert-screen");
  screen.dataset.state = a.state; screen.dataset.alert = a.alert_id;
  $("alert-banner").className = "banner " + look;
  $("alert-banner").replaceChildren(el("span", {}, b.text || a.state_label || a.state));
  marked($("a-read-text"), a.read_text, a.differs.read); $("a-read-state").textContent = a.read_state || "state ?";
  $("a-read-meta").textContent = "confidence " + Math.round(a.confidence * 100) + "% · match " + a.match_kind + " · " + clock(a.raised_at);
  marked($("a-hot-text"), a.entry.plate, a.differs.entry); $("a-hot-state").textContent = a.entry.state || "any state";
  $("a-read-state").classList.toggle("differs", !!a.state_differs); $("a-hot-state").classList.toggle("differs", !!a.state_differs);
  $("a-hot-list").textContent = a.entry.list_name + " · priority " + a.priority + (a.covert ? " · COVERT: no in-car alert" : "")
    + (a.stale ? " · LIST IS STALE" : "");
  const base = "/api/reads/" + encodeURIComponent(a.read_id);
  if ($("a-crop").dataset.read !== a.read_id) {
    $("a-crop").src = base + "/crop.jpg"; $("a-overview").src = base + "/overview.jpg"; $("a-crop").dataset.read = a.read_id;
  }
  const rows = [["Reason", a.entry.reason], ["Vehicle", a.entry.vehicle], ["Case number", a.entry.case_number],
                ["Entered by", a.entry.entered_by]].filter(([, v]) => v);
  $("a-entry").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("a-synopsis").textContent = a.entry.synopsis ? "Synopsis: " + a.entry.synopsis : "";  // full width: never clipped
  $("a-prompt").textContent = prompt;
  // The buttons and their words are the server's (alpr_edge.alerts.lifecycle.actions): no second copy here.
  $("alert-actions").replaceChildren(...a.actions.map((x) => {
    const code = x.reason || x.disposition || "";
    return el("button", { type: "button", class: x.kind, "data-step": x.step + (code ? ":" + code : ""),
                          onclick: () => doStep(a.alert_id, x.step, x) }, x.label);
  }));
  screen.classList.toggle("locked", !!S.locked);  // locked: seen, not acted on, until the PIN
  $("a-unlock").hidden = !S.locked;
  const open = (S.snapshot ? S.snapshot.alerts : []).length;
  $("a-queue").textContent = open > 1 ? open + " open alerts" : "";
}
function marked(node, text, positions) {  // the characters where read and list entry differ, marked
  const differs = new Set(positions || []);
  node.replaceChildren(...[...text].map((c, i) => differs.has(i) ? el("mark", { class: "differs" }, c) : c));
}
async function doStep(id, step, action) {
  try {
    const a = await api("POST", "/api/alerts/" + encodeURIComponent(id) + "/step",
                        { step, note: $("a-note").value, disposition: action.disposition || "", reason: action.reason || "" });
    $("a-note").value = "";
    S.openTicket++;  // this answer is newer than any open still on its way
    if (a.state_label) closeAlert(a.state_label); else { $("a-error").textContent = ""; renderAlert(a); }
  } catch (e) { $("a-error").textContent = e.message; }
}
function toast(text) {
  $("toast").textContent = text; $("toast").hidden = false;
  clearTimeout(S.toastTimer); S.toastTimer = setTimeout(() => { $("toast").hidden = true; }, 15000);
}
function closeAlert(text) {
  hideAlert(); S.alertId = null;
  const next = S.snapshot && S.snapshot.alerts.find((a) => a.sounding && a.alert_id !== $("alert-screen").dataset.alert);
  if (text) toast(text);
  if (next) openAlert(next.alert_id);
}

// -- look-ups, hot list, audit ---------------------------------------------
async function loadHotlist() {
  try {
    const rows = await api("GET", "/api/hotlist");
    const columns = ["Plate", "State", "List", "Reason", "Case", "By", "Expires"];
    $("hotlist-rows").replaceChildren(el("tr", {}, ...columns.map((h) => el("th", {}, h))),
      ...rows.flatMap((e) => [  // the synopsis on its own full-width line: never clipped by a narrow column
        el("tr", { class: e.synopsis ? "entry-top" : "" }, ...[e.plate, e.state || "", e.list_name, e.reason, e.case_number, e.entered_by, e.expires].map((v) => el("td", {}, v))),
        ...(e.synopsis ? [el("tr", { class: "synopsis-row" }, el("td", { colspan: columns.length, class: "synopsis" }, e.synopsis))] : [])]));
  } catch (e) { $("hotlist-rows").replaceChildren(el("tr", {}, el("td", { class: "error" }, e.message))); }
}
async function loadAudit() {
  try {
    const rows = await api("GET", "/api/audit?limit=200");
    $("audit-rows").replaceChildren(el("tr", {}, ...["Date", "Time", "User", "Action", "Detail"].map((h) => el("th", {}, h))),
      ...rows.map((r) => el("tr", { "data-action": r.action },
        el("td", { class: "nowrap" }, day(r.time)), el("td", { class: "nowrap" }, clock(r.time)), el("td", {}, r.user),
        el("td", {}, r.action), el("td", {}, details(r.detail)))));
  } catch (e) { $("audit-rows").replaceChildren(el("tr", {}, el("td", { class: "error" }, e.message))); }
}

// -- wiring -------------------------------------------------------------
function theme(name) { document.documentElement.dataset.theme = name; localStorage.setItem("alpr-theme", name); }
document.addEventListener("DOMContentLoaded", async () => {
  const asked = new URLSearchParams(location.search).get("theme");
  const hour = new Date().getHours();
  theme(asked || localStorage.getItem("alpr-theme") || (hour >= 7 && hour < 19 ? "day" : "night"));
  $("btn-theme").onclick = () => theme(document.documentElement.dataset.theme === "night" ? "day" : "night");
  $("login-form").onsubmit = async (e) => {
    e.preventDefault(); audio();
    const totp = $("login-totp").value.trim();
    try {
      const s = await api("POST", "/api/login", { name: $("login-name").value, secret: $("login-secret").value, totp: totp || null });
      $("login-error").textContent = ""; $("login-totp").value = ""; $("login-totp-row").hidden = true;
      enter(s, s.start_of_shift);
    } catch (err) {
      $("login-error").textContent = err.message;
      if (err.data && (err.data.error === "totp_needed" || err.data.error === "totp_wrong")) { $("login-totp-row").hidden = false; $("login-totp").focus(); }
    }
  };
  const unlockWith = async (secret, errorNode) => {
    audio();
    try { unlocked(await api("POST", "/api/unlock", { secret: $(secret).value, totp: $("unlock-totp").value.trim() || null })); }
    catch (err) {
      errorNode.textContent = err.message;
      if (err.data && ["totp_needed", "totp_wrong"].includes(err.data.error)) {  // the code is asked on the lock screen
        if (!$("alert-screen").hidden) S.resumeAlert = S.alertId;  // back to it once the code is in
        hideAlert(); $("unlock-secret").value = $(secret).value;
        $("unlock-error").textContent = err.message; $("unlock-totp-row").hidden = false; $("unlock-totp").focus();
      }
      if (err.data && err.data.error === "locked_out") showLogin(err.message);
    }
  };
  $("unlock-form").onsubmit = (e) => { e.preventDefault(); unlockWith("unlock-secret", $("unlock-error")); };
  $("a-unlock").onsubmit = (e) => { e.preventDefault(); unlockWith("a-unlock-secret", $("a-unlock-error")); };
  $("shift-ack").onclick = async () => { try { await api("POST", "/api/start-of-shift/ack"); } catch (e) { return; } show("main-screen"); tab("live"); if (S.snapshot) onLive(S.snapshot); };
  $("btn-lock").onclick = () => api("POST", "/api/lock").then(() => showLock(0)).catch(() => {});
  for (const id of ["a-crop", "a-overview"]) $(id).onclick = () => { $("zoom-img").src = $(id).src; $("zoom").hidden = false; };
  $("zoom").onclick = () => { $("zoom").hidden = true; };
  $("btn-logout").onclick = () => api("POST", "/api/logout").finally(() => showLogin(""));
  $("a-back").onclick = () => { hideAlert(); S.alertId = null; if (S.locked) show("lock-screen"); };
  for (const button of document.querySelectorAll("#tabs .tab")) button.onclick = () => tab(button.dataset.tab);
  // The look-up form and its results: lookup.js.
  $("add-form").onsubmit = async (e) => {
    e.preventDefault(); $("add-error").textContent = ""; $("add-done").textContent = "";
    const v = (id) => $(id).value.trim();
    try {
      const entry = await api("POST", "/api/hotlist", { plate: v("add-plate"), state: v("add-state"), reason: v("add-reason"), case_number: v("add-case"),
        vehicle: v("add-vehicle"), synopsis: v("add-synopsis"), expires: v("add-expires") });
      $("add-done").textContent = "Added " + entry.plate + " (entered by " + entry.entered_by + ")"; $("add-form").reset();
    } catch (err) { $("add-error").textContent = err.message; }
  };
  // User touches count as activity (the server locks the screen after lock_after_s without any).
  const ping = () => { if (S.session && Date.now() - S.lastPing > 15000 && $("lock-screen").hidden) { S.lastPing = Date.now(); api("POST", "/api/activity").catch(() => {}); } };
  document.addEventListener("pointerdown", ping); document.addEventListener("keydown", ping);
  try { const s = await api("GET", "/api/session"); if (s.locked) { S.session = s; openEvents(); showLock(0, []); } else enter(s, null); }
  catch (e) { show("login-screen"); } // fields the user may already be typing in are left alone
});
