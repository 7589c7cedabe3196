// Unit tests of the widget's pure helpers (web/widget/helpers.js) with node's own test runner:
//   node --test web/test/
// No browser: the DOM and socket parts are covered by tests/web (Chromium). The widget's
// sources are ES modules (web/widget/package.json), so they are imported, not required.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

let h;
test.before(async () => {
  h = await import("../widget/helpers.js");
});

test("telHref keeps digits and one leading +, or gives no link", () => {
  assert.equal(h.telHref("01632 960 111"), "tel:01632960111");
  assert.equal(h.telHref("+44 (0)1632-960-111"), "tel:+4401632960111");
  assert.equal(h.telHref("999"), "tel:999");
  assert.equal(h.telHref("1+2+3"), "tel:123"); // + only in first place
  assert.equal(h.telHref("++44"), "tel:+44");
  assert.equal(h.telHref(["javascript", "alert(1)"].join(":")), "tel:1"); // only ever tel:
  assert.equal(h.telHref("call the ward"), null);
  assert.equal(h.telHref("+"), null);
  assert.equal(h.telHref(""), null);
  assert.equal(h.telHref(null), null);
  assert.equal(h.telHref(undefined), null);
});

test("cleanText trims and falls back on blank or non-string values", () => {
  assert.equal(h.cleanText("  Riverside  ", "x"), "Riverside");
  assert.equal(h.cleanText("   ", "fallback"), "fallback");
  assert.equal(h.cleanText(undefined, "fallback"), "fallback");
  assert.equal(h.cleanText(42, "fallback"), "fallback");
});

test("parseTransports keeps only socket.io's two transports", () => {
  assert.deepEqual(h.parseTransports(undefined), ["websocket", "polling"]);
  assert.deepEqual(h.parseTransports("polling"), ["polling"]);
  assert.deepEqual(h.parseTransports(" polling , websocket "), ["polling", "websocket"]);
  assert.deepEqual(h.parseTransports("carrier-pigeon"), ["websocket", "polling"]);
  assert.deepEqual(h.parseTransports(""), ["websocket", "polling"]);
});

test("parseSessionHours: a positive number, else 24", () => {
  assert.equal(h.parseSessionHours("2"), 2);
  assert.equal(h.parseSessionHours("0.5"), 0.5);
  assert.equal(h.parseSessionHours("0"), 24);
  assert.equal(h.parseSessionHours("-3"), 24);
  assert.equal(h.parseSessionHours("soon"), 24);
  assert.equal(h.parseSessionHours(undefined), 24);
});

test("isLevel knows exactly the five triage levels", () => {
  for (const level of ["emergency", "urgent", "same_day", "routine", "self_care"]) {
    assert.ok(h.isLevel(level), level);
  }
  for (const other of ["EMERGENCY", "same-day", "", null, undefined, 1, {}, "__proto__"]) {
    assert.equal(h.isLevel(other), false, String(other));
  }
});

test("session ids: letters, digits, _ and - only, 1 to 100 characters", () => {
  assert.ok(h.isSessionId("a1B2_c-3"));
  assert.ok(h.isSessionId("x".repeat(100)));
  assert.equal(h.isSessionId("x".repeat(101)), false);
  assert.equal(h.isSessionId(""), false);
  assert.equal(h.isSessionId("../etc"), false);
  assert.equal(h.isSessionId("<b>"), false);
  assert.equal(h.isSessionId(12), false);
  assert.equal(h.sessionIdOf("abc"), "abc");
  assert.equal(h.sessionIdOf({ session_id: "abc" }), "abc");
  assert.equal(h.sessionIdOf({ session_id: "a b" }), null);
  assert.equal(h.sessionIdOf({ session_id: 7 }), null);
  assert.equal(h.sessionIdOf(null), null);
  assert.equal(h.sessionIdOf(undefined), null);
});

test("sessionExpired after the configured hours, and for a missing timestamp", () => {
  const hour = 3600 * 1000;
  const now = 1_000 * hour;
  assert.equal(h.sessionExpired(now - 23 * hour, now, 24), false);
  assert.equal(h.sessionExpired(now - 24 * hour, now, 24), false); // exactly 24 h: still valid
  assert.equal(h.sessionExpired(now - 24 * hour - 1, now, 24), true);
  assert.equal(h.sessionExpired(now - 2 * hour, now, 1), true);
  assert.equal(h.sessionExpired(undefined, now, 24), true);
});

test("sanitiseEntries keeps well-formed entries as text and drops the rest", () => {
  const raw = [
    { kind: "user", text: "pressure down below" },
    { kind: "user", text: "20 weeks", payload: "/inform", pending: 1 },
    { kind: "user", text: 5 },
    { kind: "bot", text: "Any contractions?", chosen: 1, closed: "yes", level: "urgent",
      buttons: [{ title: "Yes", payload: "/affirm" }, { title: "No" }, null, { title: 1, payload: "x" }],
      extra: "<img src=x onerror=alert(1)>" },
    { kind: "bot", text: "hi", buttons: "not a list", level: "panic" },
    { kind: "triage", level: "emergency" },
    { kind: "triage", level: "whatever" },
    { kind: "html", text: "<script>" },
    null,
    "string",
  ];
  assert.deepEqual(h.sanitiseEntries(raw), [
    { kind: "user", text: "pressure down below", payload: "pressure down below", pending: false },
    { kind: "user", text: "20 weeks", payload: "/inform", pending: true },
    { kind: "bot", text: "Any contractions?", buttons: [{ title: "Yes", payload: "/affirm" }],
      chosen: 1, closed: true, level: "urgent" },
    { kind: "bot", text: "hi", buttons: [], chosen: null, closed: false, level: null },
    { kind: "triage", level: "emergency" },
  ]);
  assert.deepEqual(h.sanitiseEntries(null), []);
  assert.deepEqual(h.sanitiseEntries({ kind: "user", text: "x" }), []);
});

test("sanitiseEntries keeps only the last MAX_ENTRIES", () => {
  const many = Array.from({ length: h.MAX_ENTRIES + 5 }, (_, i) => ({ kind: "user", text: `m${i}` }));
  const kept = h.sanitiseEntries(many);
  assert.equal(kept.length, h.MAX_ENTRIES);
  assert.equal(kept[0].text, "m5");
  assert.equal(kept[kept.length - 1].text, `m${h.MAX_ENTRIES + 4}`);
});

test("triageOf finds the payload in every shape a channel delivers", () => {
  const t = { level: "urgent", concerns: ["cervical_insufficiency"] };
  assert.equal(h.triageOf({ custom: { triage: t } }), t);
  assert.equal(h.triageOf({ triage: t }), t);
  assert.equal(h.triageOf({ data: { triage: t } }), t);
  assert.equal(h.triageOf({ custom: { data: { triage: t } } }), t);
  assert.equal(h.triageOf({ text: "hello" }), null);
  assert.equal(h.triageOf({ custom: { triage: { level: "doom" } } }), null);
  assert.equal(h.triageOf({ custom: { triage: "urgent" } }), null);
  // the first well-formed candidate wins
  assert.equal(h.triageOf({ custom: { triage: { level: "x" } }, triage: t }), t);
});

test("buttonsOf reads quick_replies or buttons, as text, at most 12", () => {
  assert.deepEqual(h.buttonsOf({ quick_replies: [{ title: "Yes", payload: "/affirm", extra: 1 }] }),
                   [{ title: "Yes", payload: "/affirm" }]);
  assert.deepEqual(h.buttonsOf({ buttons: [{ title: "20", payload: 20 }] }),
                   [{ title: "20", payload: "20" }]);
  assert.deepEqual(h.buttonsOf({ quick_replies: [{ title: "A", payload: "/a" }],
                                 buttons: [{ title: "B", payload: "/b" }] }),
                   [{ title: "A", payload: "/a" }]);
  assert.deepEqual(h.buttonsOf({ buttons: [null, { title: "x" }, { payload: "/y" },
                                           { title: "z", payload: { p: 1 } }] }), []);
  assert.deepEqual(h.buttonsOf({ text: "no buttons" }), []);
  const many = Array.from({ length: 20 }, (_, i) => ({ title: `b${i}`, payload: `/b${i}` }));
  assert.equal(h.buttonsOf({ buttons: many }).length, 12);
});

test("sessionOf: the id and its resume token from session_confirm", () => {
  const token = "A".repeat(43);
  assert.deepEqual(h.sessionOf({ session_id: "web-" + "a".repeat(32), resume_token: token }),
                   { id: "web-" + "a".repeat(32), token });
  assert.deepEqual(h.sessionOf({ session_id: "abc", resume_token: "<script>" }), { id: "abc", token: null });
  assert.equal(h.sessionOf({ session_id: "a b", resume_token: token }), null);
  assert.equal(h.isResumeToken("short"), false);
});

test("messageId: 32 hex digits from 16 bytes", () => {
  assert.equal(h.messageId([0, 1, 255, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 171]),
               "0001ff100000000000000000000000ab");
});

test("exitUrl: an https address, else an everyday page", () => {
  assert.equal(h.exitUrl("https://example.org/news"), "https://example.org/news");
  assert.equal(h.exitUrl(["java", "script:alert(1)"].join("")), "https://www.bbc.co.uk/weather");
  assert.equal(h.exitUrl("http://example.org"), "https://www.bbc.co.uk/weather");
  assert.equal(h.exitUrl(undefined), "https://www.bbc.co.uk/weather");
});

test("parseSessionHours: never more than 24", () => {
  assert.equal(h.parseSessionHours("48"), 24);
});

test("clinicOf: the bot's numbers, only usable ones", () => {
  assert.deepEqual(h.clinicOf({ emergency_number: "999", triage_phone: "01632 960 111",
                                triage_name: "Riverside Maternity Triage" }),
                   { emergencyNumber: "999", triagePhone: "01632 960 111",
                     triageName: "Riverside Maternity Triage" });
  assert.deepEqual(h.clinicOf({ emergency_number: "call us", triage_phone: 12 }), null);
  assert.equal(h.clinicOf(null), null);
  assert.equal(h.clinicOf("999"), null);
});

test("parseRetrySeconds: 1 to 120, else 20", () => {
  assert.equal(h.parseRetrySeconds("5"), 5);
  assert.equal(h.parseRetrySeconds("0.5"), 20);
  assert.equal(h.parseRetrySeconds("500"), 20);
  assert.equal(h.parseRetrySeconds(undefined), 20);
});
