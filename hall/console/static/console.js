// The console's live parts: the dashboard's tiles and a terminal's detail page refresh every
// 2 s from the console's JSON endpoints, without reloading the page. Text goes in through
// textContent only (never innerHTML), so nothing a terminal reports can inject markup.
"use strict";

const POLL_MS = 2000;
const LEVEL_TEXT = { green: "正常", amber: "需关注", red: "故障" };
const EVENT_TEXT = { status: "状态变化", offline: "离线", online: "上线", command: "指令", ack: "确认" };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}

function when(iso) { return iso ? iso.slice(0, 19).replace("T", " ") : "—"; }

// `url` is a string or a function giving the URL of each poll (the dashboard's carries the
// version it has seen).
async function poll(url, apply) {
  const live = document.getElementById("live");
  try {
    const r = await fetch(typeof url === "function" ? url() : url,
                          { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) {      // the session ended: the login page says why (X-Session-Expired)
      const why = r.headers.get("X-Session-Expired");
      location.href = "/console/login?next=" + encodeURIComponent(location.pathname) +
                      (why ? "&expired=" + encodeURIComponent(why) : "");
      return;
    }
    if (!r.ok) throw new Error("HTTP " + r.status);
    apply(await r.json());
    if (live) { live.classList.remove("stale"); live.textContent = "● 实时"; }
  } catch (err) {
    if (live) { live.classList.add("stale"); live.textContent = "● 连接中断，正在重试"; }
  } finally {
    setTimeout(() => poll(url, apply), POLL_MS);
  }
}

function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

// Tiles are updated in place, keyed by terminal id, not rebuilt: a tile being clicked (or
// hovered) while a poll lands stays the same element, so the click is never lost between its
// mousedown on the old element and its mouseup on a new one.
function makeTile(t) {
  return el("a", { "data-terminal": t.id }, el("span", { class: "state" }), el("strong", { class: "name" }),
            el("span", { class: "where" }), el("span", { class: "reason" }), el("span", { class: "version" }));
}

function updateTile(a, t) {
  const cls = "tile " + t.level, href = "/console/terminals/" + encodeURIComponent(t.id);
  if (a.className !== cls) a.className = cls;
  if (a.getAttribute("href") !== href) a.setAttribute("href", href);
  setText(a.querySelector(".state"), LEVEL_TEXT[t.level]);
  setText(a.querySelector(".name"), t.name);
  setText(a.querySelector(".where"), t.id + " · " + t.location);
  setText(a.querySelector(".reason"), t.reason);
  setText(a.querySelector(".version"), "版本 " + (t.app_version || "—"));
  return a;
}

// The hall answers with every tile ("full") or, given the version this page has seen, only the
// tiles that changed since (hall/console/dashboard.py). Returns false when a changed tile is not
// on the page (it should not be: a new terminal makes the answer full), so the next poll asks
// for everything.
function renderTiles(data) {
  const box = document.getElementById("tiles");
  const existing = new Map(Array.from(box.querySelectorAll("a.tile[data-terminal]"), a => [a.dataset.terminal, a]));
  let complete = true;
  if (data.full) {
    const wanted = data.terminals.map(t => {
      const a = updateTile(existing.get(t.id) || makeTile(t), t);
      existing.delete(t.id);
      return a;
    });
    for (const gone of existing.values()) gone.remove();
    if (wanted.length) box.querySelectorAll(":scope > :not(a.tile)").forEach(n => n.remove());
    // Re-insert only what is out of order (moving a node keeps it the same element anyway).
    wanted.forEach((a, i) => { if (box.children[i] !== a) box.insertBefore(a, box.children[i] || null); });
  } else {
    for (const t of data.terminals) {
      const a = existing.get(t.id);
      if (a) updateTile(a, t); else complete = false;
    }
  }
  for (const [level, n] of Object.entries(data.summary)) {
    const b = document.querySelector(`[data-count="${level}"]`);
    if (b) setText(b, String(n));
  }
  return complete;
}

function rows(tbody, items, make, emptyText, cols) {
  tbody.replaceChildren(...(items.length ? items.map(make)
    : [el("tr", { class: "none" }, el("td", { colspan: String(cols) }, emptyText))]));
}

function renderTerminal(t) {
  const status = document.getElementById("status");
  status.className = "status " + t.level;
  status.querySelector(".state").textContent = LEVEL_TEXT[t.level];
  document.getElementById("reason").textContent = t.reason;
  document.getElementById("last-heartbeat").textContent = t.last_heartbeat ? when(t.last_heartbeat) : "从未";
  document.getElementById("screen").textContent = t.screen || "—";
  document.getElementById("outbox").textContent = t.outbox_pending + " 件";
  document.getElementById("version").textContent = t.app_version || "—";
  const clock = document.getElementById("clock");
  clock.textContent = t.clock_text;
  clock.classList.toggle("flag", t.clock_off);
  rows(document.querySelector("#commands tbody"), t.commands, c =>
    el("tr", { "data-command": c.id, class: "cmd-" + c.state }, el("td", {}, when(c.created_at)), el("td", {}, c.kind_text),
       el("td", {}, c.text), el("td", {}, c.created_by), el("td", { class: "cmd-state" }, c.state_text)), "暂无指令", 5);
  rows(document.querySelector("#events tbody"), t.events, e =>
    el("tr", { class: "ev-" + e.level }, el("td", {}, when(e.at)), el("td", {}, EVENT_TEXT[e.kind] || e.kind),
       el("td", {}, e.text)), "暂无记录", 3);
}

// An upload over the page's limit is stopped here, with the reason in words, rather than sent
// only to be refused by the hall with a bare 413.
function guardUploadSize(form) {
  const input = form.querySelector("input[type=file][data-max-bytes]");
  const warning = form.querySelector("#file-too-big");
  if (!input || !warning) return;
  const tooBig = () => Array.from(input.files || []).some(f => f.size > Number(input.dataset.maxBytes));
  input.addEventListener("change", () => { warning.hidden = !tooBig(); });
  form.addEventListener("submit", ev => { if (tooBig()) { ev.preventDefault(); warning.hidden = false; } });
}

document.addEventListener("DOMContentLoaded", () => {
  const importForm = document.getElementById("import-form");
  if (importForm) guardUploadSize(importForm);
  const tiles = document.getElementById("tiles");
  if (tiles) {
    let version = tiles.dataset.version || "";          // the version the server-rendered tiles show
    const url = () => tiles.dataset.poll + (version ? "?since=" + encodeURIComponent(version) : "");
    setTimeout(() => poll(url, data => { version = renderTiles(data) ? data.version : ""; }), POLL_MS);
  }
  const terminal = document.getElementById("terminal");
  if (terminal) setTimeout(() => poll(terminal.dataset.poll, renderTerminal), POLL_MS);
});
