// Picking a user: the list (searched by name or email through `?q=`, a page
// at a time), a link per user so that a click switches and the address can be
// shared, and the form that creates a user and selects them.

import { call, plainWords, withQuery } from "./api.js";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

const $ = (id) => document.getElementById(id);

/** A user as a list shows them: the name, the email below it. */
export function nameAndEmail(user) {
  const email = document.createElement("small");
  email.textContent = user.email;
  return [user.name, email];
}

export class UserPicker {
  /** `select(id)` switches the page to that user. */
  constructor(select) {
    this.select = select;
    this.selectedId = null;
    this.query = "";
    this.nextCursor = null;
    this.searchNumber = 0; // only the latest search may fill the list
    let timer;
    $("user-search").addEventListener("input", (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => this.search(event.target.value.trim()), SEARCH_DELAY_MS);
    });
    $("more-users").addEventListener("click", () => this.load(this.nextCursor));
    $("user-list").addEventListener("click", (event) => {
      const link = event.target.closest("a[data-user]");
      // A plain click switches in place; with a modifier the browser opens a new tab as usual.
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      this.select(link.dataset.user);
    });
    $("create-user").addEventListener("submit", (event) => {
      event.preventDefault();
      this.create(event.target);
    });
  }

  search(query) {
    this.query = query;
    return this.load(null);
  }

  /** Load a page of users: the first (replacing the list) or the one at `cursor`. */
  async load(cursor) {
    const number = ++this.searchNumber;
    const page = await call(
      "GET",
      withQuery("/v1/users", { q: this.query, limit: PAGE_SIZE, cursor }),
    );
    if (number !== this.searchNumber) return;
    const items = page.items.map((user) => {
      const link = document.createElement("a");
      link.href = `/?user=${encodeURIComponent(user.id)}`;
      link.dataset.user = user.id;
      link.append(...nameAndEmail(user));
      const item = document.createElement("li");
      item.append(link);
      return item;
    });
    if (cursor) $("user-list").append(...items);
    else $("user-list").replaceChildren(...items);
    if (!cursor && items.length === 0) {
      const none = document.createElement("li");
      none.className = "hint";
      none.textContent = this.query ? `No user matches “${this.query}”.` : "No users yet.";
      $("user-list").append(none);
    }
    this.nextCursor = page.next_cursor;
    $("more-users").hidden = !this.nextCursor;
    this.mark(this.selectedId);
  }

  /** Highlight the selected user in the list. */
  mark(userId) {
    this.selectedId = userId;
    for (const link of document.querySelectorAll("#user-list a[data-user]")) {
      if (link.dataset.user === userId) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  async create(form) {
    if (form.getAttribute("aria-busy") === "true") return;
    form.setAttribute("aria-busy", "true");
    const error = form.querySelector("[data-error]");
    error.textContent = "";
    try {
      const { name, email } = Object.fromEntries(new FormData(form));
      const user = await call("POST", "/v1/users", { body: { name: name.trim(), email: email.trim() } });
      form.reset();
      await this.search($("user-search").value.trim());
      this.select(user.id);
    } catch (failure) {
      error.textContent = plainWords(failure);
    } finally {
      form.removeAttribute("aria-busy");
    }
  }
}
