// The user's holds: the active ones (held, not expired), each with its own
// capture and release, and the form that places a new one. Each is a form
// that posts once (once.js): a double click or a retry after a lost answer
// acts once. The list follows the balances: whatever changes what is held (a
// hold, a capture, a release, an expiry, here or elsewhere) changes them, and
// the wallet's poll notices.

import { call, plainWords } from "./api.js";
import { freshKey, sendOnce } from "./once.js";

const $ = (id) => document.getElementById(id);
const AMOUNT_RULE =
  "The amount must be a whole number from 1 to 9223372036854775807, without sign, spaces or decimals.";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The error and done lines of a form, as the posting forms have them. */
function messages() {
  const error = element("p", "error");
  error.dataset.error = "";
  error.setAttribute("role", "alert");
  const done = element("p", "done");
  done.dataset.done = "";
  done.setAttribute("role", "status");
  return [error, done];
}

function say(form, error, done) {
  form.querySelector("[data-error]").textContent = error;
  form.querySelector("[data-done]").textContent = done;
}

export class Holds {
  /** `wallet` is the Wallet shown; `onChanged()` runs after each success. */
  constructor(wallet, onChanged) {
    this.wallet = wallet;
    this.onChanged = onChanged;
    this.holds = []; // the active holds, as the API returns them
    this.form = $("hold-form");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.place();
    });
    wallet.onBalances(() => {
      this.fillAssets();
      this.refresh().catch(() => {}); // the next poll tries again
    });
  }

  /** Another user: no holds, values or messages left over, a new key. */
  reset() {
    this.holds = [];
    this.render();
    this.form.reset();
    say(this.form, "", "");
    freshKey(this.form);
  }

  fillAssets() {
    const select = this.form.querySelector("select[name=asset]");
    const chosen = select.value;
    select.replaceChildren(
      ...this.wallet.balances.map(({ asset }) => new Option(this.wallet.assetName(asset), asset)),
    );
    if (chosen) select.value = chosen;
  }

  async refresh() {
    const userId = this.wallet.userId;
    if (!userId) return;
    const page = await call("GET", `/v1/users/${encodeURIComponent(userId)}/holds`);
    if (userId !== this.wallet.userId) return;
    if (JSON.stringify(page.items) === JSON.stringify(this.holds)) return;
    this.holds = page.items;
    this.render();
  }

  render() {
    $("holds").replaceChildren(...this.holds.map((hold) => this.row(hold)));
    $("holds-empty").hidden = this.holds.length > 0;
  }

  /** One active hold: what it reserves until when, its capture and its release. */
  row(hold) {
    const item = element("li", "card hold");
    item.dataset.hold = hold.hold_id;
    const until = element("time", "", new Date(hold.expires_at).toLocaleString());
    until.dateTime = hold.expires_at;
    const what = element("p", "what");
    what.append(element("strong", "amount", hold.amount), ` ${this.wallet.assetName(hold.asset)}, until `, until);

    const capture = element("form", "hold-actions");
    capture.noValidate = true;
    const amount = element("input");
    Object.assign(amount, { name: "amount", inputMode: "numeric", autocomplete: "off", placeholder: `all (${hold.amount})` });
    const label = element("label", "", "Capture amount ");
    label.append(amount);
    const captureButton = element("button", "", "Capture");
    captureButton.type = "submit";
    capture.append(label, captureButton, ...messages());
    capture.addEventListener("submit", (event) => {
      event.preventDefault();
      const typed = amount.value.trim();
      this.act(capture, hold, "capture", typed ? { amount: typed } : undefined);
    });

    const release = element("form", "hold-actions");
    const releaseButton = element("button", "secondary", "Release");
    releaseButton.type = "submit";
    release.append(releaseButton, ...messages());
    release.addEventListener("submit", (event) => {
      event.preventDefault();
      this.act(release, hold, "release");
    });
    item.append(what, capture, release);
    return item;
  }

  async act(form, hold, action, body) {
    try {
      const done = await sendOnce(form, (idempotencyKey) => {
        say(form, "", "");
        return call("POST", `/v1/holds/${encodeURIComponent(hold.hold_id)}/${action}`, { body, idempotencyKey });
      });
      if (done) this.onChanged(); // the balances change, and with them this list
    } catch (error) {
      say(form, plainWords(error, { asset: this.wallet.assetName(hold.asset), invalid: AMOUNT_RULE }), "");
    }
  }

  async place() {
    const form = this.form;
    const { asset, amount, expires_in_seconds: seconds, note } = Object.fromEntries(new FormData(form));
    const body = { user_id: this.wallet.userId, asset, amount: amount.trim(), expires_in_seconds: Number(seconds) };
    if (note.trim()) body.metadata = { note: note.trim() };
    try {
      const hold = await sendOnce(form, (idempotencyKey) => {
        say(form, "", "");
        return call("POST", "/v1/holds", { body, idempotencyKey });
      });
      if (!hold) return; // the second click of a double click
      form.reset();
      form.querySelector("select").value = asset;
      say(form, "", `Held ${hold.amount} ${this.wallet.assetName(asset)}.`);
      this.onChanged();
    } catch (error) {
      const context = {
        asset: this.wallet.assetName(asset),
        balance: this.wallet.balanceOf(asset),
        available: this.wallet.availableOf(asset),
        action: "hold",
        invalid: AMOUNT_RULE,
      };
      say(form, plainWords(error, context), "");
    }
  }
}
