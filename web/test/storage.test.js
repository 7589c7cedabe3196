// What the widget keeps on the device and how it forgets it (web/widget/storage.js), with
// fake storages: sessionStorage by default, memory when the browser blocks storage, the
// transcript cut to its last entries, an old conversation forgotten, Leave quickly's sweep.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

let s;
let h;
test.before(async () => {
  s = await import("../widget/storage.js");
  h = await import("../widget/helpers.js");
});

class FakeStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
  }
  get length() {
    return this.map.size;
  }
  key(i) {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
  keys() {
    return [...this.map.keys()].sort();
  }
}

function fakeWindow(session = new FakeStorage(), local = new FakeStorage()) {
  return { sessionStorage: session, localStorage: local };
}

const blocked = {
  get sessionStorage() {
    throw new Error("SecurityError");
  },
  get localStorage() {
    throw new Error("SecurityError");
  },
};

const SERVER = "https://bot.clinic.example";
const TOKEN = "T".repeat(43);
const config = (over = {}) => ({ storage: "session", serverUrl: SERVER, sessionHours: 24, ...over });
const HOUR = 3600 * 1000;

test("pickStorage: sessionStorage, localStorage on request, memory when blocked", () => {
  const win = fakeWindow();
  assert.equal(s.pickStorage("session", win), win.sessionStorage);
  assert.equal(s.pickStorage("local", win), win.localStorage);
  const memory = s.pickStorage("session", blocked);
  memory.setItem("k", 1);
  assert.equal(memory.getItem("k"), "1");
  assert.equal(memory.getItem("toString"), null); // no inherited keys
  memory.removeItem("k");
  assert.equal(memory.getItem("k"), null);
  const full = fakeWindow();
  full.sessionStorage.setItem = () => { throw new Error("QuotaExceededError"); };
  assert.notEqual(s.pickStorage("session", full), full.sessionStorage);
});

test("a saved conversation comes back with its transcript, under the server's key", () => {
  const win = fakeWindow();
  const store = s.createStore(config(), win);
  const state = { sessionId: "web-1", resumeToken: TOKEN,
                  entries: [{ kind: "user", text: "hello", payload: "hello", pending: false }] };
  store.save(state, 1000);
  assert.deepEqual(win.sessionStorage.keys(),
                   ["triageWidget:session:" + SERVER, "triageWidget:transcript:web-1"]);
  assert.deepEqual(win.localStorage.keys(), []); // sessionStorage only, unless the clinic chose local
  const again = s.createStore(config(), win);
  assert.deepEqual(again.loadSession(1000 + HOUR), { id: "web-1", token: TOKEN });
  assert.deepEqual(again.loadTranscript("web-1"), state.entries);
});

test("data-storage=local keeps the conversation in localStorage", () => {
  const win = fakeWindow();
  s.createStore(config({ storage: "local" }), win).save({ sessionId: "web-1", resumeToken: TOKEN, entries: [] }, 0);
  assert.deepEqual(win.sessionStorage.keys(), []);
  assert.equal(win.localStorage.keys().length, 2);
});

test("nothing is saved without a conversation id", () => {
  const win = fakeWindow();
  s.createStore(config(), win).save({ sessionId: null, resumeToken: null, entries: [{ kind: "user" }] }, 0);
  assert.deepEqual(win.sessionStorage.keys(), []);
});

test("the transcript is cut to its last MAX_ENTRIES, in the state too", () => {
  const win = fakeWindow();
  const entries = Array.from({ length: h.MAX_ENTRIES + 3 },
                             (_, i) => ({ kind: "user", text: `m${i}`, payload: `m${i}`, pending: false }));
  const state = { sessionId: "web-1", resumeToken: TOKEN, entries };
  s.createStore(config(), win).save(state, 0);
  assert.equal(state.entries.length, h.MAX_ENTRIES);
  assert.equal(state.entries[0].text, "m3");
  assert.equal(JSON.parse(win.sessionStorage.getItem("triageWidget:transcript:web-1")).length, h.MAX_ENTRIES);
});

test("an old conversation is forgotten, and one without its resume token is not resumed", () => {
  const win = fakeWindow();
  const store = s.createStore(config({ sessionHours: 2 }), win);
  store.save({ sessionId: "web-1", resumeToken: TOKEN, entries: [] }, 0);
  assert.deepEqual(store.loadSession(2 * HOUR), { id: "web-1", token: TOKEN });
  assert.equal(store.loadSession(2 * HOUR + 1), null);
  assert.deepEqual(win.sessionStorage.keys(), []); // both keys removed
  win.sessionStorage.setItem("triageWidget:session:" + SERVER, JSON.stringify({ id: "web-2", updated: 0 }));
  assert.equal(store.loadSession(0), null);
  win.sessionStorage.setItem("triageWidget:session:" + SERVER, "{not json");
  assert.equal(store.loadSession(0), null);
});

test("a stored transcript is sanitised on the way back", () => {
  const win = fakeWindow(new FakeStorage({
    "triageWidget:transcript:web-1": JSON.stringify([{ kind: "html", text: "<b>" }, { kind: "triage", level: "urgent" }]),
  }));
  assert.deepEqual(s.createStore(config(), win).loadTranscript("web-1"), [{ kind: "triage", level: "urgent" }]);
});

test("New chat forgets the session and its transcript", () => {
  const win = fakeWindow();
  const store = s.createStore(config(), win);
  store.save({ sessionId: "web-1", resumeToken: TOKEN, entries: [] }, 0);
  store.forgetTranscript("web-1");
  store.forgetSession();
  assert.deepEqual(win.sessionStorage.keys(), []);
});

test("forgetAll (Leave quickly) removes every triageWidget: key from both storages, nothing else", () => {
  const win = fakeWindow(
    new FakeStorage({ "triageWidget:session:x": "1", "triageWidget:open": "1", "clinic:cart": "2" }),
    new FakeStorage({ "triageWidget:transcript:web-1": "[]", "theme": "dark" })
  );
  s.createStore(config(), win).forgetAll();
  assert.deepEqual(win.sessionStorage.keys(), ["clinic:cart"]);
  assert.deepEqual(win.localStorage.keys(), ["theme"]);
});

test("forgetAll and the open flag work where the browser blocks storage", () => {
  const store = s.createStore(config(), blocked);
  store.save({ sessionId: "web-1", resumeToken: TOKEN, entries: [] }, 0);
  assert.deepEqual(store.loadSession(0), { id: "web-1", token: TOKEN }); // in memory
  assert.doesNotThrow(() => store.forgetAll());
  assert.doesNotThrow(() => store.rememberOpen(true));
  assert.equal(store.wasOpen(), false);
});

test("the open panel is remembered in sessionStorage, even with data-storage=local", () => {
  const win = fakeWindow();
  const store = s.createStore(config({ storage: "local" }), win);
  assert.equal(store.wasOpen(), false);
  store.rememberOpen(true);
  assert.equal(win.sessionStorage.getItem("triageWidget:open"), "1");
  assert.equal(store.wasOpen(), true);
  store.rememberOpen(false);
  assert.equal(store.wasOpen(), false);
  assert.deepEqual(win.localStorage.keys(), []);
});
