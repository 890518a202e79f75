// The ops console: plain JavaScript over the ops API (no build step). The function key stays in
// this tab's sessionStorage and goes out only in the x-functions-key header.
"use strict";
const base = location.pathname.replace(/\/console(\/.*)?$/, "");
const $ = (id) => document.getElementById(id);

function key() { return sessionStorage.getItem("functionKey") || ""; }

async function api(method, path, body) {
  const init = { method, headers: { "x-functions-key": key() } };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers["content-type"] = "application/json"; }
  const response = await fetch(`${base}/${path}`, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  row.appendChild(td);
  return td;
}

function say(text) { $("message").textContent = text || ""; }

async function loadDashboard() {
  const d = await api("GET", "dashboard");
  const cards = $("cards");
  cards.replaceChildren();
  const synced = Object.values(d.synced || {}).reduce((a, b) => a + b, 0);
  const poison = Object.values(d.queues || {}).reduce((a, q) => a + (q.poison || 0), 0);
  const queued = Object.values(d.queues || {}).reduce((a, q) => a + (q.messages || 0), 0);
  const items = [["Synced today", synced], ["Open exceptions", d.open_exceptions], ["Queued", queued],
                 ["Poison", poison],
                 ["Rate cache hits", d.rate_cache_hit_ratio === null ? "–" : `${Math.round(d.rate_cache_hit_ratio * 100)} %`]];
  for (const [label, value] of items) {
    const div = document.createElement("div");
    div.className = "card";
    div.dataset.label = label;
    const b = document.createElement("b");
    b.textContent = value;
    div.append(b, label);
    cards.appendChild(div);
  }
  for (const [reason, count] of Object.entries(d.exceptions_by_reason || {})) {
    const div = document.createElement("div");
    div.className = "card";
    const b = document.createElement("b");
    b.textContent = count;
    div.append(b, reason);
    cards.appendChild(div);
  }
}

async function loadExceptions() {
  const data = await api("GET", "exceptions?limit=200");
  const body = $("exceptions").tBodies[0];
  body.replaceChildren();
  for (const e of data.items) {
    const row = body.insertRow();
    row.dataset.id = `${e.entity}/${e.entity_id}`;
    for (const value of [e.entity, e.entity_id, e.reason_code, e.message, e.attempts, e.last_seen]) cell(row, value);
    const button = document.createElement("button");
    button.textContent = "Retry";
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const result = await api("POST", `exceptions/${encodeURIComponent(e.entity)}/${encodeURIComponent(e.entity_id)}/retry`);
        const first = result.results[0];
        button.textContent = first.ok ? "Queued" : "Failed";
        say(first.ok ? "" : first.error);
      } catch (error) { say(error.message); button.disabled = false; }
    });
    cell(row, "").appendChild(button);
  }
  if (!data.items.length) cell(body.insertRow(), "No open exceptions.").colSpan = 7;
}

async function loadTimeline(event) {
  event.preventDefault();
  const entity = $("tl-entity").value, id = $("tl-id").value.trim();
  try {
    const data = await api("GET", `timeline/${encodeURIComponent(entity)}/${encodeURIComponent(id)}`);
    const body = $("timeline").tBodies[0];
    body.replaceChildren();
    for (const e of data.events) {
      const row = body.insertRow();
      for (const value of [e.at, e.source, e.step, e.outcome, e.target]) cell(row, value);
    }
    if (data.exception && data.exception.status === "open") {
      cell(body.insertRow(), `Open exception: ${data.exception.reason_code} — ${data.exception.message}`).colSpan = 5;
    }
    say("");
  } catch (error) { say(error.message); }
}

async function refresh() {
  if (!key()) return;
  try { await loadDashboard(); await loadExceptions(); say(""); } catch (error) { say(error.message); }
}

$("save-key").addEventListener("click", () => { sessionStorage.setItem("functionKey", $("key").value); refresh(); });
$("timeline-form").addEventListener("submit", loadTimeline);
$("mapping-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const section = $("map-section").value, k = $("map-key").value.trim(), v = $("map-value").value.trim();
  try {
    await api("PUT", `mappings/${encodeURIComponent(section)}/${encodeURIComponent(k)}`, { value: v });
    $("map-result").textContent = `Saved ${section}: ${k} → ${v}`;
    say("");
  } catch (error) { say(error.message); }
});
$("key").value = key();
refresh();
setInterval(refresh, 30000);
