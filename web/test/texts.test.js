// What the widget tells the patient (web/widget/texts.js): every emergency and urgent text
// carries the clinic's number when there is one, and says whom to call when there is none.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

let t;
test.before(async () => {
  t = await import("../widget/texts.js");
});

const FULL = { clinicName: "Riverside", emergencyNumber: "999", triagePhone: "01632 960 111",
               triageName: "Riverside Triage", disclaimer: "" };
const BARE = { clinicName: "Maternity clinic", emergencyNumber: "", triagePhone: "",
               triageName: "maternity triage", disclaimer: "" };

test("disclaimerText: automated, not a diagnosis, and the emergency number", () => {
  const text = t.disclaimerText(FULL);
  assert.match(text, /^This chat is an automated symptom checker from Riverside\. /);
  assert.match(text, /not a diagnosis/);
  assert.match(text, /call 999 now\.$/);
  assert.match(t.disclaimerText(BARE), /call the emergency services now\.$/);
  assert.equal(t.disclaimerText({ ...FULL, disclaimer: "The clinic's own words." }), "The clinic's own words.");
});

test("stripLines: the emergency number first, then the triage line; none without numbers", () => {
  assert.deepEqual(t.stripLines(FULL), [
    { prefix: "Emergency? ", number: "999", label: "Call 999", ariaLabel: "Emergency: call 999",
      emergency: true },
    { prefix: "Riverside Triage: ", number: "01632 960 111", label: "01632 960 111",
      ariaLabel: "Call Riverside Triage on 01632 960 111", emergency: false },
  ]);
  assert.deepEqual(t.stripLines(BARE), []);
});

test("triageCard: emergency and urgent cards call the configured numbers", () => {
  assert.deepEqual(t.triageCard("emergency", FULL), {
    title: "Emergency: get help now",
    body: "Call 999 now. Do not wait for the chat.",
    call: { number: "999", label: "Call 999 now", className: "tw-call tw-call--emergency",
            ariaLabel: "Emergency: call 999 now" },
  });
  assert.deepEqual(t.triageCard("urgent", FULL), {
    title: "Urgent: call Riverside Triage now",
    body: "Do not wait for an appointment. Call now and tell them what is happening.",
    call: { number: "01632 960 111", label: "Call 01632 960 111", className: "tw-call tw-call--urgent",
            ariaLabel: "Call Riverside Triage on 01632 960 111" },
  });
});

test("triageCard: without numbers, words instead of a call button", () => {
  const emergency = t.triageCard("emergency", BARE);
  assert.equal(emergency.body, "Call the emergency services now. Do not wait for the chat.");
  assert.equal(emergency.call, null);
  assert.equal(t.triageCard("urgent", BARE).call, null);
});

test("triageCard: the other levels get their label, no body, no call", () => {
  assert.deepEqual(t.triageCard("same_day", FULL), { title: "Get advice today", body: null, call: null });
  assert.deepEqual(t.triageCard("routine", FULL), { title: "Routine advice", body: null, call: null });
  assert.deepEqual(t.triageCard("self_care", FULL), { title: "Self-care advice", body: null, call: null });
});

test("every level has a card title", async () => {
  const { LEVELS } = await import("../widget/helpers.js");
  assert.deepEqual(Object.keys(t.LEVEL_TEXT).sort(), [...LEVELS].sort());
  for (const level of LEVELS) {
    assert.ok(t.triageCard(level, FULL).title, level);
  }
});

test("alertText: emergency and urgent are announced, the others not", () => {
  assert.equal(t.alertText("emergency", FULL), "Emergency. Call 999 now.");
  assert.equal(t.alertText("emergency", BARE), "Emergency. Call the emergency services now.");
  assert.equal(t.alertText("urgent", FULL), "Urgent. Call Riverside Triage now on 01632 960 111.");
  assert.equal(t.alertText("urgent", BARE), "Urgent. Call maternity triage now.");
  for (const level of ["same_day", "routine", "self_care"]) {
    assert.equal(t.alertText(level, FULL), null);
  }
});

test("reconnectingText and phoneHint: the emergency number while the chat is away", () => {
  assert.equal(t.phoneHint(FULL), " In an emergency call 999.");
  assert.equal(t.phoneHint(BARE), "");
  assert.equal(t.reconnectingText(FULL, 0), "Connection lost. Reconnecting\u2026 In an emergency call 999.");
  assert.equal(t.reconnectingText(BARE, 2),
               "Connection lost. Reconnecting\u2026 Your message will be sent when the chat is back.");
});
