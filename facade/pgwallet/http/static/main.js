// The dashboard's wiring: signing in (a client's token, see auth.js), the
// overview of every asset with the latest transactions (overview.js), which
// user is shown (the `?user=` of the address, else the first user), switching
// users, and the live feed (events.js): a transaction made elsewhere appears
// in the overview and, when it is the shown user's, in their wallet, as it
// happens. Nothing polls.

import { call } from "./api.js";
import { SIGNED_OUT, adoptTokenFromAddress, forgetToken, signIn, token } from "./auth.js";
import { LiveFeed } from "./events.js";
import { Holds } from "./holds.js";
import { Overview } from "./overview.js";
import { PostingForms } from "./postings.js";
import { Reversals } from "./reversals.js";
import { Transfers } from "./transfers.js";
import { UserPicker } from "./users.js";
import { Wallet } from "./wallet.js";

const wallet = new Wallet();
const forms = new PostingForms(wallet, () => wallet.refresh());
const holds = new Holds(wallet, () => wallet.refresh());
const picker = new UserPicker((id) => show(id, { push: true }));
const reversals = new Reversals(wallet, () => wallet.refresh());
const transfers = new Transfers(wallet, (id) => show(id, { push: true }), () => wallet.refresh());
const overview = new Overview();
const feed = new LiveFeed();

/** Show a user; `push` adds the switch to the browser's history (Back returns). */
function show(userId, { push }) {
  const address = `/?user=${encodeURIComponent(userId)}`;
  if (push && location.pathname + location.search !== address) history.pushState(null, "", address);
  picker.mark(userId);
  forms.reset();
  reversals.reset();
  transfers.reset();
  holds.reset();
  return wallet.show(userId);
}

/** The user the address names, else the first user (written into the address). */
async function userFromAddress() {
  const named = new URLSearchParams(location.search).get("user");
  if (named) return named;
  const first = await call("GET", "/v1/users?limit=1");
  if (first.items.length === 0) return null;
  history.replaceState(null, "", `/?user=${encodeURIComponent(first.items[0].id)}`);
  return first.items[0].id;
}

const signInForm = document.getElementById("sign-in");

/** Show the sign-in form instead of the wallet; `why` says what happened. */
function askForToken(why) {
  document.body.classList.add("signed-out");
  signInForm.querySelector("[data-error]").textContent = why;
  signInForm.querySelector("input").focus();
}

signInForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const typed = signInForm.querySelector("input");
  if (!typed.value.trim()) return;
  signIn(typed.value);
  typed.value = "";
  document.body.classList.remove("signed-out");
  start();
});
window.addEventListener(SIGNED_OUT, () =>
  askForToken("The token was refused (unknown or revoked). Sign in with a valid one."));
document.getElementById("sign-out").addEventListener("click", () => {
  forgetToken();
  askForToken("");
});

async function start() {
  picker.search("").catch(() => {});
  overview.showSummaries().catch(() => {});
  // The latest transactions until the feed brings newer ones.
  call("GET", "/v1/transactions?limit=15")
    .then((page) => page.items.reverse().forEach((t) => overview.add(t)))
    .catch(() => {});
  feed.start();
  const userId = await userFromAddress().catch(() => null);
  if (userId) await show(userId, { push: false });
  else document.getElementById("wallet-message").textContent =
    "No user to show yet: create one with the form.";
}

window.addEventListener("popstate", async () => {
  const userId = await userFromAddress().catch(() => null);
  if (userId) show(userId, { push: false });
});

let refreshing = false;
/** Redraw the shown wallet (once at a time: a burst of events needs one redraw). */
async function refreshWallet() {
  if (refreshing || !token()) return;
  refreshing = true;
  try {
    await wallet.refresh();
  } catch {
    // The server is away for a moment: the next event tries again.
  } finally {
    refreshing = false;
  }
}
feed.onEvent((event) => {
  overview.add(event);
  if (event.user_id === wallet.userId || event.counterparty_user_id === wallet.userId) {
    refreshWallet();
  }
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refreshWallet(); // back to the tab: catch up at once
});

adoptTokenFromAddress();
if (token()) start();
else askForToken("");
