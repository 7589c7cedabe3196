/*!
 * Pregnancy symptom-checker chat widget for a Rasa bot (socket.io channel).
 * Vanilla JavaScript, no framework. See docs/widget.md.
 *
 * Embed with one tag (every value below is the clinic's own):
 *   <script src="https://CLINIC-BOT-HOST/widget/triage-widget.js"
 *           data-server-url="https://CLINIC-BOT-HOST"
 *           data-clinic-name="Riverside Maternity Clinic"
 *           data-emergency-number="999"
 *           data-triage-phone="01632 960 111"
 *           data-triage-name="Riverside Maternity Triage"
 *           defer></script>
 *
 * Rules this file keeps:
 * - Nothing received from the network or read from storage is ever parsed as HTML: every
 *   piece of text goes into the page with textContent. The only links are tel: links the
 *   widget builds itself from the configured phone numbers (digits and a leading + only).
 * - The stylesheet and socket.io-client are loaded from the same folder as this script,
 *   never from a third-party CDN.
 *
 * Source layout: this file is the widget's DOM, storage and socket code; its pure helpers are
 * in helpers.js (unit-tested with node --test). web/build.js bundles both, in one closure, into
 * web/static/widget/triage-widget.js, the single file the server publishes and a clinic embeds.
 */
/* global triageWidgetHelpers */
(function (helpers) {
  "use strict";

  if (window.TriageWidget && window.TriageWidget.loaded) {
    return; // pasted twice: keep the first
  }

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='triage-widget']");
    return all.length ? all[all.length - 1] : null;
  })();
  if (!script) {
    return;
  }

  var MAX_ENTRIES = helpers.MAX_ENTRIES;
  var MAX_INPUT = 1000;
  var cleanText = helpers.cleanText;
  var telHref = helpers.telHref;
  var sanitiseEntries = helpers.sanitiseEntries;
  var triageOf = helpers.triageOf;
  var buttonsOf = helpers.buttonsOf;
  var KEY_PREFIX = "triageWidget:";

  var base = new URL(".", script.src).href;
  var ds = script.dataset;

  var config = {
    serverUrl: cleanText(ds.serverUrl, window.location.origin),
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
    sessionHours: helpers.parseSessionHours(ds.sessionHours),
    exitUrl: helpers.exitUrl(ds.exitUrl),
    retryMs: helpers.parseRetrySeconds(ds.retrySeconds) * 1000,
    transports: helpers.parseTransports(ds.transports),
    // Same origin as this script: the widget never asks a third party for anything.
    cssHref: base + "triage-widget.css",
    socketioSrc: base + "vendor/socket.io.min.js"
  };

  // ---------------------------------------------------------------- helpers

  /** Create an element. attrs go through setAttribute, text through textContent only. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (name === "text") {
          node.textContent = String(value);
        } else if (name === "className") {
          node.className = value;
        } else {
          node.setAttribute(name, value === true ? "" : String(value));
        }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) {
        return;
      }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function visuallyHidden(text) {
    return el("span", { className: "tw-vh", text: text });
  }

  /** A tap-to-call link, or plain text when the number has no digits. */
  function callLink(number, label, className, ariaLabel) {
    var href = telHref(number);
    if (!href) {
      return el("span", { className: className, text: label });
    }
    return el("a", { className: className, href: href, "aria-label": ariaLabel || null, text: label });
  }

  // ---------------------------------------------------------------- storage

  function pickStorage() {
    try {
      var s = config.storage === "session" ? window.sessionStorage : window.localStorage;
      var probe = KEY_PREFIX + "probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      var memory = {};
      return {
        getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; }
      };
    }
  }

  var storage = pickStorage();
  var sessionKey = KEY_PREFIX + "session:" + config.serverUrl;

  function readJson(key) {
    try {
      return JSON.parse(storage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }

  function writeJson(key, value) {
    try {
      storage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage full or blocked: the chat still works, it just won't survive a reload */
    }
  }

  function transcriptKey(id) {
    return KEY_PREFIX + "transcript:" + id;
  }

  /** The stored conversation {id, token}, or null. Without its resume token the server
   * would start a new conversation anyway, so an id alone is not kept. */
  function loadSession() {
    var saved = readJson(sessionKey);
    if (!saved || !helpers.isSessionId(saved.id) || !helpers.isResumeToken(saved.token)) {
      return null;
    }
    if (helpers.sessionExpired(saved.updated, Date.now(), config.sessionHours)) {
      storage.removeItem(sessionKey);
      storage.removeItem(transcriptKey(saved.id));
      return null;
    }
    return { id: saved.id, token: saved.token };
  }

  /** Remove everything this widget stored, in both storages. */
  function forgetAll() {
    var stores = [storage];
    try {
      stores.push(window.localStorage, window.sessionStorage); // may throw when blocked
    } catch (e) {
      /* blocked storage: nothing was kept there */
    }
    stores.forEach(function (s) {
      try {
        var keys = [];
        for (var i = 0; i < s.length; i++) {
          keys.push(s.key(i));
        }
        keys.forEach(function (k) {
          if (k && k.indexOf(KEY_PREFIX) === 0) {
            s.removeItem(k);
          }
        });
      } catch (e) {
        /* blocked storage: nothing was kept there */
      }
    });
  }

  function newMessageId() {
    var bytes = new window.Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    return helpers.messageId(bytes);
  }

  // ---------------------------------------------------------------- state

  var savedSession = loadSession();
  var state = {
    sessionId: savedSession ? savedSession.id : null,
    resumeToken: savedSession ? savedSession.token : null,
    awaiting: null,       // {entry, retried, timer}: the message waiting for its reply
    entries: [],
    queue: [],            // user entries typed while not connected
    connected: false,     // socket connected AND session confirmed
    everConfirmed: false,
    lost: false,
    typingTimer: null,
    statusTimer: null,
    turnLevel: null,      // triage level of the bot turn in progress
    initSent: false
  };
  if (state.sessionId) {
    state.entries = sanitiseEntries(readJson(transcriptKey(state.sessionId)));
  }

  function save() {
    if (!state.sessionId) {
      return;
    }
    if (state.entries.length > MAX_ENTRIES) {
      state.entries = state.entries.slice(-MAX_ENTRIES);
    }
    writeJson(sessionKey, { id: state.sessionId, token: state.resumeToken, updated: Date.now() });
    writeJson(transcriptKey(state.sessionId), state.entries);
  }

  // ---------------------------------------------------------------- DOM

  var host = el("div", { id: "triage-widget", className: "triage-widget-host" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var inline = false;
  var mountPoint = null;
  if (config.container) {
    try {
      mountPoint = document.querySelector(config.container);
    } catch (e) {
      mountPoint = null;
    }
    inline = !!mountPoint;
  }

  var ids = {
    panel: "tw-panel",
    title: "tw-title",
    input: "tw-input",
    disclaimer: "tw-disclaimer"
  };

  var launcher = el("button", {
    type: "button",
    className: "tw-launcher",
    "aria-expanded": "false",
    "aria-controls": ids.panel
  }, [el("span", { className: "tw-launcher__icon", "aria-hidden": "true", text: "\uD83D\uDCAC" }),
      el("span", { className: "tw-launcher__text", text: "Worried about a symptom? Chat" })]);

  var closeButton = el("button", { type: "button", className: "tw-icon-button tw-close",
                                   "aria-label": "Close chat", title: "Close chat" },
                       [el("span", { "aria-hidden": "true", text: "\u00D7" })]);
  var newChatButton = el("button", { type: "button", className: "tw-text-button tw-new",
                                     "aria-label": "New chat: clear this conversation from this device",
                                     text: "New chat" });
  var exitButton = el("button", { type: "button", className: "tw-text-button tw-exit",
                                  "aria-label": "Leave quickly: clear the chat and leave this page",
                                  text: "Leave quickly" });

  /** The always-visible numbers. They come first from the embed tag (so they show even when
   * the bot cannot be reached), then from the bot's clinic.yml on every session_confirm
   * (applyClinic), so a number changed in clinic.yml reaches every page that embeds the chat. */
  function stripRows() {
    var emergencyLink = config.emergencyNumber
      ? callLink(config.emergencyNumber, "Call " + config.emergencyNumber,
                 "tw-strip__call tw-strip__call--emergency", "Emergency: call " + config.emergencyNumber)
      : null;
    var triageLink = config.triagePhone
      ? callLink(config.triagePhone, config.triagePhone, "tw-strip__call",
                 "Call " + config.triageName + " on " + config.triagePhone)
      : null;
    return [
      emergencyLink ? el("p", { className: "tw-strip__row tw-strip__row--emergency" },
                         [el("span", { text: "Emergency? " }), emergencyLink]) : null,
      triageLink ? el("p", { className: "tw-strip__row" },
                      [el("span", { text: config.triageName + ": " }), triageLink]) : null
    ];
  }

  var strip = el("div", { className: "tw-strip" }, stripRows());

  var header = el("div", { className: "tw-header" }, [
    el("div", { className: "tw-header__titles" }, [
      el("h2", { className: "tw-title", id: ids.title, text: config.clinicName }),
      el("p", { className: "tw-subtitle", text: config.title })
    ]),
    el("div", { className: "tw-header__actions" },
       [exitButton, newChatButton, inline ? null : closeButton])
  ]);

  function disclaimerText() {
    return config.disclaimer ||
      ("This chat is an automated symptom checker from " + config.clinicName + ". It gives general " +
       "advice, not a diagnosis, and staff do not read it as you type. " +
       (config.emergencyNumber
         ? "If you think you or your baby are in danger, do not wait for the chat: call " +
           config.emergencyNumber + " now."
         : "If you think you or your baby are in danger, call the emergency services now."));
  }
  var disclaimerBody = el("p", { text: disclaimerText() });
  var disclaimer = el("div", { className: "tw-disclaimer", id: ids.disclaimer }, [
    el("p", { className: "tw-disclaimer__heading", text: "Before you start" }),
    disclaimerBody
  ]);

  /** The clinic's numbers as the bot sends them (clinic.yml), replacing the embed tag's. */
  function applyClinic(info) {
    var next = helpers.clinicOf(info);
    if (!next) {
      return;
    }
    var changed = false;
    Object.keys(next).forEach(function (key) {
      if (config[key] !== next[key]) {
        config[key] = next[key];
        changed = true;
      }
    });
    if (!changed) {
      return;
    }
    while (strip.firstChild) {
      strip.removeChild(strip.firstChild);
    }
    stripRows().forEach(function (row) {
      if (row) {
        strip.appendChild(row);
      }
    });
    disclaimerBody.textContent = disclaimerText();
  }

  var log = el("div", {
    className: "tw-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation"
  });

  var typing = el("div", { className: "tw-typing", hidden: true }, [
    el("span", { className: "tw-typing__dots", "aria-hidden": "true" },
       [el("span"), el("span"), el("span")]),
    el("span", { className: "tw-typing__text", text: "The assistant is typing\u2026" })
  ]);

  var scroller = el("div", { className: "tw-scroll", tabindex: "0", "aria-label": "Chat messages" },
                    [disclaimer, log, typing]);

  var status = el("p", { className: "tw-status", role: "status", "aria-live": "polite" });
  var alertRegion = el("p", { className: "tw-vh", role: "alert" });

  var input = el("textarea", {
    id: ids.input,
    className: "tw-input",
    rows: "1",
    maxlength: String(MAX_INPUT),
    autocomplete: "off",
    placeholder: "Type your message\u2026",
    "aria-describedby": ids.disclaimer
  });
  var sendButton = el("button", { type: "submit", className: "tw-send", "aria-label": "Send message" },
                      [el("span", { text: "Send" })]);
  var form = el("form", { className: "tw-form", "aria-label": "Send a message" }, [
    el("label", { className: "tw-vh", "for": ids.input, text: "Type your message" }),
    input,
    sendButton
  ]);

  var panel = el("section", {
    className: "tw-panel" + (inline ? " tw-panel--inline" : ""),
    id: ids.panel,
    "aria-labelledby": ids.title,
    hidden: inline ? null : true
  }, [header, strip, status, scroller, form, alertRegion]);

  var frame = el("div", { className: "tw-root" + (inline ? " tw-root--inline" : "") },
                 [inline ? null : launcher, panel]);

  // ---------------------------------------------------------------- rendering

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  var levelText = {
    emergency: "Emergency",
    urgent: "Urgent",
    same_day: "Get advice today",
    routine: "Routine advice",
    self_care: "Self-care advice"
  };

  function renderUser(entry) {
    var bubble = el("div", { className: "tw-bubble", text: entry.text });
    var node = el("div", { className: "tw-msg tw-msg--user" + (entry.pending ? " tw-msg--pending" : "") },
                  [visuallyHidden("You said: "), bubble]);
    if (entry.pending) {
      node.appendChild(el("p", { className: "tw-msg__note", text: "Waiting to send\u2026" }));
    }
    entry.node = node;
    return node;
  }

  function renderBot(entry) {
    var bubble = entry.text ? el("div", {
      className: "tw-bubble" + (entry.level ? " tw-bubble--" + entry.level : ""),
      text: entry.text
    }) : null;
    var node = el("div", { className: "tw-msg tw-msg--bot" },
                  [bubble ? visuallyHidden("Assistant said: ") : null, bubble]);
    if (entry.buttons && entry.buttons.length) {
      var group = el("div", { className: "tw-quick", role: "group", "aria-label": "Suggested replies" });
      entry.buttons.forEach(function (b, i) {
        var chosen = entry.chosen === i;
        var btn = el("button", {
          type: "button",
          className: "tw-quick__button" + (chosen ? " tw-quick__button--chosen" : ""),
          "aria-pressed": chosen ? "true" : "false",
          disabled: entry.closed ? true : null,
          text: b.title
        });
        btn.addEventListener("click", function () {
          if (entry.closed) {
            return;
          }
          entry.chosen = i;
          closeButtons();
          sendUser(b.title, b.payload, true);
          input.focus();
        });
        group.appendChild(btn);
      });
      node.appendChild(group);
      entry.group = group;
    }
    entry.node = node;
    entry.bubble = bubble;
    return node;
  }

  function renderTriage(entry) {
    var level = entry.level;
    var children = [];
    var title;
    var body;
    var action = null;
    if (level === "emergency") {
      title = "Emergency: get help now";
      body = config.emergencyNumber
        ? "Call " + config.emergencyNumber + " now. Do not wait for the chat."
        : "Call the emergency services now. Do not wait for the chat.";
      if (config.emergencyNumber) {
        action = callLink(config.emergencyNumber, "Call " + config.emergencyNumber + " now",
                          "tw-call tw-call--emergency", "Emergency: call " + config.emergencyNumber + " now");
      }
    } else if (level === "urgent") {
      title = "Urgent: call " + config.triageName + " now";
      body = "Do not wait for an appointment. Call now and tell them what is happening.";
      if (config.triagePhone) {
        action = callLink(config.triagePhone, "Call " + config.triagePhone,
                          "tw-call tw-call--urgent",
                          "Call " + config.triageName + " on " + config.triagePhone);
      }
    } else {
      title = levelText[level];
      body = null;
    }
    children.push(el("p", { className: "tw-triage__title" }, [
      level === "emergency" || level === "urgent"
        ? el("span", { className: "tw-triage__icon", "aria-hidden": "true", text: "!" })
        : null,
      title
    ]));
    if (body) {
      children.push(el("p", { className: "tw-triage__body", text: body }));
    }
    if (action) {
      children.push(action);
    }
    var node = el("div", { className: "tw-triage tw-triage--" + level, "data-level": level }, children);
    entry.node = node;
    return node;
  }

  function render(entry) {
    if (entry.kind === "user") {
      return renderUser(entry);
    }
    if (entry.kind === "bot") {
      return renderBot(entry);
    }
    return renderTriage(entry);
  }

  function addEntry(entry) {
    state.entries.push(entry);
    log.appendChild(render(entry));
    save();
    scrollToEnd();
    return entry;
  }

  /** Disable every open set of quick replies (a reply was chosen or typed). */
  function closeButtons() {
    state.entries.forEach(function (e) {
      if (e.kind === "bot" && e.buttons && e.buttons.length && !e.closed) {
        e.closed = true;
        if (e.group) {
          Array.prototype.forEach.call(e.group.querySelectorAll("button"), function (b, i) {
            b.disabled = true;
            var chosen = e.chosen === i;
            b.setAttribute("aria-pressed", chosen ? "true" : "false");
            if (chosen) {
              b.classList.add("tw-quick__button--chosen");
            }
          });
        }
      }
    });
    save();
  }

  /** Style the bot messages of the turn in progress by triage level. */
  function markTurn(level) {
    for (var i = state.entries.length - 1; i >= 0; i--) {
      var e = state.entries[i];
      if (e.kind === "user") {
        break;
      }
      if (e.kind === "bot" && !e.level) {
        e.level = level;
        if (e.bubble) {
          e.bubble.classList.add("tw-bubble--" + level);
        }
      }
    }
  }

  function applyTriage(level) {
    markTurn(level);
    state.turnLevel = level;
    addEntry({ kind: "triage", level: level });
    if (level === "emergency") {
      announceAlert(config.emergencyNumber
        ? "Emergency. Call " + config.emergencyNumber + " now."
        : "Emergency. Call the emergency services now.");
    } else if (level === "urgent") {
      announceAlert("Urgent. Call " + config.triageName + " now" +
                    (config.triagePhone ? " on " + config.triagePhone + "." : "."));
    }
  }

  function announceAlert(text) {
    alertRegion.textContent = "";
    window.setTimeout(function () { alertRegion.textContent = text; }, 50);
  }

  function setStatus(text, kind, clearAfterMs) {
    window.clearTimeout(state.statusTimer);
    if (status.textContent !== (text || "")) {
      status.textContent = text || ""; // only on change, so a screen reader hears it once
    }
    status.className = "tw-status" + (kind ? " tw-status--" + kind : "");
    if (text && clearAfterMs) {
      state.statusTimer = window.setTimeout(function () { setStatus(""); }, clearAfterMs);
    }
  }

  function showTyping() {
    typing.hidden = false;
    scrollToEnd();
    window.clearTimeout(state.typingTimer);
    state.typingTimer = window.setTimeout(hideTyping, 30000);
  }

  function hideTyping() {
    window.clearTimeout(state.typingTimer);
    typing.hidden = true;
  }

  // ---------------------------------------------------------------- protocol

  var socket = null;

  function onBotUttered(msg) {
    if (!msg || typeof msg !== "object") {
      return;
    }
    answered();
    hideTyping();
    var text = typeof msg.text === "string" ? msg.text : "";
    var buttons = buttonsOf(msg);
    if (text || buttons.length) {
      if (buttons.length) {
        closeButtons(); // a new question supersedes older ones
      }
      addEntry({ kind: "bot", text: text, buttons: buttons, chosen: null, closed: false,
                 level: state.turnLevel });
    }
    var triage = triageOf(msg);
    if (triage) {
      applyTriage(triage.level);
    }
  }

  /** Send a message with its id; if no reply comes in config.retryMs, send it once more with
   * the same id (the server answers a repeat from its stored reply, never twice). */
  function emitUser(entry) {
    if (!entry.messageId) {
      entry.messageId = newMessageId();
    }
    socket.emit("user_uttered", { message: entry.payload, session_id: state.sessionId,
                                  message_id: entry.messageId, button: !!entry.button });
    showTyping();
    answered();
    var waiting = { entry: entry, retried: false, timer: null };
    waiting.timer = window.setTimeout(function retry() {
      if (state.awaiting !== waiting || waiting.retried) {
        return;
      }
      waiting.retried = true;
      if (state.connected) {
        socket.emit("user_uttered", { message: entry.payload, session_id: state.sessionId,
                                      message_id: entry.messageId, button: !!entry.button });
      }
    }, config.retryMs);
    state.awaiting = waiting;
  }

  function answered() {
    if (state.awaiting) {
      window.clearTimeout(state.awaiting.timer);
      state.awaiting = null;
    }
  }

  function sendUser(displayText, payload, fromButton) {
    var text = String(displayText).slice(0, MAX_INPUT);
    state.turnLevel = null;
    closeButtons();
    var entry = addEntry({ kind: "user", text: text, payload: String(payload).slice(0, MAX_INPUT),
                           pending: !state.connected, button: !!fromButton });
    if (state.connected) {
      emitUser(entry);
    } else {
      state.queue.push(entry);
      setStatus(state.everConfirmed ? reconnectingText()
        : "Connecting\u2026 your message will be sent in a moment.", "warn");
    }
  }

  function flushQueue() {
    var pending = state.entries.filter(function (e) { return e.kind === "user" && e.pending; });
    state.queue = [];
    pending.forEach(function (entry) {
      entry.pending = false;
      if (entry.node) {
        entry.node.classList.remove("tw-msg--pending");
        var note = entry.node.querySelector(".tw-msg__note");
        if (note) {
          note.parentNode.removeChild(note);
        }
      }
      emitUser(entry);
    });
    save();
  }

  function onSessionConfirm(data) {
    var session = helpers.sessionOf(data);
    if (session && session.id !== state.sessionId) {
      // A new conversation: the stored one was not ours to resume (or there was none).
      if (state.sessionId) {
        storage.removeItem(transcriptKey(state.sessionId));
      }
      state.sessionId = session.id;
    }
    if (session) {
      state.resumeToken = session.token;
    }
    if (data && typeof data === "object") {
      applyClinic(data.clinic);
    }
    var unanswered = state.awaiting && state.awaiting.entry;
    var firstEver = !state.entries.length;
    state.connected = true;
    if (state.lost) {
      setStatus("Connected again.", "ok", 6000);
    } else {
      setStatus("");
    }
    state.lost = false;
    state.everConfirmed = true;
    save();
    if (unanswered && !unanswered.pending) {
      emitUser(unanswered); // sent before the connection dropped: the same id again
    }
    flushQueue();
    if (firstEver && config.initPayload && !state.initSent) {
      state.initSent = true;
      socket.emit("user_uttered", { message: config.initPayload, session_id: state.sessionId,
                                    message_id: newMessageId(), button: true });
      showTyping();
    }
  }

  function reconnectingText() {
    return "Connection lost. Reconnecting\u2026" +
      (state.queue.length ? " Your message will be sent when the chat is back." : "") + phoneHint();
  }

  function phoneHint() {
    return config.emergencyNumber ? " In an emergency call " + config.emergencyNumber + "." : "";
  }

  function startSocket(io) {
    if (socket) {
      return;
    }
    socket = io(config.serverUrl, {
      path: config.socketPath,
      transports: config.transports,
      tryAllTransports: true,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000
    });
    socket.on("connect", function () {
      state.connected = false;
      socket.emit("session_request", { session_id: state.sessionId, resume_token: state.resumeToken });
    });
    socket.on("session_confirm", onSessionConfirm);
    socket.on("bot_uttered", onBotUttered);
    socket.on("disconnect", function (reason) {
      state.connected = false;
      hideTyping();
      if (reason === "io client disconnect") {
        return;
      }
      state.lost = true;
      setStatus(reconnectingText(), "warn");
      if (reason === "io server disconnect") {
        socket.connect(); // the server closed us on purpose; socket.io will not retry by itself
      }
    });
    socket.on("connect_error", function () {
      if (!state.everConfirmed) {
        setStatus("Can\u2019t reach the chat right now. Trying again\u2026" + phoneHint(), "warn");
      } else {
        state.lost = true;
        setStatus(reconnectingText(), "warn");
      }
    });
  }

  /** Load socket.io-client from beside this script without disturbing a page's own `io`. */
  function loadSocketIo(callback) {
    var previous = Object.prototype.hasOwnProperty.call(window, "io") ? window.io : undefined;
    var tag = el("script", { src: config.socketioSrc, async: true });
    tag.addEventListener("load", function () {
      var io = window.io;
      if (previous === undefined) {
        try { delete window.io; } catch (e) { window.io = undefined; }
      } else {
        window.io = previous;
      }
      if (typeof io !== "function") {
        setStatus("The chat could not start." + phoneHint(), "warn");
        return;
      }
      callback(io);
    });
    tag.addEventListener("error", function () {
      setStatus("The chat could not start." + phoneHint(), "warn");
    });
    document.head.appendChild(tag);
  }

  // ---------------------------------------------------------------- open / close

  var openKey = KEY_PREFIX + "open";

  function isOpen() {
    return inline || !panel.hidden;
  }

  function open(focusInput) {
    if (inline) {
      if (focusInput !== false) {
        input.focus();
      }
      return;
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    frame.classList.add("tw-root--open");
    try { window.sessionStorage.setItem(openKey, "1"); } catch (e) { /* ignore */ }
    scrollToEnd();
    if (focusInput !== false) {
      input.focus();
    }
  }

  function close() {
    if (inline) {
      return;
    }
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    frame.classList.remove("tw-root--open");
    try { window.sessionStorage.removeItem(openKey); } catch (e) { /* ignore */ }
    launcher.focus();
  }

  function newChat() {
    if (state.sessionId) {
      storage.removeItem(transcriptKey(state.sessionId));
    }
    storage.removeItem(sessionKey);
    answered();
    state.sessionId = null;
    state.resumeToken = null;
    state.entries = [];
    state.queue = [];
    state.turnLevel = null;
    state.initSent = false;
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    hideTyping();
    setStatus("Started a new chat. The previous conversation was cleared from this device.", "ok", 6000);
    if (socket && socket.connected) {
      state.connected = false;
      socket.emit("session_request", { session_id: null });
    }
    input.focus();
  }

  launcher.addEventListener("click", function () {
    if (isOpen()) {
      close();
    } else {
      open();
    }
  });
  closeButton.addEventListener("click", close);
  newChatButton.addEventListener("click", newChat);

  /** "Leave quickly": for a patient who may be watched. Clears the chat from the page and
   * from storage, closes the connection, and replaces this page with an everyday one
   * (location.replace: the clinic's page is not left as the page "Back" returns to). */
  function leaveQuickly() {
    answered();
    if (socket) {
      socket.off(); // a reply still on its way must not write the chat back to storage
      socket.disconnect();
    }
    state.sessionId = null; // save() keeps nothing without a conversation
    state.resumeToken = null;
    state.entries = [];
    state.queue = [];
    forgetAll();
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    window.location.replace(config.exitUrl);
  }
  exitButton.addEventListener("click", leaveQuickly);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !inline) {
      event.preventDefault();
      close();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.replace(/\s+$/, "").replace(/^\s+/, "");
    if (!text) {
      input.focus();
      return;
    }
    input.value = "";
    autoSize();
    sendUser(text, text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        sendButton.click();
      }
    }
  });

  function autoSize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", autoSize);

  // Any element on the host page with data-triage-widget-open opens the chat.
  document.addEventListener("click", function (event) {
    var target = event.target;
    var opener = target && target.closest ? target.closest("[data-triage-widget-open]") : null;
    if (opener) {
      event.preventDefault();
      open();
    }
  });

  // ---------------------------------------------------------------- start

  function start() {
    // Restore the saved conversation before the log is in the page, so a screen reader
    // does not read the whole history out again after a reload.
    state.entries.forEach(function (entry) {
      log.appendChild(render(entry));
      if (entry.kind === "user" && entry.pending) {
        state.queue.push(entry);
      }
    });

    // The panel stays invisible until its stylesheet has loaded (no flash of unstyled text).
    var link = el("link", { rel: "stylesheet", href: config.cssHref });
    link.addEventListener("load", function () { frame.classList.add("tw-root--ready"); });
    link.addEventListener("error", function () { frame.classList.add("tw-root--ready"); });
    root.appendChild(link);
    root.appendChild(frame);
    (inline ? mountPoint : document.body).appendChild(host);

    var wasOpen = false;
    try { wasOpen = window.sessionStorage.getItem(openKey) === "1"; } catch (e) { /* ignore */ }
    if (config.open || wasOpen) {
      open(false);
    }
    window.setTimeout(scrollToEnd, 0);
    loadSocketIo(startSocket);
  }

  window.TriageWidget = {
    loaded: true,
    open: function () { open(); },
    close: close,
    newChat: newChat,
    leaveQuickly: leaveQuickly,
    version: "1.0.0"
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(triageWidgetHelpers);
