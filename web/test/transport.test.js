// The socket.io conversation (web/widget/transport.js) with a fake socket.io client: the
// session request on every connect, one retry with the same message id, and what a lost or
// refused connection does. Short real timers (retryMs 5 ms) and waits several times longer.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { setTimeout: sleep } = require("node:timers/promises");

let tr;
test.before(async () => {
  tr = await import("../widget/transport.js");
});

class FakeSocket {
  constructor() {
    this.handlers = {};
    this.sent = [];
    this.connected = true;
    this.calls = [];
  }
  on(event, fn) {
    this.handlers[event] = fn;
  }
  emit(event, data) {
    this.sent.push([event, data]);
  }
  fire(event, arg) {
    this.handlers[event](arg);
  }
  connect() {
    this.calls.push("connect");
  }
  disconnect() {
    this.calls.push("disconnect");
  }
  off() {
    this.calls.push("off");
    this.handlers = {};
  }
}

const CONFIG = { serverUrl: "https://bot.example", socketPath: "/socket.io/", transports: ["websocket", "polling"],
                 retryMs: 5 };

function setUp(stateOver = {}) {
  const state = { sessionId: "web-1", resumeToken: "T".repeat(43), connected: false, everConfirmed: false,
                  lost: false, awaiting: null, ...stateOver };
  const events = [];
  let n = 0;
  const hooks = {
    newId: () => `id${++n}`,
    onSent: () => events.push("sent"),
    onSessionConfirm: (data) => events.push(["confirm", data]),
    onBotUttered: (msg) => events.push(["bot", msg]),
    onDisconnect: () => events.push("disconnect"),
    onLost: () => events.push("lost"),
    onUnreachable: () => events.push("unreachable"),
  };
  const socket = new FakeSocket();
  let opened;
  const transport = tr.createTransport(CONFIG, state, hooks);
  transport.start((url, options) => {
    opened = { url, options };
    return socket;
  });
  return { state, events, socket, transport, opened };
}

const utterances = (socket) => socket.sent.filter(([event]) => event === "user_uttered").map(([, d]) => d);

test("start: connects to the configured server once, with the configured transports", () => {
  const { transport, opened } = setUp();
  assert.equal(opened.url, "https://bot.example");
  assert.equal(opened.options.path, "/socket.io/");
  assert.deepEqual(opened.options.transports, ["websocket", "polling"]);
  assert.equal(opened.options.reconnection, true);
  let again = false;
  transport.start(() => { again = true; });
  assert.equal(again, false);
});

test("every connect asks for the stored conversation with its resume token", () => {
  const { socket, state, events } = setUp({ connected: true });
  socket.fire("connect");
  assert.equal(state.connected, false); // until the session is confirmed
  assert.deepEqual(socket.sent, [["session_request", { session_id: "web-1", resume_token: "T".repeat(43) }]]);
  socket.fire("session_confirm", { session_id: "web-1" });
  socket.fire("bot_uttered", { text: "hi" });
  assert.deepEqual(events, [["confirm", { session_id: "web-1" }], ["bot", { text: "hi" }]]);
});

test("send: the payload with a new message id; a button's payload is marked", () => {
  const { socket, state, events, transport } = setUp({ connected: true });
  const entry = { payload: "/affirm", button: true };
  transport.send(entry);
  assert.equal(entry.messageId, "id1");
  assert.deepEqual(utterances(socket), [{ message: "/affirm", session_id: "web-1", message_id: "id1", button: true }]);
  assert.deepEqual(events, ["sent"]);
  assert.equal(state.awaiting.entry, entry);
  transport.answered();
});

test("no reply in retryMs: sent once more with the same id, and only once", async () => {
  const { socket, transport, state } = setUp({ connected: true });
  transport.send({ payload: "pressure", button: false });
  await sleep(40);
  const sent = utterances(socket);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1], sent[0]);
  assert.equal(state.awaiting.retried, true);
  transport.answered();
  assert.equal(state.awaiting, null);
});

test("a reply before retryMs: no retry", async () => {
  const { socket, transport } = setUp({ connected: true });
  transport.send({ payload: "pressure" });
  transport.answered();
  await sleep(40);
  assert.equal(utterances(socket).length, 1);
});

test("a newer message replaces the one awaited: only the newer is retried", async () => {
  const { socket, transport } = setUp({ connected: true });
  transport.send({ payload: "first" });
  transport.send({ payload: "second" });
  await sleep(40);
  assert.deepEqual(utterances(socket).map((u) => u.message), ["first", "second", "second"]);
  transport.answered();
});

test("no retry while disconnected (the reconnect sends it again instead)", async () => {
  const { socket, transport, state } = setUp({ connected: true });
  const entry = { payload: "pressure" };
  transport.send(entry);
  state.connected = false;
  await sleep(40);
  assert.equal(utterances(socket).length, 1);
  assert.equal(state.awaiting.entry, entry); // chat.js resends it on session_confirm
  state.connected = true;
  transport.send(entry); // what chat.js does on session_confirm
  assert.equal(utterances(socket)[1].message_id, entry.messageId);
  transport.answered();
});

test("sendInit: the init payload as a button, with a new id", () => {
  const { socket, transport, events } = setUp({ connected: true });
  transport.sendInit("/greet");
  assert.deepEqual(utterances(socket), [{ message: "/greet", session_id: "web-1", message_id: "id1", button: true }]);
  assert.deepEqual(events, ["sent"]);
});

test("a server disconnect reconnects; a network one is left to socket.io; ours is quiet", () => {
  let t = setUp({ connected: true });
  t.socket.fire("disconnect", "io server disconnect");
  assert.equal(t.state.connected, false);
  assert.equal(t.state.lost, true);
  assert.deepEqual(t.events, ["disconnect", "lost"]);
  assert.deepEqual(t.socket.calls, ["connect"]);

  t = setUp({ connected: true });
  t.socket.fire("disconnect", "transport close");
  assert.equal(t.state.lost, true);
  assert.deepEqual(t.events, ["disconnect", "lost"]);
  assert.deepEqual(t.socket.calls, []);

  t = setUp({ connected: true });
  t.socket.fire("disconnect", "io client disconnect");
  assert.equal(t.state.lost, false);
  assert.deepEqual(t.events, ["disconnect"]);
});

test("connect_error: unreachable before the first session, lost after", () => {
  let t = setUp();
  t.socket.fire("connect_error");
  assert.deepEqual(t.events, ["unreachable"]);
  assert.equal(t.state.lost, false);
  t = setUp({ everConfirmed: true });
  t.socket.fire("connect_error");
  assert.deepEqual(t.events, ["lost"]);
  assert.equal(t.state.lost, true);
});

test("restart asks for a new conversation only on an open connection", () => {
  const t = setUp({ connected: true });
  t.transport.restart();
  assert.equal(t.state.connected, false);
  assert.deepEqual(t.socket.sent, [["session_request", { session_id: null }]]);
  const closed = setUp({ connected: true });
  closed.socket.connected = false;
  closed.transport.restart();
  assert.deepEqual(closed.socket.sent, []);
});

test("stop detaches every handler before disconnecting (Leave quickly)", () => {
  const t = setUp({ connected: true });
  t.transport.stop();
  assert.deepEqual(t.socket.calls, ["off", "disconnect"]);
  assert.deepEqual(t.socket.handlers, {});
});

test("newMessageId: 32 hex digits from crypto, or from Math.random without it", () => {
  const win = { Uint8Array, crypto: { getRandomValues: (b) => b.fill(171) } };
  assert.equal(tr.newMessageId(win), "ab".repeat(16));
  assert.match(tr.newMessageId({ Uint8Array }), /^[0-9a-f]{32}$/);
});
