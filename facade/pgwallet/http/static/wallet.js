// The selected user's wallet: who they are, their balances with a chart per
// asset, and their history, newest first, a page at a time through the API's
// cursor. `refresh()` is cheap enough to poll: it redraws only what changed.

import { call, withQuery } from "./api.js";
import { balanceChart } from "./chart.js";

const PAGE_SIZE = 20;

const $ = (id) => document.getElementById(id);

/** A new element, with a class and text when given. */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The note of a history entry: its metadata's `note` alone, else each key as `key: value`
 * (a value that is not text as JSON), one per line. */
function noteOf(metadata) {
  const pairs = Object.entries(metadata || {});
  if (pairs.length === 1 && pairs[0][0] === "note" && typeof pairs[0][1] === "string") {
    return pairs[0][1];
  }
  const note = element("span", "pairs");
  for (const [key, value] of pairs) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    note.append(element("span", "pair", `${key}: ${text}`));
  }
  return note;
}

// The column headings, which a narrow screen shows beside each value of a card.
const LABELS = {
  time: "Time", kind: "Kind", asset: "Asset", "num amount": "Amount",
  "num balance-after": "Balance after", note: "Note", actions: "",
};

export class Wallet {
  constructor() {
    this.userId = null;
    this.user = null;
    this.assets = new Map(); // code -> asset, for names and statuses
    this.balances = []; // [{asset, balance, held, available}] as the API returns them
    this.entries = []; // history items, newest first
    this.nextCursor = null;
    this.generation = 0; // answers for a user no longer shown are dropped
    this.listeners = [];
    this.rowListeners = [];
    $("load-more").addEventListener("click", () => this.loadMore());
  }

  /** Call `listener()` whenever the balances were redrawn. */
  onBalances(listener) {
    this.listeners.push(listener);
  }

  /** Call `listener(row, entry)` for each history row drawn, to add to what it shows. */
  onRow(listener) {
    this.rowListeners.push(listener);
  }

  assetName(code) {
    return this.assets.get(code)?.name || code;
  }

  balanceOf(code) {
    return this.balances.find((b) => b.asset === code)?.balance;
  }

  availableOf(code) {
    return this.balances.find((b) => b.asset === code)?.available;
  }

  /** Show another user: forget the one shown, load everything of the new one. */
  async show(userId) {
    this.generation += 1;
    const generation = this.generation;
    Object.assign(this, { userId, user: null, balances: [], entries: [], nextCursor: null });
    $("wallet-content").hidden = true;
    $("wallet-message").textContent = "Loading…";
    try {
      const [user, assets] = await Promise.all([
        call("GET", `/v1/users/${encodeURIComponent(userId)}`),
        call("GET", "/v1/assets"),
      ]);
      if (generation !== this.generation) return;
      this.user = user;
      this.assets = new Map(assets.items.map((a) => [a.code, a]));
      this.renderUser();
      await this.refresh();
    } catch (error) {
      if (generation !== this.generation) return;
      $("wallet-message").textContent =
        error.code === "user_not_found" || error.code === "invalid_request"
          ? `There is no user with the id ${userId}. Pick one from the list.`
          : `The wallet could not be loaded: ${error.message}`;
    }
  }

  /** Fetch the balances and the newest history page; redraw what changed. */
  async refresh() {
    if (!this.user) return;
    const generation = this.generation;
    const id = encodeURIComponent(this.userId);
    const [balances, page] = await Promise.all([
      call("GET", `/v1/users/${id}/balances`),
      call("GET", withQuery(`/v1/users/${id}/transactions`, { limit: PAGE_SIZE })),
    ]);
    if (generation !== this.generation) return;
    const historyChanged = this.mergeNewest(page);
    const balancesChanged = JSON.stringify(balances.balances) !== JSON.stringify(this.balances);
    this.balances = balances.balances;
    if (historyChanged) this.renderHistory();
    if (historyChanged || balancesChanged) this.renderBalances();
    // Shown once a refresh succeeds: a poll completes a user whose first load failed.
    $("wallet-message").textContent = "";
    $("wallet-content").hidden = false;
  }

  /** Put the entries newer than those shown on top; true when there were any. */
  mergeNewest(page) {
    const newest = this.entries[0];
    if (!newest) {
      this.entries = page.items;
      this.nextCursor = page.next_cursor;
      return true;
    }
    const fresh = page.items.filter((e) => BigInt(e.entry_id) > BigInt(newest.entry_id));
    if (fresh.length === page.items.length && page.next_cursor) {
      // More arrived than a page holds: start over from this page rather than leave a gap.
      this.entries = page.items;
      this.nextCursor = page.next_cursor;
    } else {
      this.entries = fresh.concat(this.entries);
    }
    return fresh.length > 0;
  }

  async loadMore() {
    if (!this.nextCursor) return;
    const generation = this.generation;
    const button = $("load-more");
    button.setAttribute("aria-busy", "true");
    try {
      const page = await call(
        "GET",
        withQuery(`/v1/users/${encodeURIComponent(this.userId)}/transactions`, {
          limit: PAGE_SIZE,
          cursor: this.nextCursor,
        }),
      );
      if (generation !== this.generation) return;
      this.entries = this.entries.concat(page.items);
      this.nextCursor = page.next_cursor;
      this.renderHistory();
      this.renderBalances(); // the charts reach further back now
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  renderUser() {
    $("user-name").textContent = this.user.name;
    $("user-email").textContent = this.user.email;
    $("user-status").textContent = this.user.status;
    $("user-id").textContent = this.user.id;
  }

  renderBalances() {
    const list = $("balances");
    list.replaceChildren(
      ...this.balances.map(({ asset, balance, held: heldAmount, available }) => {
        const item = element("li", "balance");
        item.dataset.asset = asset;
        const name = element("span", "name", this.assetName(asset));
        if (this.assets.get(asset)?.status === "frozen") name.append(element("span", "badge", "frozen"));
        item.append(name, element("strong", "amount", balance), element("code", "code", asset));
        // What holds reserve of it, and what is left to spend or hold.
        const held = element("span", "held");
        held.append("held ", element("span", "held-amount", heldAmount), " · available ",
          element("span", "available", available));
        item.append(held);
        // The chart: the balance after each loaded entry of this asset, oldest first,
        // from 0 when the whole history is loaded (a wallet starts empty).
        const after = this.entries.filter((e) => e.asset === asset).map((e) => BigInt(e.balance_after));
        const label = `${this.assetName(asset)} balance over the last ${after.length} postings`;
        const points = [...(this.nextCursor ? [] : [0n]), ...after.reverse()];
        if (after.length === 0) points.push(BigInt(balance));
        item.append(balanceChart(points, label));
        return item;
      }),
    );
    for (const listener of this.listeners) listener();
  }

  renderHistory() {
    $("history").replaceChildren(
      ...this.entries.map((e) => {
        const row = element("tr");
        row.dataset.entry = e.entry_id;
        row.dataset.transaction = e.transaction_id;
        const when = element("time", "", new Date(e.created_at).toLocaleString());
        when.dateTime = e.created_at;
        // ASCII signs, so that a copied amount is a number again.
        const sign = e.direction === "debit" ? "-" : "+";
        const cells = [
          ["time", when],
          ["kind", element("span", "tag", e.kind)],
          ["asset", e.asset],
          ["num amount", element("span", e.direction, `${sign}${e.amount}`)],
          ["num balance-after", e.balance_after],
          ["note", noteOf(e.metadata)],
          ["actions", ""],
        ];
        for (const [className, content] of cells) {
          const cell = element("td", className);
          if (LABELS[className]) cell.dataset.label = LABELS[className];
          cell.append(content);
          row.append(cell);
        }
        for (const listener of this.rowListeners) listener(row, e);
        return row;
      }),
    );
    $("history-empty").hidden = this.entries.length > 0;
    $("load-more").hidden = !this.nextCursor;
  }
}
