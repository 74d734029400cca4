// A form that moves credits posts once, whatever the person does: it holds an
// Idempotency-Key until the server confirms the submission, so a double click
// is one request and a retry after a lost answer sends the same key (the
// server answers with the first outcome instead of posting again).

import { newIdempotencyKey } from "./api.js";

/** Give `form` a fresh key: it is shown anew, or its last submission succeeded. */
export function freshKey(form) {
  form.dataset.key = newIdempotencyKey();
}

/**
 * Send the form's submission as `send(key)`; resolve to its result, or to
 * null when the form is still sending (the second click of a double click).
 * A success makes a fresh key for the next submission; a key already used
 * with other values (the earlier request did post) is replaced too, so that
 * sending the changed form again works. Any other failure keeps the key.
 */
export async function sendOnce(form, send) {
  if (form.getAttribute("aria-busy") === "true") return null;
  form.setAttribute("aria-busy", "true");
  if (!form.dataset.key) freshKey(form);
  try {
    const result = await send(form.dataset.key);
    freshKey(form);
    return result;
  } catch (error) {
    if (error.code === "idempotency_key_reused") freshKey(form);
    throw error;
  } finally {
    form.removeAttribute("aria-busy");
  }
}
