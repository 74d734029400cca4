// Moving credits to another user: the transfer form of the wallet shown (the
// receiver found by searching the users by name or email), and, on each
// transfer's history line, the other user ("to Bob", "from Alice") linked to
// their wallet. The form posts once whatever the clicks and retries (once.js).

import { call, plainWords, withQuery } from "./api.js";
import { freshKey, sendOnce } from "./once.js";
import { AMOUNT_RULE } from "./postings.js";
import { shortId } from "./reversals.js";
import { nameAndEmail } from "./users.js";

const MATCHES = 6;
const SEARCH_DELAY_MS = 250;

const $ = (id) => document.getElementById(id);

export class Transfers {
  /**
   * `wallet` is the Wallet shown (the sender); `select(id)` switches the page to
   * another user; `onTransferred()` runs after each success.
   */
  constructor(wallet, select, onTransferred) {
    this.wallet = wallet;
    this.select = select;
    this.onTransferred = onTransferred;
    this.names = new Map(); // user id -> a promise of their name
    this.receiver = null; // the user picked to receive
    this.searchNumber = 0; // only the latest search may fill the matches
    this.form = $("transfer");
    this.search = $("transfer-search");
    this.form.append($("posting-fields").content.cloneNode(true));
    this.form.querySelector("button[type=submit]").textContent = "Transfer";
    let timer;
    this.search.addEventListener("input", () => {
      this.pick(null);
      clearTimeout(timer);
      timer = setTimeout(() => this.findReceivers(this.search.value.trim()), SEARCH_DELAY_MS);
    });
    this.search.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault(); // Enter picks the only match rather than sending the form
      const matches = $("transfer-matches").querySelectorAll("button[data-user]");
      if (matches.length === 1) matches[0].click();
    });
    $("transfer-matches").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-user]");
      if (button) this.pick(JSON.parse(button.dataset.user));
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    wallet.onRow((row, entry) => this.nameCounterparty(row, entry));
  }

  /** Show the form afresh (another user): a new key, no receiver, values or messages. */
  reset() {
    this.form.reset();
    this.pick(null);
    $("transfer-matches").replaceChildren();
    this.say("", "");
    freshKey(this.form);
  }

  say(error, done) {
    this.form.querySelector("[data-error]").textContent = error;
    this.form.querySelector("[data-done]").textContent = done;
  }

  /** Offer the users whose name or email contains `query`, but the sender. */
  async findReceivers(query) {
    const number = ++this.searchNumber;
    const list = $("transfer-matches");
    if (!query) {
      list.replaceChildren();
      return;
    }
    let users;
    try {
      const page = await call("GET", withQuery("/v1/users", { q: query, limit: MATCHES + 1 }));
      users = page.items.filter((u) => u.id !== this.wallet.userId).slice(0, MATCHES);
    } catch (error) {
      if (number === this.searchNumber) this.say(plainWords(error), "");
      return;
    }
    if (number !== this.searchNumber) return;
    const items = users.map((user) => {
      this.names.set(user.id, Promise.resolve(user.name));
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.dataset.user = JSON.stringify({ id: user.id, name: user.name, email: user.email });
      button.append(...nameAndEmail(user));
      const item = document.createElement("li");
      item.append(button);
      return item;
    });
    if (items.length === 0) {
      const none = document.createElement("li");
      none.className = "hint";
      none.textContent = `No other user matches “${query}”.`;
      items.push(none);
    }
    list.replaceChildren(...items);
  }

  /** Choose the receiver (null: none, the search was changed). */
  pick(user) {
    this.receiver = user;
    $("transfer-to").textContent = user ? `To ${user.name} (${user.email})` : "";
    if (!user) return;
    this.searchNumber += 1; // a search still under way does not reopen the matches
    $("transfer-matches").replaceChildren();
    this.search.value = user.name;
    this.say("", "");
  }

  async submit() {
    const receiver = this.receiver;
    const { asset, amount, note } = Object.fromEntries(new FormData(this.form));
    if (!receiver) {
      this.say("Pick the receiver first: search by name or email, then choose them.", "");
      return;
    }
    const body = {
      from_user_id: this.wallet.userId,
      to_user_id: receiver.id,
      asset,
      amount: amount.trim(),
    };
    if (note.trim()) body.metadata = { note: note.trim() };
    const name = this.wallet.assetName(asset);
    try {
      const receipt = await sendOnce(this.form, (idempotencyKey) => {
        this.say("", "");
        return call("POST", "/v1/transactions/transfer", { body, idempotencyKey });
      });
      if (!receipt) return; // the second click of a double click
      this.form.reset();
      this.pick(null);
      this.form.querySelector("select").value = asset;
      this.say(
        "",
        `Transferred ${receipt.amount} ${name} to ${receiver.name}; the balance is now ` +
          `${receipt.from_balance} (${receiver.name}'s: ${receipt.to_balance}).`,
      );
      this.onTransferred();
    } catch (error) {
      this.say(this.words(error, asset), "");
    }
  }

  /** A refused transfer, in plain words. */
  words(error, asset) {
    if (error.code === "user_suspended") {
      return "The sender or the receiver is suspended: transfers between them are refused.";
    }
    const context = {
      asset: this.wallet.assetName(asset),
      balance: this.wallet.balanceOf(asset),
      action: "transfer",
      invalid: AMOUNT_RULE,
    };
    return plainWords(error, context);
  }

  /** A user's name, looked up once (a failed look-up is tried again next time). */
  nameOf(userId) {
    if (!this.names.has(userId)) {
      const name = call("GET", `/v1/users/${encodeURIComponent(userId)}`).then((user) => user.name);
      name.catch(() => this.names.delete(userId));
      this.names.set(userId, name);
    }
    return this.names.get(userId);
  }

  /** On a transfer's line (or its reversal's), the other user, linked to their wallet. */
  nameCounterparty(row, entry) {
    const other = entry.counterparty_user_id;
    if (!other) return;
    const link = document.createElement("a");
    link.href = `/?user=${encodeURIComponent(other)}`;
    link.dataset.user = other;
    link.textContent = shortId(other); // until the name is known
    this.nameOf(other).then(
      (name) => (link.textContent = name),
      () => {}, // the short id stays; the next drawing asks again
    );
    // A plain click switches in place; with a modifier the browser opens a new tab as usual.
    link.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      this.select(other);
    });
    const side = document.createElement("small");
    side.className = "counterparty";
    side.append(entry.direction === "debit" ? "to " : "from ", link);
    row.querySelector("td.kind").append(" ", side);
  }
}
