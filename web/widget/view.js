/*
 * The widget's DOM: the launcher, the panel (header, the always-visible numbers, the
 * disclaimer, the message log, the live regions, the form) and one element per transcript
 * entry. Built once by createView; every text goes in through dom.js (textContent only).
 */
import { callLink, el, removeChildren, visuallyHidden } from "./dom.js";
import { disclaimerText, stripLines, triageCard } from "./texts.js";

export var MAX_INPUT = 1000;

var IDS = {
  panel: "tw-panel",
  title: "tw-title",
  input: "tw-input",
  disclaimer: "tw-disclaimer"
};

/** The always-visible numbers. They come first from the embed tag (so they show even when
 * the bot cannot be reached), then from the bot's clinic.yml on every session_confirm
 * (view.refreshClinic), so a number changed in clinic.yml reaches every page that embeds it. */
function stripRows(config) {
  return stripLines(config).map(function (line) {
    var link = callLink(line.number, line.label,
                        "tw-strip__call" + (line.emergency ? " tw-strip__call--emergency" : ""),
                        line.ariaLabel);
    return el("p", { className: "tw-strip__row" + (line.emergency ? " tw-strip__row--emergency" : "") },
              [el("span", { text: line.prefix }), link]);
  });
}

/** Build the widget's elements (not yet in the page). `config.container`, when it names an
 * element of the page, shows the chat inline there with no launcher. */
export function createView(config) {
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

  var launcher = el("button", {
    type: "button",
    className: "tw-launcher",
    "aria-expanded": "false",
    "aria-controls": IDS.panel
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

  var strip = el("div", { className: "tw-strip" }, stripRows(config));

  var header = el("div", { className: "tw-header" }, [
    el("div", { className: "tw-header__titles" }, [
      el("h2", { className: "tw-title", id: IDS.title, text: config.clinicName }),
      el("p", { className: "tw-subtitle", text: config.title })
    ]),
    el("div", { className: "tw-header__actions" },
       [exitButton, newChatButton, inline ? null : closeButton])
  ]);

  var disclaimerBody = el("p", { text: disclaimerText(config) });
  var disclaimer = el("div", { className: "tw-disclaimer", id: IDS.disclaimer }, [
    el("p", { className: "tw-disclaimer__heading", text: "Before you start" }),
    disclaimerBody
  ]);

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
    id: IDS.input,
    className: "tw-input",
    rows: "1",
    maxlength: String(MAX_INPUT),
    autocomplete: "off",
    placeholder: "Type your message\u2026",
    "aria-describedby": IDS.disclaimer
  });
  var sendButton = el("button", { type: "submit", className: "tw-send", "aria-label": "Send message" },
                      [el("span", { text: "Send" })]);
  var form = el("form", { className: "tw-form", "aria-label": "Send a message" }, [
    el("label", { className: "tw-vh", "for": IDS.input, text: "Type your message" }),
    input,
    sendButton
  ]);

  var panel = el("section", {
    className: "tw-panel" + (inline ? " tw-panel--inline" : ""),
    id: IDS.panel,
    "aria-labelledby": IDS.title,
    hidden: inline ? null : true
  }, [header, strip, status, scroller, form, alertRegion]);

  var frame = el("div", { className: "tw-root" + (inline ? " tw-root--inline" : "") },
                 [inline ? null : launcher, panel]);

  return {
    host: host,
    root: root,
    inline: inline,
    mountPoint: mountPoint,
    launcher: launcher,
    closeButton: closeButton,
    newChatButton: newChatButton,
    exitButton: exitButton,
    log: log,
    typing: typing,
    status: status,
    alertRegion: alertRegion,
    input: input,
    sendButton: sendButton,
    form: form,
    panel: panel,
    frame: frame,
    scrollToEnd: function () {
      scroller.scrollTop = scroller.scrollHeight;
    },
    /** Show the clinic's numbers again after they changed (config.applyClinicInfo). */
    refreshClinic: function () {
      removeChildren(strip);
      stripRows(config).forEach(function (row) {
        strip.appendChild(row);
      });
      disclaimerBody.textContent = disclaimerText(config);
    },
    clearLog: function () {
      removeChildren(log);
    }
  };
}

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

function renderBot(entry, onReply) {
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
        onReply(entry, i, b);
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

function renderTriage(entry, config) {
  var level = entry.level;
  var card = triageCard(level, config);
  var children = [];
  children.push(el("p", { className: "tw-triage__title" }, [
    level === "emergency" || level === "urgent"
      ? el("span", { className: "tw-triage__icon", "aria-hidden": "true", text: "!" })
      : null,
    card.title
  ]));
  if (card.body) {
    children.push(el("p", { className: "tw-triage__body", text: card.body }));
  }
  if (card.call) {
    children.push(callLink(card.call.number, card.call.label, card.call.className, card.call.ariaLabel));
  }
  var node = el("div", { className: "tw-triage tw-triage--" + level, "data-level": level }, children);
  entry.node = node;
  return node;
}

/** The element of a transcript entry (kept on it as entry.node). `onReply(entry, index,
 * button)` is called when one of a bot message's open quick replies is chosen. */
export function render(entry, config, onReply) {
  if (entry.kind === "user") {
    return renderUser(entry);
  }
  if (entry.kind === "bot") {
    return renderBot(entry, onReply);
  }
  return renderTriage(entry, config);
}

/** Disable every open set of quick replies (a reply was chosen or typed). */
export function closeButtons(entries) {
  entries.forEach(function (e) {
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
}

/** Style the bot messages of the turn in progress by triage level. */
export function markTurn(entries, level) {
  for (var i = entries.length - 1; i >= 0; i--) {
    var e = entries[i];
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

/** A queued message is being sent: no longer dashed "Waiting to send". */
export function markSent(entry) {
  if (entry.node) {
    entry.node.classList.remove("tw-msg--pending");
    var note = entry.node.querySelector(".tw-msg__note");
    if (note) {
      note.parentNode.removeChild(note);
    }
  }
}
