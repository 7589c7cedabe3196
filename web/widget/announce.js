/*
 * What a screen reader hears besides the messages themselves: the connection status
 * (role="status", polite, said once per change), emergency and urgent results
 * (role="alert"), and the typing indicator.
 */

/** The live regions of a view (view.js createView). */
export function createAnnouncer(view) {
  var statusTimer = null;
  var typingTimer = null;

  /** The status line; `kind` "ok" or "warn" styles it; cleared after `clearAfterMs` if set. */
  function setStatus(text, kind, clearAfterMs) {
    window.clearTimeout(statusTimer);
    if (view.status.textContent !== (text || "")) {
      view.status.textContent = text || ""; // only on change, so a screen reader hears it once
    }
    view.status.className = "tw-status" + (kind ? " tw-status--" + kind : "");
    if (text && clearAfterMs) {
      statusTimer = window.setTimeout(function () { setStatus(""); }, clearAfterMs);
    }
  }

  /** Said at once (role="alert"); emptied first so the same words are announced again. */
  function alert(text) {
    view.alertRegion.textContent = "";
    window.setTimeout(function () { view.alertRegion.textContent = text; }, 50);
  }

  function hideTyping() {
    window.clearTimeout(typingTimer);
    view.typing.hidden = true;
  }

  /** "The assistant is typing…" until the reply comes, at most 30 s. */
  function showTyping() {
    view.typing.hidden = false;
    view.scrollToEnd();
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(hideTyping, 30000);
  }

  return { setStatus: setStatus, alert: alert, showTyping: showTyping, hideTyping: hideTyping };
}
