// The dashboard's only way to the data: the public HTTP API (/v1/...), as the
// client whose token the tab holds (auth.js); a 401 signs the tab out.
// Amounts travel as strings and stay strings here; nothing is parsed as a
// JavaScript number, so big integers keep every digit.

import { signOut, token } from "./auth.js";

/** An answer that was not a success: the API's problem document, or a network failure. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status; // 0 when the server could not be reached
    this.code = problem.code || (status === 0 ? "network" : "unknown");
    this.problem = problem;
  }
}

/** Call the API; resolve to the JSON body, or reject with an ApiError. */
export async function call(method, path, { body, idempotencyKey } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, {});
  }
  const payload = await response.json().catch(() => ({}));
  if (response.status === 401) signOut();
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

/** A path with its query string, leaving out empty parameters. */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * A fresh Idempotency-Key (a random UUID). crypto.randomUUID exists only on
 * https and localhost; getRandomValues works wherever the page is served.
 */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** An error in plain words, for the person at the form. */
export function plainWords(error, context = {}) {
  const asset = context.asset || "this asset";
  switch (error.code) {
    case "network":
      return "The server could not be reached. Try again: the same request will not post twice.";
    case "insufficient_funds":
      if (context.balance === undefined) return `Not enough ${asset} for this ${context.action || "spend"}.`;
      if (context.available === undefined || context.available === context.balance) {
        return `Not enough ${asset} for this ${context.action || "spend"}: the balance is ${context.balance}.`;
      }
      return `Not enough ${asset} for this ${context.action || "spend"}: ${context.available} ` +
        `available (the balance is ${context.balance}, the rest is held).`;
    case "hold_not_active":
      return "This hold is already captured, released or expired.";
    case "hold_not_found":
      return "There is no such hold.";
    case "capture_exceeds_hold":
      return "A capture may take at most the held amount.";
    case "invalid_request":
      return context.invalid || error.message;
    case "asset_frozen":
      return `${asset} is frozen: it takes no topups, bonuses or spends for now.`;
    case "user_suspended":
      return "This user is suspended: postings for them are refused.";
    case "balance_out_of_range":
      return "That would take the balance beyond the largest amount the ledger holds.";
    case "idempotency_key_in_progress":
      return "The same request is still being processed. Wait a moment and try again.";
    case "idempotency_key_reused":
      return "This form was already sent with other values; it has been reset, send it again.";
    case "unavailable":
      return "The service is busy or its database is unreachable. Try again in a moment.";
    case "email_taken":
      return "Another user already has this email.";
    case "user_not_found":
      return "There is no user with this id.";
    case "asset_not_found":
      return "There is no such asset.";
    case "unauthorized":
      return "The token was refused (unknown or revoked): sign in again.";
    case "forbidden":
      return `This client may not do that: ${error.message}.`;
    default:
      return error.message;
  }
}
