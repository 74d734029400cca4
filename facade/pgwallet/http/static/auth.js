// Who the dashboard acts as: a client's bearer token. It arrives once in the
// address's fragment (`/#token=...`, printed by `make run`; a fragment never
// reaches the server, so no log line holds it) or is typed into the sign-in
// form, and is kept for this browser tab only (sessionStorage), never in the
// address, a cookie or localStorage.

const STORAGE_KEY = "pgwallet.token";
export const SIGNED_OUT = "pgwallet:signed-out";

/** Keep a token handed over in the fragment, and take it out of the address bar. */
export function adoptTokenFromAddress() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const handed = fragment.get("token");
  if (!handed) return;
  sessionStorage.setItem(STORAGE_KEY, handed);
  history.replaceState(history.state, "", location.pathname + location.search);
}

/** The token of this tab, or null when signed out. */
export function token() {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(STORAGE_KEY, value.trim());
}

/** Forget the token (the Sign out button). */
export function forgetToken() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The API refused the token: forget it and tell the page (it asks for another). */
export function signOut() {
  forgetToken();
  window.dispatchEvent(new Event(SIGNED_OUT));
}
