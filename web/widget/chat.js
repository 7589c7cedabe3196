/*
 * The conversation: its state, the transcript on screen and in storage, what happens when
 * the patient sends a message and when the bot answers or confirms the session, New chat and
 * Leave quickly. Joins the other modules: config (config.js), storage (storage.js), the view
 * (view.js), the live regions (announce.js) and the socket (transport.js).
 */
import { buttonsOf, sessionOf, triageOf } from "./helpers.js";
import { applyClinicInfo } from "./config.js";
import { alertText, phoneHint, reconnectingText } from "./texts.js";
import { createTransport, newMessageId } from "./transport.js";
import { MAX_INPUT, closeButtons, markSent, markTurn, render } from "./view.js";

export function createChat(config, store, view, announcer) {
  var savedSession = store.loadSession(Date.now());
  var state = {
    sessionId: savedSession ? savedSession.id : null,
    resumeToken: savedSession ? savedSession.token : null,
    awaiting: null,       // {entry, retried, timer}: the message waiting for its reply
    entries: [],
    queue: [],            // user entries typed while not connected
    connected: false,     // socket connected AND session confirmed
    everConfirmed: false,
    lost: false,
    turnLevel: null,      // triage level of the bot turn in progress
    initSent: false
  };
  if (state.sessionId) {
    state.entries = store.loadTranscript(state.sessionId);
  }

  var transport = createTransport(config, state, {
    newId: function () { return newMessageId(window); },
    onSent: announcer.showTyping,
    onSessionConfirm: onSessionConfirm,
    onBotUttered: onBotUttered,
    onDisconnect: announcer.hideTyping,
    onLost: function () { announcer.setStatus(reconnectingText(config, state.queue.length), "warn"); },
    onUnreachable: function () {
      announcer.setStatus("Can\u2019t reach the chat right now. Trying again\u2026" + phoneHint(config), "warn");
    }
  });

  function save() {
    store.save(state, Date.now());
  }

  function renderEntry(entry) {
    return render(entry, config, onReply);
  }

  function addEntry(entry) {
    state.entries.push(entry);
    view.log.appendChild(renderEntry(entry));
    save();
    view.scrollToEnd();
    return entry;
  }

  function closeAllButtons() {
    closeButtons(state.entries);
    save();
  }

  /** A quick reply was chosen: its title is shown as the patient's message, its payload sent. */
  function onReply(entry, index, button) {
    entry.chosen = index;
    closeAllButtons();
    sendUser(button.title, button.payload, true);
    view.input.focus();
  }

  function applyTriage(level) {
    markTurn(state.entries, level);
    state.turnLevel = level;
    addEntry({ kind: "triage", level: level });
    var text = alertText(level, config);
    if (text) {
      announcer.alert(text);
    }
  }

  function onBotUttered(msg) {
    if (!msg || typeof msg !== "object") {
      return;
    }
    transport.answered();
    announcer.hideTyping();
    var text = typeof msg.text === "string" ? msg.text : "";
    var buttons = buttonsOf(msg);
    if (text || buttons.length) {
      if (buttons.length) {
        closeAllButtons(); // a new question supersedes older ones
      }
      addEntry({ kind: "bot", text: text, buttons: buttons, chosen: null, closed: false,
                 level: state.turnLevel });
    }
    var triage = triageOf(msg);
    if (triage) {
      applyTriage(triage.level);
    }
  }

  /** The patient's message: shown at once, sent now or queued until the session is back. */
  function sendUser(displayText, payload, fromButton) {
    var text = String(displayText).slice(0, MAX_INPUT);
    state.turnLevel = null;
    closeAllButtons();
    var entry = addEntry({ kind: "user", text: text, payload: String(payload).slice(0, MAX_INPUT),
                           pending: !state.connected, button: !!fromButton });
    if (state.connected) {
      transport.send(entry);
    } else {
      state.queue.push(entry);
      announcer.setStatus(state.everConfirmed ? reconnectingText(config, state.queue.length)
        : "Connecting\u2026 your message will be sent in a moment.", "warn");
    }
  }

  function flushQueue() {
    var pending = state.entries.filter(function (e) { return e.kind === "user" && e.pending; });
    state.queue = [];
    pending.forEach(function (entry) {
      entry.pending = false;
      markSent(entry);
      transport.send(entry);
    });
    save();
  }

  function onSessionConfirm(data) {
    var session = sessionOf(data);
    if (session && session.id !== state.sessionId) {
      // A new conversation: the stored one was not ours to resume (or there was none).
      if (state.sessionId) {
        store.forgetTranscript(state.sessionId);
      }
      state.sessionId = session.id;
    }
    if (session) {
      state.resumeToken = session.token;
    }
    if (data && typeof data === "object" && applyClinicInfo(config, data.clinic)) {
      view.refreshClinic();
    }
    var unanswered = state.awaiting && state.awaiting.entry;
    var firstEver = !state.entries.length;
    state.connected = true;
    if (state.lost) {
      announcer.setStatus("Connected again.", "ok", 6000);
    } else {
      announcer.setStatus("");
    }
    state.lost = false;
    state.everConfirmed = true;
    save();
    if (unanswered && !unanswered.pending) {
      transport.send(unanswered); // sent before the connection dropped: the same id again
    }
    flushQueue();
    if (firstEver && config.initPayload && !state.initSent) {
      state.initSent = true;
      transport.sendInit(config.initPayload);
    }
  }

  /** Put the stored transcript in the log (before the log is in the page, so a screen reader
   * does not read the whole history out again after a reload); queue what was never sent. */
  function restore() {
    state.entries.forEach(function (entry) {
      view.log.appendChild(renderEntry(entry));
      if (entry.kind === "user" && entry.pending) {
        state.queue.push(entry);
      }
    });
  }

  function newChat() {
    if (state.sessionId) {
      store.forgetTranscript(state.sessionId);
    }
    store.forgetSession();
    transport.answered();
    state.sessionId = null;
    state.resumeToken = null;
    state.entries = [];
    state.queue = [];
    state.turnLevel = null;
    state.initSent = false;
    view.clearLog();
    announcer.hideTyping();
    announcer.setStatus("Started a new chat. The previous conversation was cleared from this device.", "ok", 6000);
    transport.restart();
    view.input.focus();
  }

  /** "Leave quickly": for a patient who may be watched. Clears the chat from the page and
   * from storage, closes the connection, and replaces this page with an everyday one
   * (location.replace: the clinic's page is not left as the page "Back" returns to). */
  function leaveQuickly() {
    transport.answered();
    transport.stop(); // a reply still on its way must not write the chat back to storage
    state.sessionId = null; // save() keeps nothing without a conversation
    state.resumeToken = null;
    state.entries = [];
    state.queue = [];
    store.forgetAll();
    view.clearLog();
    window.location.replace(config.exitUrl);
  }

  return {
    restore: restore,
    connect: transport.start,
    sendUser: sendUser,
    newChat: newChat,
    leaveQuickly: leaveQuickly,
    notStarted: function (text) { announcer.setStatus(text + phoneHint(config), "warn"); }
  };
}
