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
 * Source layout: web/widget/ holds this entry module and the modules it imports (ES5 syntax
 * with import/export; the module map is in docs/widget.md). web/build.js bundles them with
 * esbuild, in one closure, into web/static/widget/triage-widget.js, the single file the server
 * publishes and a clinic embeds.
 */
import { findScript, readConfig } from "./config.js";
import { el } from "./dom.js";
import { createStore } from "./storage.js";
import { createView } from "./view.js";
import { createAnnouncer } from "./announce.js";
import { createChat } from "./chat.js";

/** Load socket.io-client from beside this script without disturbing a page's own `io`. */
function loadSocketIo(config, callback, onFail) {
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
      onFail();
      return;
    }
    callback(io);
  });
  tag.addEventListener("error", onFail);
  document.head.appendChild(tag);
}

/** The widget of one embed tag: builds it, wires its controls, publishes window.TriageWidget
 * and shows the widget once the page is ready. */
function createWidget(script) {
  var config = readConfig(script.dataset, script.src, window.location.origin);
  var store = createStore(config, window);
  var view = createView(config);
  var announcer = createAnnouncer(view);
  var chat = createChat(config, store, view, announcer);
  var inline = view.inline;
  var input = view.input;

  // ---------------------------------------------------------------- open / close

  function isOpen() {
    return inline || !view.panel.hidden;
  }

  function open(focusInput) {
    if (inline) {
      if (focusInput !== false) {
        input.focus();
      }
      return;
    }
    view.panel.hidden = false;
    view.launcher.setAttribute("aria-expanded", "true");
    view.frame.classList.add("tw-root--open");
    store.rememberOpen(true);
    view.scrollToEnd();
    if (focusInput !== false) {
      input.focus();
    }
  }

  function close() {
    if (inline) {
      return;
    }
    view.panel.hidden = true;
    view.launcher.setAttribute("aria-expanded", "false");
    view.frame.classList.remove("tw-root--open");
    store.rememberOpen(false);
    view.launcher.focus();
  }

  // ---------------------------------------------------------------- controls

  view.launcher.addEventListener("click", function () {
    if (isOpen()) {
      close();
    } else {
      open();
    }
  });
  view.closeButton.addEventListener("click", close);
  view.newChatButton.addEventListener("click", chat.newChat);
  view.exitButton.addEventListener("click", chat.leaveQuickly);
  view.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !inline) {
      event.preventDefault();
      close();
    }
  });

  function autoSize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", autoSize);

  view.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.replace(/\s+$/, "").replace(/^\s+/, "");
    if (!text) {
      input.focus();
      return;
    }
    input.value = "";
    autoSize();
    chat.sendUser(text, text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (view.form.requestSubmit) {
        view.form.requestSubmit();
      } else {
        view.sendButton.click();
      }
    }
  });

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
    chat.restore();

    // The panel stays invisible until its stylesheet has loaded (no flash of unstyled text).
    var link = el("link", { rel: "stylesheet", href: config.cssHref });
    link.addEventListener("load", function () { view.frame.classList.add("tw-root--ready"); });
    link.addEventListener("error", function () { view.frame.classList.add("tw-root--ready"); });
    view.root.appendChild(link);
    view.root.appendChild(view.frame);
    (inline ? view.mountPoint : document.body).appendChild(view.host);

    if (config.open || store.wasOpen()) {
      open(false);
    }
    window.setTimeout(view.scrollToEnd, 0);
    loadSocketIo(config, chat.connect, function () { chat.notStarted("The chat could not start."); });
  }

  window.TriageWidget = {
    loaded: true,
    open: function () { open(); },
    close: close,
    newChat: chat.newChat,
    leaveQuickly: chat.leaveQuickly,
    version: "1.0.0"
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}

(function boot() {
  if (window.TriageWidget && window.TriageWidget.loaded) {
    return; // pasted twice: keep the first
  }
  var script = findScript(document);
  if (script) {
    createWidget(script);
  }
})();
