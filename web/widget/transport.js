/*
 * The socket.io conversation with the bot (docs/widget.md, Protocol): session_request with
 * the stored id and resume token on every connect, user_uttered with a message id, and one
 * retry with the same id when no reply comes in config.retryMs (the server answers a repeat
 * from its stored reply, never twice). No DOM: the socket.io client, the conversation's state
 * and the hooks are passed in, so node tests it with a fake socket and mocked timers.
 */
import { messageId } from "./helpers.js";

/** A new message id (32 hex digits) from the browser's random numbers. */
export function newMessageId(win) {
  var bytes = new win.Uint8Array(16);
  if (win.crypto && win.crypto.getRandomValues) {
    win.crypto.getRandomValues(bytes);
  } else {
    for (var i = 0; i < bytes.length; i++) {
      bytes[i] = Math.floor(Math.random() * 256);
    }
  }
  return messageId(bytes);
}

/**
 * `state` is the conversation's (chat.js): this reads sessionId, resumeToken and everConfirmed,
 * and sets connected, lost and awaiting ({entry, retried, timer}: the message waiting for its
 * reply). `hooks`: newId(), onSent() (a message went out), onSessionConfirm(data),
 * onBotUttered(msg), onDisconnect(), onLost() (the connection dropped, or cannot be made
 * again), onUnreachable() (never connected yet).
 */
export function createTransport(config, state, hooks) {
  var socket = null;

  function emitUtterance(message, id, button) {
    socket.emit("user_uttered", { message: message, session_id: state.sessionId,
                                  message_id: id, button: button });
  }

  /** The message waiting for its reply got one (or is given up): no retry. */
  function answered() {
    if (state.awaiting) {
      clearTimeout(state.awaiting.timer);
      state.awaiting = null;
    }
  }

  /** Send a user entry ({payload, button}) with its id, sending it once more with the same id
   * if no reply comes in config.retryMs. */
  function send(entry) {
    if (!entry.messageId) {
      entry.messageId = hooks.newId();
    }
    emitUtterance(entry.payload, entry.messageId, !!entry.button);
    hooks.onSent();
    answered();
    var waiting = { entry: entry, retried: false, timer: null };
    waiting.timer = setTimeout(function retry() {
      if (state.awaiting !== waiting || waiting.retried) {
        return;
      }
      waiting.retried = true;
      if (state.connected) {
        emitUtterance(entry.payload, entry.messageId, !!entry.button);
      }
    }, config.retryMs);
    state.awaiting = waiting;
  }

  /** data-init-payload: sent (not shown) when a new conversation starts. */
  function sendInit(payload) {
    emitUtterance(payload, hooks.newId(), true);
    hooks.onSent();
  }

  /** Ask for a new conversation on the open connection (New chat). */
  function restart() {
    if (socket && socket.connected) {
      state.connected = false;
      socket.emit("session_request", { session_id: null });
    }
  }

  /** Close the connection for good; a reply still on its way is not handled. */
  function stop() {
    if (socket) {
      socket.off();
      socket.disconnect();
    }
  }

  /** Connect with socket.io-client's `io` (once). */
  function start(io) {
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
    socket.on("session_confirm", hooks.onSessionConfirm);
    socket.on("bot_uttered", hooks.onBotUttered);
    socket.on("disconnect", function (reason) {
      state.connected = false;
      hooks.onDisconnect();
      if (reason === "io client disconnect") {
        return;
      }
      state.lost = true;
      hooks.onLost();
      if (reason === "io server disconnect") {
        socket.connect(); // the server closed us on purpose; socket.io will not retry by itself
      }
    });
    socket.on("connect_error", function () {
      if (!state.everConfirmed) {
        hooks.onUnreachable();
      } else {
        state.lost = true;
        hooks.onLost();
      }
    });
  }

  return { start: start, send: send, sendInit: sendInit, answered: answered, restart: restart, stop: stop };
}
