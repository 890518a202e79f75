// The CRM page: the CRM flow's exceptions (entities crm-order, crm-contact) with retry, their timeline,
// and the delta reconciliation (dry run / apply), all over the ops API with the operator's function key.
"use strict";
const base = location.pathname.replace(/\/console(\/.*)?$/, "");
const $ = (id) => document.getElementById(id);
const ENTITIES = ["crm-order", "crm-contact"];

function key() { return sessionStorage.getItem("functionKey") || ""; }
function say(text) { $("message").textContent = text || ""; }

async function api(method, path) {
  const response = await fetch(`${base}/${path}`, { method, headers: { "x-functions-key": key() } });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text === undefined || text === null ? "" : String(text);
  return td;
}

async function loadSummary() {
  const s = await api("GET", "crm/summary");
  const cards = $("crm-cards");
  cards.replaceChildren();
  const items = [["Flow", s.on ? "on" : "off (DATAVERSE_URL not set)"], ["Open CRM exceptions", s.open_exceptions],
                 ["Orders reconciled until", s.orders_checkpoint || "–"], ["Customers reconciled until", s.customers_checkpoint || "–"],
                 ...Object.entries(s.exceptions_by_reason || {})];
  for (const [label, value] of items) {
    const div = document.createElement("div"), b = document.createElement("b");
    div.className = "card";
    div.dataset.label = label;
    b.textContent = value;
    div.append(b, label);
    cards.appendChild(div);
  }
}

async function loadExceptions() {
  const body = $("crm-exceptions").tBodies[0];
  body.replaceChildren();
  for (const entity of ENTITIES) {
    const data = await api("GET", `exceptions?entity=${entity}&limit=200`);
    for (const e of data.items) {
      const row = body.insertRow();
      row.dataset.entity = e.entity;
      row.dataset.id = e.entity_id;
      for (const v of [e.entity, e.entity_id, e.reason_code, e.message, e.last_seen]) cell(row, v);
      const button = document.createElement("button");
      button.textContent = "Retry";
      button.addEventListener("click", async () => {
        try {
          const answer = await api("POST", `exceptions/${encodeURIComponent(e.entity)}/${encodeURIComponent(e.entity_id)}/retry`);
          say("");
          const [result] = answer.results || [];
          button.replaceWith(document.createTextNode(result && result.ok ? `retry: ${result.result}` : `not retried: ${result ? result.error : "?"}`));
        } catch (error) { say(error.message); }
      });
      cell(row, "").appendChild(button);
    }
  }
  if (!body.rows.length) cell(body.insertRow(), "No open CRM exceptions.").colSpan = 6;
}

async function showTimeline(event) {
  event.preventDefault();
  const body = $("crm-timeline").tBodies[0];
  body.replaceChildren();
  try {
    const data = await api("GET", `timeline/${$("crm-tl-entity").value}/${encodeURIComponent($("crm-tl-id").value)}`);
    for (const item of data.events || []) {
      const row = body.insertRow();
      for (const v of [item.at, item.source, item.step, item.outcome, item.target]) cell(row, v);
    }
    if (!body.rows.length) cell(body.insertRow(), "Nothing recorded for this id.").colSpan = 5;
    say("");
  } catch (error) { say(error.message); }
}

async function reconcile(apply) {
  try {
    const answer = await api("POST", `${$("recon-kind").value}?dry_run=${apply ? "false" : "true"}`);
    $("recon-result").textContent = JSON.stringify(answer, null, 2);
    say("");
  } catch (error) { $("recon-result").textContent = ""; say(error.message); }
}

async function refresh() {
  if (!key()) return;
  try {
    await loadSummary();
    await loadExceptions();
    say("");
  } catch (error) { say(error.message); }
}

$("save-key").addEventListener("click", () => { sessionStorage.setItem("functionKey", $("key").value); refresh(); });
$("crm-timeline-form").addEventListener("submit", showTimeline);
$("recon-dry").addEventListener("click", () => reconcile(false));
$("recon-apply").addEventListener("click", () => reconcile(true));
$("key").value = key();
refresh();
