// The live feed: GET /v1/events/stream (Server-Sent Events) read with fetch,
// because a browser's EventSource cannot send the Authorization header and
// the token must not travel in the address. Each event is handed to the
// listeners; when the stream ends (the server cuts it every few minutes, or
// the network drops) it reconnects after a second with Last-Event-ID, so no
// event is missed or repeated.

import { signOut, token } from "./auth.js";

const RECONNECT_MS = 1000;

/** Parse one SSE message block into {id, data} (comments and retry lines are skipped). */
function parseBlock(block) {
  let id = null;
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return { id, data: data.length ? data.join("\n") : null };
}

export class LiveFeed {
  constructor() {
    this.listeners = [];
    this.lastId = null; // where a reconnection resumes
    this.running = false;
  }

  /** Call `listener(event)` for every event from now on. */
  onEvent(listener) {
    this.listeners.push(listener);
  }

  /** Read the stream until the tab is signed out; reconnect whenever it ends. */
  async start() {
    if (this.running) return;
    this.running = true;
    while (token()) {
      try {
        await this.readOnce();
      } catch {
        // The server is away for a moment: try again below.
      }
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
    this.running = false;
  }

  async readOnce() {
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${token()}` };
    if (this.lastId !== null) headers["Last-Event-ID"] = this.lastId;
    const response = await fetch("/v1/events/stream", { headers });
    if (response.status === 401) signOut();
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const { id, data } = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (data === null) continue; // a heartbeat
        if (id !== null) this.lastId = id;
        const event = JSON.parse(data);
        for (const listener of this.listeners) listener(event);
      }
    }
  }
}
