// Undoing a transaction from its history line. Each line that can still be
// reversed (not a reversal itself, not yet reversed in full) has a "Reverse"
// button; it opens a dialog asking how much, all that is left unless changed.
// A reversal's line says what it undoes, linked to that line (or, when that
// line is not loaded, to a summary of the transaction); a reversed line says
// how much of it has been undone.
//
// The key of a reversal (see once.js) is kept per transaction until it
// succeeds: closing the dialog after a lost answer and reversing again sends
// the same key, so the reversal happens once.

import { call, newIdempotencyKey, plainWords } from "./api.js";
import { sendOnce } from "./once.js";
import { AMOUNT_RULE } from "./postings.js";
import { element } from "./wallet.js";

const $ = (id) => document.getElementById(id);

/** A transaction's id as the page shows it: its first eight hex digits. */
export function shortId(id) {
  return id.slice(0, 8);
}

/** What a reversal of each kind does, in words. */
const EFFECT = {
  topup: "Takes the credits back from the user (a clawback; a balance never goes below 0).",
  bonus: "Takes the credits back from the user (a clawback; a balance never goes below 0).",
  spend: "Gives the credits back to the user (a refund).",
  transfer: "Sends the credits back from the receiver to the sender (never below 0).",
};

export class Reversals {
  /** `wallet` is the Wallet shown; `onReversed()` runs after each success. */
  constructor(wallet, onReversed) {
    this.wallet = wallet;
    this.onReversed = onReversed;
    this.keys = new Map(); // transaction id -> the key of its reversal not yet confirmed
    this.entry = null; // the history entry the dialog reverses
    this.left = 0n; // how much of it is left to reverse, as the dialog offered
    this.target = null; // the transaction whose line was last pointed to
    this.summed = { entries: null, reversed: new Map() }; // reversed amounts of the loaded lines
    this.dialog = $("reverse");
    this.form = this.dialog.querySelector("form");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.querySelector("[data-cancel]").addEventListener("click", () => this.dialog.close());
    wallet.onRow((row, entry) => this.decorate(row, entry));
  }

  /** Another user is shown: no dialog, summary or message left over. */
  reset() {
    this.dialog.close();
    $("transaction").close();
    $("history-done").textContent = "";
    this.target = null;
  }

  /**
   * How much of a transaction is reversed: what the server said when the line
   * was loaded, or more when reversals loaded since say so. Every reversal of
   * a line is in the same history, newer than it, so the loaded ones count.
   */
  reversedOf(entry) {
    if (this.summed.entries !== this.wallet.entries) {
      const reversed = new Map();
      for (const e of this.wallet.entries) {
        if (e.reverses) reversed.set(e.reverses, (reversed.get(e.reverses) ?? 0n) + BigInt(e.amount));
      }
      this.summed = { entries: this.wallet.entries, reversed };
    }
    const loaded = this.summed.reversed.get(entry.transaction_id) ?? 0n;
    const said = BigInt(entry.reversed_amount);
    return loaded > said ? loaded : said;
  }

  /** Add to a history line: what it undoes, how much of it is undone, the Reverse button. */
  decorate(row, entry) {
    const kind = row.querySelector("td.kind");
    if (entry.reverses) {
      const link = element("button", "link", `reverses ${shortId(entry.reverses)}`);
      link.type = "button";
      link.dataset.reverses = entry.reverses;
      link.title = `Show the transaction ${entry.reverses}`;
      link.addEventListener("click", () => this.point(entry.reverses));
      kind.append(" ", link);
      return; // a reversal cannot itself be reversed
    }
    const reversed = this.reversedOf(entry);
    const amount = BigInt(entry.amount);
    if (reversed > 0n) {
      const text = reversed >= amount ? "reversed in full" : `reversed ${reversed} of ${amount}`;
      kind.append(" ", element("small", "reversed", text));
    }
    if (entry.transaction_id === this.target) row.classList.add("target");
    if (reversed >= amount) return;
    const button = element("button", "secondary small", "Reverse");
    button.type = "button";
    button.addEventListener("click", () => this.open(entry));
    row.querySelector("td.actions").append(button);
  }

  /** Bring a transaction's line into view, or show its summary when it is not loaded. */
  async point(transactionId) {
    this.target = transactionId;
    for (const marked of document.querySelectorAll("#history tr.target")) marked.classList.remove("target");
    const row = document.querySelector(`#history tr[data-transaction="${transactionId}"]`);
    if (row) {
      row.classList.add("target");
      row.tabIndex = -1;
      row.scrollIntoView({ block: "center" });
      row.focus({ preventScroll: true });
      return;
    }
    const dialog = $("transaction");
    const fields = dialog.querySelector("dl");
    dialog.querySelector("h3").textContent = `Transaction ${shortId(transactionId)}`;
    fields.replaceChildren(element("dd", "", "Loading…"));
    dialog.showModal();
    try {
      const t = await call("GET", `/v1/transactions/${encodeURIComponent(transactionId)}`);
      const rows = [
        ["Kind", t.kind],
        ["Amount", `${t.amount} ${this.wallet.assetName(t.asset)}`],
        ["Time", new Date(t.created_at).toLocaleString()],
        ["Reversed", `${t.reversed_amount} of ${t.amount}`],
        ["Note", t.metadata?.note ?? ""],
        ["Id", t.transaction_id],
      ];
      fields.replaceChildren(
        ...rows.flatMap(([name, value]) => [element("dt", "", name), element("dd", "", value)]),
      );
    } catch (error) {
      fields.replaceChildren(element("dd", "error", plainWords(error)));
    }
  }

  /** Ask how much of a line to reverse: all that is left, unless changed. */
  open(entry) {
    const amount = BigInt(entry.amount);
    const reversed = this.reversedOf(entry);
    const asset = this.wallet.assetName(entry.asset);
    this.entry = entry;
    this.left = amount - reversed;
    this.form.reset();
    this.form.dataset.key = this.keys.get(entry.transaction_id) ?? newIdempotencyKey();
    this.say("");
    $("reverse-title").textContent = `Reverse the ${entry.kind} of ${amount} ${asset}`;
    this.dialog.querySelector("[data-effect]").textContent = EFFECT[entry.kind];
    this.dialog.querySelector("[data-left]").textContent =
      reversed > 0n ? `${reversed} already reversed; ${this.left} left.` : "";
    const input = this.form.querySelector("input[name=amount]");
    input.value = String(this.left);
    $("history-done").textContent = "";
    this.dialog.showModal();
    input.select();
  }

  say(error) {
    this.form.querySelector("[data-error]").textContent = error;
  }

  async submit() {
    const entry = this.entry;
    const id = entry.transaction_id;
    const { amount, note } = Object.fromEntries(new FormData(this.form));
    const body = { amount: amount.trim() };
    if (note.trim()) body.metadata = { note: note.trim() };
    const asset = this.wallet.assetName(entry.asset);
    try {
      const receipt = await sendOnce(this.form, (idempotencyKey) => {
        this.say("");
        return call("POST", `/v1/transactions/${encodeURIComponent(id)}/reversals`, {
          body,
          idempotencyKey,
        });
      });
      if (!receipt) return; // the second click of a double click
      this.keys.delete(id);
      this.dialog.close();
      const balance = receipt.user_id === this.wallet.userId ? `; the balance is now ${receipt.balance}` : "";
      $("history-done").textContent =
        `Reversed ${receipt.amount} ${asset} of the ${entry.kind} ${shortId(id)}${balance}.`;
      this.onReversed();
    } catch (error) {
      this.keys.set(id, this.form.dataset.key);
      this.say(this.words(error, entry, asset));
    }
  }

  /** A refused reversal, in plain words. */
  words(error, entry, asset) {
    switch (error.code) {
      case "reversal_exceeds_original":
        return this.left > 0n
          ? `That is more than is left to reverse: at most ${this.left} of this ${entry.kind} of ${entry.amount}.`
          : `This ${entry.kind} has already been reversed in full.`;
      case "not_reversible":
        return "A reversal cannot itself be reversed.";
      case "insufficient_funds":
        return `Not enough ${asset} left to take back: a balance never goes below 0.`;
      default:
        return plainWords(error, { asset, invalid: AMOUNT_RULE });
    }
  }
}
