// The Money page: payments (settled, settle-ready, posted, open, blocked) and the freight audit, drawn as inline
// SVG (no library, no CDN), with CSV export of both reports built in the browser from the ops API's JSON.
"use strict";
const base = location.pathname.replace(/\/console(\/.*)?$/, "");
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const STATUS_COLOURS = { settled: "#2e7d32", settle_ready: "#81c784", posted: "#1565c0", open: "#f9a825", blocked: "#c62828" };
let payments = null, freight = null;

function key() { return sessionStorage.getItem("functionKey") || ""; }
function say(text) { $("message").textContent = text || ""; }

async function api(path) {
  const response = await fetch(`${base}/${path}`, { headers: { "x-functions-key": key() } });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

function svgNode(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Bars: [{label, parts: [{name, value, colour}]}]; stacked, negatives drawn below the axis.
function barChart(container, bars, chartId) {
  container.replaceChildren();
  if (!bars.length) { container.textContent = "No data yet."; return; }
  const width = Math.max(320, bars.length * 56 + 60), height = 200, pad = 40;
  const tops = bars.map((b) => b.parts.filter((p) => p.value > 0).reduce((a, p) => a + p.value, 0));
  const bottoms = bars.map((b) => b.parts.filter((p) => p.value < 0).reduce((a, p) => a + p.value, 0));
  const max = Math.max(1e-9, ...tops), min = Math.min(0, ...bottoms);
  const scale = (height - 2 * pad) / (max - min || 1);
  const zero = pad + max * scale;
  const svg = svgNode("svg", { width, height, role: "img", id: chartId, viewBox: `0 0 ${width} ${height}` });
  svg.appendChild(svgNode("line", { x1: 30, x2: width - 10, y1: zero, y2: zero, stroke: "#889" }));
  bars.forEach((bar, i) => {
    const x = 40 + i * 56;
    let up = zero, down = zero;
    for (const part of bar.parts) {
      if (!part.value) continue;
      const h = Math.abs(part.value) * scale;
      const y = part.value > 0 ? (up -= h) : down;
      if (part.value < 0) down += h;
      const rect = svgNode("rect", { x, y, width: 36, height: Math.max(h, 1), fill: part.colour, "data-part": part.name });
      rect.appendChild(svgNode("title", {}, `${bar.label} ${part.name}: ${part.value.toFixed(2)}`));
      svg.appendChild(rect);
    }
    svg.appendChild(svgNode("text", { x: x + 18, y: height - 8, "text-anchor": "middle" }, bar.label));
  });
  container.appendChild(svg);
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
}

function csv(rows, columns) {
  const quote = (v) => { const s = v === undefined || v === null ? "" : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => quote(Array.isArray(r[c]) ? r[c].join(" ") : r[c])).join(","))].join("\n");
}

function download(name, text) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function drawPayments() {
  const legend = $("payments-legend");
  legend.replaceChildren();
  for (const [name, colour] of Object.entries(STATUS_COLOURS)) {
    const span = document.createElement("span"), i = document.createElement("i");
    i.style.background = colour;
    span.append(i, name.replace("_", "-"));
    legend.appendChild(span);
  }
  barChart($("payments-chart"), payments.per_day.map((d) => ({
    label: d.day.slice(5),
    parts: Object.entries(STATUS_COLOURS).map(([name, colour]) => ({ name, colour, value: Number(d[name] || 0) })),
  })), "payments-svg");
}

function drawFreight() {
  const colour = (v) => (v > 0 ? "#c62828" : "#1565c0");
  barChart($("drift-day-chart"), freight.per_day.map((d) => ({
    label: d.day.slice(5), parts: [{ name: "drift", value: Number(d.drift), colour: colour(Number(d.drift)) }],
  })), "drift-day-svg");
  barChart($("drift-service-chart"), freight.per_service.map((s) => ({
    label: s.service, parts: [{ name: "drift", value: Number(s.drift), colour: colour(Number(s.drift)) }],
  })), "drift-service-svg");
  const body = $("top-drift").tBodies[0];
  body.replaceChildren();
  for (const line of freight.top) {
    const row = body.insertRow();
    row.dataset.order = line.order_id;
    cell(row, line.order_name || line.order_id);
    cell(row, line.day);
    cell(row, line.service);
    for (const v of [line.quoted, line.charged, line.fo_invoiced, line.actual, line.drift]) cell(row, v, "num");
    cell(row, line.flagged ? "yes" : "");
  }
  if (!freight.top.length) cell(body.insertRow(), "No freight audited yet.").colSpan = 9;
}

async function refresh() {
  if (!key()) return;
  try {
    payments = await api("money/payments");
    freight = await api("money/freight?top=20");
    drawPayments();
    drawFreight();
    say("");
  } catch (error) { say(error.message); }
}

$("save-key").addEventListener("click", () => { sessionStorage.setItem("functionKey", $("key").value); refresh(); });
$("payments-csv").addEventListener("click", () => {
  if (payments) download("payments.csv", csv(payments.rows, ["day", "transaction", "order", "gateway", "kind", "amount", "currency", "status", "journal", "invoice", "reason"]));
});
$("freight-csv").addEventListener("click", () => {
  if (freight) download("freight-audit.csv", csv(freight.lines, ["day", "order_id", "order_name", "sales_order", "service", "fedex_service", "tracking", "currency", "quoted", "charged", "fo_order", "fo_invoiced", "actual", "drift", "flagged", "quote_match", "actual_source"]));
});
$("key").value = key();
refresh();
