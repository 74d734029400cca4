// The overview the dashboard opens on: every asset at a glance
// (GET /v1/assets/{code}/summary) and the latest transactions as they happen
// (the live feed, events.js). A summary reads the asset's whole ledger, so
// events refresh them at most every SUMMARY_MS, not on every event.

import { call } from "./api.js";

const LATEST = 15; // transactions listed
const SUMMARY_MS = 5000;

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function figure(label, value) {
  const line = element("div", "figure");
  line.append(element("span", "label", label), element("span", "value", value));
  return line;
}

export class Overview {
  constructor() {
    this.refreshing = null; // the timer of the next summaries' refresh
    this.latest = []; // events, newest first
  }

  /** Draw every asset's summary (and again at most every SUMMARY_MS after an event). */
  async showSummaries() {
    const assets = await call("GET", "/v1/assets");
    const summaries = await Promise.all(
      assets.items.map((asset) =>
        call("GET", `/v1/assets/${encodeURIComponent(asset.code)}/summary`).then((s) => [asset, s]),
      ),
    );
    const list = $("asset-summaries");
    list.replaceChildren(
      ...summaries.map(([asset, summary]) => {
        const card = element("li", "summary");
        card.dataset.asset = asset.code;
        const title = element("h3", null, asset.name);
        if (asset.status !== "active") title.append(element("span", "badge", asset.status));
        card.append(
          title,
          figure("Issued", summary.issued),
          figure("Revenue", summary.revenue),
          figure("In circulation", summary.in_circulation),
          figure("Held", summary.held),
          figure("Holders", String(summary.holders)),
          element(
            "p",
            summary.verified ? "verified" : "error",
            summary.verified ? "✓ verified" : `✗ ${summary.verify_detail}`,
          ),
        );
        return card;
      }),
    );
  }

  /** A new transaction: list it first; refresh the summaries soon. */
  add(event) {
    this.latest = [event, ...this.latest].slice(0, LATEST);
    const rows = this.latest.map((e) => {
      const row = element("tr");
      row.dataset.transaction = e.transaction_id;
      const cells = [
        ["Time", null, new Date(e.created_at).toLocaleTimeString()],
        ["Kind", null, e.kind],
        ["Asset", null, e.asset],
        ["Amount", "num", e.amount],
        ["User", null, e.user_id],
      ];
      for (const [label, className, content] of cells) {
        // A narrow screen shows the rows as cards, each value beside its heading.
        const cell = element("td", className, content);
        cell.dataset.label = label;
        row.append(cell);
      }
      return row;
    });
    $("latest").replaceChildren(...rows);
    $("latest-empty").hidden = true;
    if (!this.refreshing) {
      this.refreshing = setTimeout(() => {
        this.refreshing = null;
        this.showSummaries().catch(() => {});
      }, SUMMARY_MS);
    }
  }
}
