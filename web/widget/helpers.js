/*
 * The chat widget's pure helpers: no DOM, no storage, no network, no clock of their own.
 * An ES module (ES5 syntax plus import/export, docs/decisions.md): web/build.js bundles it with
 * the widget's other modules into the one file a clinic embeds
 * (web/static/widget/triage-widget.js), and node imports it for the unit tests
 * (web/test/helpers.test.js).
 *
 * Every function here is a safety rule of the widget, so each is tested on its own:
 * - nothing from the network or storage becomes HTML or a link (telHref is the only link);
 * - a malformed triage payload, button list or stored transcript is dropped, not shown.
 */

export var LEVELS = ["emergency", "urgent", "same_day", "routine", "self_care"];
export var MAX_ENTRIES = 300;
var MAX_BUTTONS = 12;
var SESSION_ID = /^[A-Za-z0-9_-]{1,100}$/;
var TRANSPORTS = ["websocket", "polling"];
var RESUME_TOKEN = /^[A-Za-z0-9_-]{20,100}$/;
var DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";

/** A trimmed string from a data- attribute, or the fallback when it is missing or blank. */
export function cleanText(value, fallback) {
  var s = typeof value === "string" ? value.trim() : "";
  return s || fallback;
}

/** data-transports: a comma list of socket.io transports; unknown ones are dropped. */
export function parseTransports(value) {
  var list = cleanText(value, TRANSPORTS.join(",")).split(",").map(function (t) {
    return t.trim();
  }).filter(function (t) { return TRANSPORTS.indexOf(t) !== -1; });
  return list.length ? list : TRANSPORTS.slice();
}

/** data-session-hours: how long a stored conversation survives (data-storage="local"):
 * 24 unless a positive number, and never more than 24. */
export function parseSessionHours(value) {
  var hours = parseFloat(value);
  return hours > 0 ? Math.min(hours, 24) : 24;
}

/** data-retry-seconds: how long to wait for a reply before sending a message once more
 * (same message id); 20 unless a number from 1 to 120. */
export function parseRetrySeconds(value) {
  var seconds = parseFloat(value);
  return seconds >= 1 && seconds <= 120 ? seconds : 20;
}

/** data-exit-url: where "Leave quickly" goes; an https address, else an everyday page. */
export function exitUrl(value) {
  var s = cleanText(value, "");
  return /^https:\/\/[^\s"'<>]+$/.test(s) ? s : DEFAULT_EXIT_URL;
}

/** A resume token as the server issues it (base64url of an HMAC). */
export function isResumeToken(token) {
  return typeof token === "string" && RESUME_TOKEN.test(token);
}

/** The conversation in a session_confirm: {id, token}, or null. */
export function sessionOf(data) {
  var id = sessionIdOf(data);
  if (!id) {
    return null;
  }
  var token = data && typeof data === "object" && isResumeToken(data.resume_token) ? data.resume_token : null;
  return { id: id, token: token };
}

/** The clinic's contacts from a session_confirm ({emergency_number, triage_phone,
 * triage_name}), as widget settings; only non-blank strings that make a tel: link (numbers)
 * are kept; null when there is nothing usable. */
export function clinicOf(info) {
  if (!info || typeof info !== "object") {
    return null;
  }
  var out = {};
  if (typeof info.emergency_number === "string" && telHref(info.emergency_number)) {
    out.emergencyNumber = info.emergency_number.trim().slice(0, 40);
  }
  if (typeof info.triage_phone === "string" && telHref(info.triage_phone)) {
    out.triagePhone = info.triage_phone.trim().slice(0, 40);
  }
  if (typeof info.triage_name === "string" && info.triage_name.trim()) {
    out.triageName = info.triage_name.trim().slice(0, 100);
  }
  return Object.keys(out).length ? out : null;
}

/** A message id (32 hex digits) from 16 random bytes, so a retry is processed once. */
export function messageId(bytes) {
  var out = "";
  for (var i = 0; i < bytes.length; i++) {
    out += (bytes[i] + 0x100).toString(16).slice(1);
  }
  return out;
}

/** A tel: URL from a configured number: digits, and a + only in first place. */
export function telHref(number) {
  var s = String(number || "").replace(/[^0-9+]/g, "");
  s = s.charAt(0) + s.slice(1).replace(/\+/g, "");
  return /[0-9]/.test(s) ? "tel:" + s : null;
}

export function isLevel(level) {
  return typeof level === "string" && LEVELS.indexOf(level) !== -1;
}

/** A session id the widget accepts from the server or from storage. */
export function isSessionId(id) {
  return typeof id === "string" && SESSION_ID.test(id);
}

/** The session id in Rasa's session_confirm (a string, or {session_id}), or null. */
export function sessionIdOf(data) {
  var id = typeof data === "string" ? data
    : (data && typeof data.session_id === "string" ? data.session_id : null);
  return isSessionId(id) ? id : null;
}

/** True when a saved session last updated at `updated` (ms) is too old at `now` (ms). */
export function sessionExpired(updated, now, hours) {
  return now - (updated || 0) > hours * 3600 * 1000;
}

/** Keep only well-formed entries from storage; everything stays text. */
export function sanitiseEntries(raw) {
  if (!Array.isArray(raw)) {
    return [];
  }
  var out = [];
  raw.forEach(function (e) {
    if (!e || typeof e !== "object") {
      return;
    }
    if (e.kind === "user" && typeof e.text === "string") {
      out.push({ kind: "user", text: e.text, payload: typeof e.payload === "string" ? e.payload : e.text,
                 pending: !!e.pending });
    } else if (e.kind === "bot" && typeof e.text === "string") {
      var buttons = Array.isArray(e.buttons) ? e.buttons.filter(function (b) {
        return b && typeof b.title === "string" && typeof b.payload === "string";
      }).map(function (b) { return { title: b.title, payload: b.payload }; }) : [];
      out.push({ kind: "bot", text: e.text, buttons: buttons,
                 chosen: typeof e.chosen === "number" ? e.chosen : null,
                 closed: !!e.closed, level: isLevel(e.level) ? e.level : null });
    } else if (e.kind === "triage" && isLevel(e.level)) {
      out.push({ kind: "triage", level: e.level });
    }
  });
  return out.slice(-MAX_ENTRIES);
}

/** Pull a triage payload out of any of the shapes a Rasa channel may deliver. */
export function triageOf(msg) {
  var candidates = [
    msg.custom && msg.custom.triage,
    msg.triage,
    msg.data && msg.data.triage,
    msg.custom && msg.custom.data && msg.custom.data.triage
  ];
  for (var i = 0; i < candidates.length; i++) {
    var t = candidates[i];
    if (t && typeof t === "object" && isLevel(t.level)) {
      return t;
    }
  }
  return null;
}

/** The quick replies (or buttons) of a bot message: title and payload as text, at most 12. */
export function buttonsOf(msg) {
  var list = Array.isArray(msg.quick_replies) ? msg.quick_replies
    : Array.isArray(msg.buttons) ? msg.buttons : [];
  return list.filter(function (b) {
    return b && typeof b.title === "string" && (typeof b.payload === "string" || typeof b.payload === "number");
  }).map(function (b) { return { title: b.title, payload: String(b.payload) }; }).slice(0, MAX_BUTTONS);
}
