// The topup, bonus and spend forms. Each form holds an Idempotency-Key made
// when it is shown (page load, user switch, after a success; see once.js): a
// double click is one submission, and a retry after a network failure sends
// the same key, so the server posts once whatever happens. An error is shown
// next to its form and changes nothing else.

import { call, plainWords } from "./api.js";
import { freshKey, sendOnce } from "./once.js";

const VERBS = { topup: "Top up", bonus: "Give bonus", spend: "Spend" };
const DONE = { topup: "Topped up", bonus: "Gave a bonus of", spend: "Spent" };
export const AMOUNT_RULE =
  "The amount must be a whole number from 1 to 9223372036854775807, without sign, spaces or decimals.";

export class PostingForms {
  /** `wallet` is the Wallet shown; `onPosted()` runs after each success. */
  constructor(wallet, onPosted) {
    this.wallet = wallet;
    this.onPosted = onPosted;
    this.forms = [...document.querySelectorAll("form.posting")];
    const fields = document.getElementById("posting-fields");
    for (const form of this.forms) {
      form.append(fields.content.cloneNode(true));
      form.querySelector("button").textContent = VERBS[form.dataset.kind];
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit(form);
      });
    }
    wallet.onBalances(() => this.fillAssets());
  }

  /** Show the forms afresh (another user): new keys, no values or messages left over. */
  reset() {
    for (const form of this.forms) {
      form.reset();
      this.say(form, "", "");
      freshKey(form);
    }
  }

  /** Offer the assets of the wallet shown in every form of the section, keeping each choice. */
  fillAssets() {
    for (const select of document.querySelectorAll(".forms select[name=asset]")) {
      const chosen = select.value;
      select.replaceChildren(
        ...this.wallet.balances.map(({ asset }) => new Option(this.wallet.assetName(asset), asset)),
      );
      if (chosen) select.value = chosen;
    }
  }

  say(form, error, done) {
    form.querySelector("[data-error]").textContent = error;
    form.querySelector("[data-done]").textContent = done;
  }

  async submit(form) {
    const kind = form.dataset.kind;
    const { asset, amount, note } = Object.fromEntries(new FormData(form));
    const body = { user_id: this.wallet.userId, asset, amount: amount.trim() };
    if (note.trim()) body.metadata = { note: note.trim() };
    try {
      const receipt = await sendOnce(form, (idempotencyKey) => {
        this.say(form, "", "");
        return call("POST", `/v1/transactions/${kind}`, { body, idempotencyKey });
      });
      if (!receipt) return; // the second click of a double click
      form.reset();
      form.querySelector("select").value = asset;
      const name = this.wallet.assetName(asset);
      this.say(form, "", `${DONE[kind]} ${receipt.amount} ${name}; the balance is now ${receipt.balance}.`);
      this.onPosted(); // a failed refresh is retried by the next poll, not shown as this form's error
    } catch (error) {
      const context = {
        asset: this.wallet.assetName(asset),
        balance: this.wallet.balanceOf(asset),
        available: this.wallet.availableOf(asset),
        invalid: AMOUNT_RULE,
      };
      this.say(form, plainWords(error, context), "");
    }
  }
}
