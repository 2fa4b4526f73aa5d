// The look-up screen (issue 23): results with image, time and place, hold state; for a supervisor,
// an evidence package of chosen results, holds and corrections. Uses app.js's helpers ($, el, api, S).
// Every rule is the server's: this only shows what it answers and sends what the user typed.
"use strict";

const L = { grounds: null, hits: new Map(), recipients: null, dialog: null };

const when = (t) => new Date(t * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "medium" });
const plateOf = (text, state) => text + " " + (state || "?");

function place(h) {
  if (h.latitude == null || h.longitude == null) return el("span", { class: "meta" }, "no position");
  const where = h.latitude.toFixed(5) + ", " + h.longitude.toFixed(5);
  // The link is the agency's pattern (config ui.map_url, checked at load); the device has no map of its own.
  if (!h.map_link || !/^https?:\/\//.test(h.map_link)) return el("span", { class: "coords" }, where);
  return el("a", { class: "map-link", href: h.map_link, target: "_blank", rel: "noopener noreferrer" }, where);
}

function holdCell(h) {
  const can = S.session.can;
  if (!h.holds.length) return el("div", { class: "hold-state" }, el("span", { class: "meta" }, "no hold"),
    can.hold ? el("button", { type: "button", class: "small", "data-do": "hold", onclick: () => openDialog("hold", h) }, "Hold") : "");
  return el("div", { class: "hold-state held" }, ...h.holds.map((x) => el("div", { "data-hold": x.hold_id },
    el("strong", {}, "HELD"), " case " + x.case_number + " · " + x.reason + " · " + x.placed_by,
    can.hold ? el("button", { type: "button", class: "small", "data-do": "release", onclick: () => openDialog("release", h, x) }, "Release") : "")));
}

function plateCell(h) {
  const cell = el("div", { class: "plate-cell" }, el("span", { class: "read-text" }, h.text), " ", el("span", { class: "plate-st" }, h.state || "?"));
  if (h.corrections.length) {  // both shown: what the camera read, and each correction with who and why
    const first = h.corrections[0];
    cell.append(el("div", { class: "corrected" }, "CORRECTED · camera read " + plateOf(first.from_text, first.from_state)),
      ...h.corrections.map((c) => el("div", { class: "meta correction" },
        plateOf(c.from_text, c.from_state) + " → " + plateOf(c.to_text, c.to_state) + " by " + c.by + ": " + c.reason)));
  }
  return cell;
}

function row(h) {
  const can = S.session.can;
  return el("tr", { "data-read": h.read_id },
    el("td", {}, can.export ? el("input", { type: "checkbox", class: "pick", value: h.read_id, "aria-label": "choose for export" }) : ""),
    el("td", {}, el("img", { class: "lookup-crop", src: "/api/reads/" + encodeURIComponent(h.read_id) + "/crop.jpg", alt: "plate" })),
    el("td", {}, plateCell(h), el("div", { class: "meta" }, when(h.time) + " · " + Math.round(h.confidence * 100) + "% · " + h.camera)),
    el("td", {}, place(h)),
    el("td", {}, holdCell(h),
      can.correct ? el("button", { type: "button", class: "small", "data-do": "correct", onclick: () => openDialog("correct", h) }, "Correct") : ""));
}

function render() {
  const hits = [...L.hits.values()];
  $("search-results").replaceChildren(
    el("tr", {}, el("th", { colspan: "5" }, hits.length + " read(s) for " + L.grounds.pattern + " · case " + L.grounds.case_number)),
    ...hits.map(row));
  $("lookup-export").hidden = !(S.session.can.export && hits.length);
}

function replaceHit(h) {
  L.hits.set(h.read_id, h);
  const old = document.querySelector('#search-results tr[data-read="' + CSS.escape(h.read_id) + '"]');
  if (old) old.replaceWith(row(h)); else render();
}

async function search(e) {
  e.preventDefault();
  $("search-error").textContent = ""; $("lookup-done").textContent = ""; closeDialog();
  $("search-results").replaceChildren(); L.hits.clear(); $("lookup-export").hidden = true;
  const grounds = { plate: $("search-plate").value, purpose: $("search-purpose").value, case_number: $("search-case").value };
  try {
    const r = await api("POST", "/api/search", grounds);
    L.grounds = { ...grounds, pattern: r.pattern };  // an export searches again on exactly these grounds
    for (const h of r.hits) L.hits.set(h.read_id, h);
    render();
    if (S.session.can.export) await recipients();
  } catch (err) { $("search-error").textContent = err.message; }
}

async function recipients() {
  if (!L.recipients) L.recipients = await api("GET", "/api/lookup/recipients");
  const select = $("export-agency");
  if (select.options.length !== L.recipients.length)
    select.replaceChildren(...L.recipients.map((name) => el("option", { value: name }, name)));
  $("export-none").hidden = L.recipients.length > 0;
  $("export-submit").disabled = !L.recipients.length;
}

async function exportChosen() {
  $("lookup-error").textContent = ""; $("lookup-done").textContent = "";
  const chosen = [...document.querySelectorAll("#search-results .pick:checked")].map((box) => box.value);
  if (!chosen.length) { $("lookup-error").textContent = "Choose the reads to export."; return; }
  const recipient = $("export-agency").value + " / " + $("export-person").value.trim();
  try {
    const r = await api("POST", "/api/lookup/export", { plate: L.grounds.plate, purpose: L.grounds.purpose,
      case_number: L.grounds.case_number, read_ids: chosen, recipient });
    $("lookup-done").textContent = "Evidence package: " + r.read_ids.length + " read(s) for case " + r.case_number
      + " to " + r.recipient + ", written to " + r.folder;
  } catch (err) { $("lookup-error").textContent = err.message; }
}

// -- one small form for a hold, a release or a correction of one read -------------------------
const DIALOGS = {
  hold: { title: "Evidence hold", fields: [["case_number", "Case number"], ["reason", "Reason"]], path: "/api/lookup/hold", button: "Place hold" },
  release: { title: "Release hold", fields: [["reason", "Why the hold is no longer needed"]], path: "/api/lookup/release", button: "Release hold" },
  correct: { title: "Correct this read (the original is kept)", fields: [["text", "Plate as it really reads"], ["state", "State (two letters)"],
    ["reason", "What was wrong and how it was established"]], path: "/api/lookup/correct", button: "Save correction" },
};

function openDialog(kind, h, hold) {
  const spec = DIALOGS[kind];
  L.dialog = { kind, readId: h.read_id, holdId: hold ? hold.hold_id : null };
  const box = $("lookup-dialog");
  box.dataset.kind = kind;
  box.replaceChildren(el("h2", {}, spec.title + " · " + plateOf(h.text, h.state)),
    ...spec.fields.map(([name, label]) => el("label", {}, label, el("input", { id: "dialog-" + name, name, autocomplete: "off" }))),
    el("div", { class: "dialog-buttons" },
      el("button", { type: "submit", id: "dialog-submit", class: "small" }, spec.button),
      el("button", { type: "button", id: "dialog-cancel", class: "small", onclick: closeDialog }, "Cancel")),
    el("p", { id: "dialog-error", class: "error", role: "alert" }));
  if (kind === "hold") $("dialog-case_number").value = L.grounds.case_number;
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
  box.querySelector("input").focus();
}

function closeDialog() { L.dialog = null; $("lookup-dialog").hidden = true; $("lookup-dialog").replaceChildren(); }

async function submitDialog(e) {
  e.preventDefault();
  const d = L.dialog, spec = DIALOGS[d.kind], body = { read_id: d.readId };
  for (const [name] of spec.fields) body[name] = $("dialog-" + name).value.trim();
  if (d.holdId) body.hold_id = d.holdId;
  try { const h = await api("POST", spec.path, body); closeDialog(); replaceHit(h); }
  catch (err) { $("dialog-error").textContent = err.message; }
}

document.addEventListener("DOMContentLoaded", () => {
  const panel = $("tab-search");
  panel.append(
    el("form", { id: "lookup-dialog", class: "form dialog", hidden: "", onsubmit: submitDialog }),
    el("div", { id: "lookup-export", class: "form", hidden: "" },
      el("h2", {}, "Evidence package of the chosen reads"),
      el("p", { id: "export-none", class: "warning", hidden: "" },
        "No agency may receive packages from this device: the agency lists them in [evidence] permitted_recipients."),
      el("label", {}, "Recipient agency (permitted by this agency)", el("select", { id: "export-agency" })),
      el("label", {}, "Received by (name)", el("input", { id: "export-person", autocomplete: "off" })),
      el("button", { type: "button", id: "export-submit", class: "small", onclick: exportChosen }, "Export chosen")),
    el("p", { id: "lookup-error", class: "error", role: "alert" }),
    el("p", { id: "lookup-done", class: "note", role: "status" }));
  $("search-form").addEventListener("submit", search);
  // Logged out or expired: the next user of this screen must not find the last one's results.
  new MutationObserver(() => { if (!$("login-screen").hidden) forget(); })
    .observe($("login-screen"), { attributes: true, attributeFilter: ["hidden"] });
});

function forget() {
  L.grounds = null; L.hits.clear(); closeDialog();
  $("search-results").replaceChildren(); $("lookup-export").hidden = true;
  for (const id of ["lookup-error", "lookup-done", "search-error"]) $(id).textContent = "";
  for (const id of ["search-plate", "search-purpose", "search-case", "export-person"]) $(id).value = "";
}
