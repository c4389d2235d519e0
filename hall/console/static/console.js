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

async function poll(url, apply) {
  const live = document.getElementById("live");
  try {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 401) { location.href = "/console/login?next=" + encodeURIComponent(location.pathname); return; }
    if (!r.ok) throw new Error("HTTP " + r.status);
    apply(await r.json());
    if (live) { live.classList.remove("stale"); live.textContent = "● 实时"; }
  } catch (err) {
    if (live) { live.classList.add("stale"); live.textContent = "● 连接中断，正在重试"; }
  } finally {
    setTimeout(() => poll(url, apply), POLL_MS);
  }
}

function renderTiles(data) {
  const box = document.getElementById("tiles");
  box.replaceChildren(...data.terminals.map(t =>
    el("a", { class: "tile " + t.level, href: "/console/terminals/" + encodeURIComponent(t.id), "data-terminal": t.id },
       el("span", { class: "state" }, LEVEL_TEXT[t.level]), el("strong", { class: "name" }, t.name),
       el("span", { class: "where" }, t.id + " · " + t.location), el("span", { class: "reason" }, t.reason))));
  for (const [level, n] of Object.entries(data.summary)) {
    const b = document.querySelector(`[data-count="${level}"]`);
    if (b) b.textContent = String(n);
  }
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
  rows(document.querySelector("#commands tbody"), t.commands, c =>
    el("tr", { "data-command": c.id, class: "cmd-" + c.state }, el("td", {}, when(c.created_at)), el("td", {}, c.kind_text),
       el("td", {}, c.text), el("td", {}, c.created_by), el("td", { class: "cmd-state" }, c.state_text)), "暂无指令", 5);
  rows(document.querySelector("#events tbody"), t.events, e =>
    el("tr", { class: "ev-" + e.level }, el("td", {}, when(e.at)), el("td", {}, EVENT_TEXT[e.kind] || e.kind),
       el("td", {}, e.text)), "暂无记录", 3);
}

document.addEventListener("DOMContentLoaded", () => {
  const tiles = document.getElementById("tiles");
  if (tiles) setTimeout(() => poll(tiles.dataset.poll, renderTiles), POLL_MS);
  const terminal = document.getElementById("terminal");
  if (terminal) setTimeout(() => poll(terminal.dataset.poll, renderTerminal), POLL_MS);
});
