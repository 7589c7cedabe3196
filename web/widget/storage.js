/*
 * What the widget keeps on the device, and how it forgets it (privacy: a shared phone, a
 * patient who may be watched). Keys start with "triageWidget:"; the conversation is in
 * sessionStorage unless the clinic chose localStorage (data-storage="local"), and a storage the
 * browser blocks is replaced by memory. The window is passed in, so node tests it.
 */
import { MAX_ENTRIES, isResumeToken, isSessionId, sanitiseEntries, sessionExpired } from "./helpers.js";

export var KEY_PREFIX = "triageWidget:";
var OPEN_KEY = KEY_PREFIX + "open";

/** sessionStorage or localStorage (`kind`: "session" or "local") if it works, else memory. */
export function pickStorage(kind, win) {
  try {
    var s = kind === "session" ? win.sessionStorage : win.localStorage;
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

/** The widget's store for the conversation with config.serverUrl. */
export function createStore(config, win) {
  var storage = pickStorage(config.storage, win);
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
  function loadSession(now) {
    var saved = readJson(sessionKey);
    if (!saved || !isSessionId(saved.id) || !isResumeToken(saved.token)) {
      return null;
    }
    if (sessionExpired(saved.updated, now, config.sessionHours)) {
      storage.removeItem(sessionKey);
      storage.removeItem(transcriptKey(saved.id));
      return null;
    }
    return { id: saved.id, token: saved.token };
  }

  /** The stored transcript of conversation `id`, well-formed entries only. */
  function loadTranscript(id) {
    return sanitiseEntries(readJson(transcriptKey(id)));
  }

  /** Keep the conversation in `state` (nothing without a conversation id); the transcript
   * is cut to its last MAX_ENTRIES entries, in `state` too. */
  function save(state, now) {
    if (!state.sessionId) {
      return;
    }
    if (state.entries.length > MAX_ENTRIES) {
      state.entries = state.entries.slice(-MAX_ENTRIES);
    }
    writeJson(sessionKey, { id: state.sessionId, token: state.resumeToken, updated: now });
    writeJson(transcriptKey(state.sessionId), state.entries);
  }

  function forgetTranscript(id) {
    storage.removeItem(transcriptKey(id));
  }

  function forgetSession() {
    storage.removeItem(sessionKey);
  }

  /** Remove everything this widget stored, in both storages. */
  function forgetAll() {
    var stores = [storage];
    try {
      stores.push(win.localStorage, win.sessionStorage); // may throw when blocked
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

  /** Whether the panel was open in this tab (always sessionStorage: it is not a conversation). */
  function wasOpen() {
    try {
      return win.sessionStorage.getItem(OPEN_KEY) === "1";
    } catch (e) {
      return false;
    }
  }

  function rememberOpen(isOpen) {
    try {
      if (isOpen) {
        win.sessionStorage.setItem(OPEN_KEY, "1");
      } else {
        win.sessionStorage.removeItem(OPEN_KEY);
      }
    } catch (e) {
      /* ignore */
    }
  }

  return {
    loadSession: loadSession,
    loadTranscript: loadTranscript,
    save: save,
    forgetTranscript: forgetTranscript,
    forgetSession: forgetSession,
    forgetAll: forgetAll,
    wasOpen: wasOpen,
    rememberOpen: rememberOpen
  };
}
