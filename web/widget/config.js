/*
 * The widget's settings: from the embed tag's data-* attributes when the page loads, then the
 * clinic's numbers as the bot sends them (clinic.yml) on every session_confirm.
 * No DOM of its own (the tag and the page's origin are passed in), so node tests it.
 */
import {
  cleanText, clinicOf, exitUrl, parseRetrySeconds, parseSessionHours, parseTransports
} from "./helpers.js";

/** The <script> tag that loaded the widget (the last matching one when the browser does not
 * say), or null. */
export function findScript(doc) {
  if (doc.currentScript) {
    return doc.currentScript;
  }
  var all = doc.querySelectorAll("script[src*='triage-widget']");
  return all.length ? all[all.length - 1] : null;
}

/** The settings from the embed tag: `ds` is its dataset, `scriptSrc` its src (the stylesheet
 * and socket.io-client are loaded from the same folder), `pageOrigin` the page's origin. */
export function readConfig(ds, scriptSrc, pageOrigin) {
  var base = new URL(".", scriptSrc).href;
  return {
    serverUrl: cleanText(ds.serverUrl, pageOrigin),
    socketPath: cleanText(ds.socketPath, "/socket.io/"),
    clinicName: cleanText(ds.clinicName, "Maternity clinic"),
    title: cleanText(ds.title, "Pregnancy symptom checker"),
    emergencyNumber: cleanText(ds.emergencyNumber, ""),
    triagePhone: cleanText(ds.triagePhone, ""),
    triageName: cleanText(ds.triageName, "maternity triage"),
    disclaimer: cleanText(ds.disclaimer, ""),
    initPayload: cleanText(ds.initPayload, ""),
    container: cleanText(ds.container, ""),
    open: ds.open === "true",
    // A shared phone: the conversation stays only while the tab is open, unless the clinic
    // chose to keep it (clinic.yml chat_kept_hours, rendered as data-storage="local").
    storage: ds.storage === "local" ? "local" : "session",
    sessionHours: parseSessionHours(ds.sessionHours),
    exitUrl: exitUrl(ds.exitUrl),
    retryMs: parseRetrySeconds(ds.retrySeconds) * 1000,
    transports: parseTransports(ds.transports),
    // Same origin as this script: the widget never asks a third party for anything.
    cssHref: base + "triage-widget.css",
    socketioSrc: base + "vendor/socket.io.min.js"
  };
}

/** Take the clinic's numbers from a session_confirm's `clinic` (clinic.yml), replacing the
 * embed tag's. Changes `config` in place; true when a number or name changed. */
export function applyClinicInfo(config, info) {
  var next = clinicOf(info);
  if (!next) {
    return false;
  }
  var changed = false;
  Object.keys(next).forEach(function (key) {
    if (config[key] !== next[key]) {
      config[key] = next[key];
      changed = true;
    }
  });
  return changed;
}
