// The widget's settings (web/widget/config.js): the embed tag's data-* attributes, and the
// clinic's numbers from the bot replacing them. No browser: the tag is a plain object.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

let c;
test.before(async () => {
  c = await import("../widget/config.js");
});

const SRC = "https://bot.clinic.example/widget/triage-widget.js?v=1";

test("readConfig: defaults for a bare tag; assets from the script's own folder", () => {
  const config = c.readConfig({}, SRC, "https://clinic.example");
  assert.deepEqual(config, {
    serverUrl: "https://clinic.example",
    socketPath: "/socket.io/",
    clinicName: "Maternity clinic",
    title: "Pregnancy symptom checker",
    emergencyNumber: "",
    triagePhone: "",
    triageName: "maternity triage",
    disclaimer: "",
    initPayload: "",
    container: "",
    open: false,
    storage: "session",
    sessionHours: 24,
    exitUrl: "https://www.bbc.co.uk/weather",
    retryMs: 20000,
    transports: ["websocket", "polling"],
    cssHref: "https://bot.clinic.example/widget/triage-widget.css",
    socketioSrc: "https://bot.clinic.example/widget/vendor/socket.io.min.js",
  });
});

test("readConfig: every data-* attribute, cleaned", () => {
  const config = c.readConfig({
    serverUrl: " https://bot.clinic.example ",
    socketPath: "/chat/",
    clinicName: "Riverside Maternity Clinic",
    title: "Symptoms",
    emergencyNumber: "999",
    triagePhone: "01632 960 111",
    triageName: "Riverside Maternity Triage",
    disclaimer: "Automated.",
    initPayload: "/greet",
    container: "#chat",
    open: "true",
    storage: "local",
    sessionHours: "2",
    exitUrl: "https://example.org/news",
    retrySeconds: "5",
    transports: "polling",
  }, SRC, "https://clinic.example");
  assert.equal(config.serverUrl, "https://bot.clinic.example");
  assert.equal(config.socketPath, "/chat/");
  assert.equal(config.emergencyNumber, "999");
  assert.equal(config.triagePhone, "01632 960 111");
  assert.equal(config.triageName, "Riverside Maternity Triage");
  assert.equal(config.initPayload, "/greet");
  assert.equal(config.container, "#chat");
  assert.equal(config.open, true);
  assert.equal(config.storage, "local");
  assert.equal(config.sessionHours, 2);
  assert.equal(config.exitUrl, "https://example.org/news");
  assert.equal(config.retryMs, 5000);
  assert.deepEqual(config.transports, ["polling"]);
});

test("readConfig: only the exact values switch open and local storage", () => {
  const config = c.readConfig({ open: "yes", storage: "LOCAL" }, SRC, "https://clinic.example");
  assert.equal(config.open, false);
  assert.equal(config.storage, "session"); // the private default on a shared phone
});

test("findScript: the current script, else the last triage-widget tag, else null", () => {
  const current = { src: SRC };
  assert.equal(c.findScript({ currentScript: current, querySelectorAll: () => [] }), current);
  const tags = [{ src: "a" }, { src: "b" }];
  let asked;
  const doc = { currentScript: null, querySelectorAll: (q) => { asked = q; return tags; } };
  assert.equal(c.findScript(doc), tags[1]);
  assert.equal(asked, "script[src*='triage-widget']");
  assert.equal(c.findScript({ currentScript: null, querySelectorAll: () => [] }), null);
});

test("applyClinicInfo: the bot's usable numbers replace the tag's; true only on a change", () => {
  const config = { emergencyNumber: "", triagePhone: "01632 000 000", triageName: "maternity triage" };
  const info = { emergency_number: "999", triage_phone: "01632 960 111", triage_name: "Riverside Triage" };
  assert.equal(c.applyClinicInfo(config, info), true);
  assert.deepEqual(config, { emergencyNumber: "999", triagePhone: "01632 960 111",
                             triageName: "Riverside Triage" });
  assert.equal(c.applyClinicInfo(config, info), false); // the same again: nothing to redraw
  assert.equal(c.applyClinicInfo(config, { emergency_number: "call us" }), false);
  assert.equal(c.applyClinicInfo(config, null), false);
  assert.equal(config.emergencyNumber, "999"); // an unusable number never replaces a usable one
});
