/*
 * Live update of the queue, written here rather than pulled from a CDN: the CSP allows only
 * scripts from this site, and the console must work without the internet.
 *
 * Every poll_seconds it asks /queue/poll (same filters as the page) for the rows, rendered and
 * escaped on the server, and for the conversations that became urgent or emergency since the
 * last poll; those are highlighted and announced (role="alert") and counted in the tab title.
 */
(function () {
  "use strict";

  var queue = document.getElementById("queue");
  if (!queue || !window.fetch) {
    return;
  }
  var pollUrl = queue.getAttribute("data-poll-url");
  var cursor = queue.getAttribute("data-cursor");
  var initial = queue.getAttribute("data-initial-cursor");
  var seconds = parseInt(queue.getAttribute("data-poll-seconds"), 10) || 10;
  var rows = document.getElementById("queue-rows");
  var live = document.getElementById("queue-live");
  var updated = document.getElementById("queue-updated");
  var total = document.getElementById("queue-total");
  var baseTitle = document.title;
  var unseen = 0;
  var lastHtml = null;
  var stopped = false;

  function stop(message) {
    stopped = true;
    live.hidden = false;
    live.textContent = message;
  }

  function announce(alerts) {
    if (!alerts.length) {
      return;
    }
    unseen += alerts.length;
    document.title = "(" + unseen + ") " + baseTitle;
    var names = alerts.map(function (a) { return a.label; });
    live.hidden = false;
    live.textContent = alerts.length + " new urgent or emergency conversation" +
      (alerts.length === 1 ? "" : "s") + " (" + names.join(", ") + "). They are highlighted below.";
  }

  function url() {
    var sep = pollUrl.indexOf("?") >= 0 ? "&" : "?";
    return pollUrl + sep + "since=" + encodeURIComponent(cursor) +
      "&initial=" + encodeURIComponent(initial);
  }

  function poll() {
    if (stopped) {
      return;
    }
    fetch(url(), {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 401 || response.type === "opaqueredirect") {
        // the session ended (the poll itself never extends it): off to the login page, which
        // brings the nurse back here afterwards
        stop("Your session has ended. Going to the login page.");
        window.location.assign("/login?next=" + encodeURIComponent(
          window.location.pathname + window.location.search));
        return null;
      }
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }).then(function (data) {
      if (!data) {
        return;
      }
      if (data.html !== lastHtml) {
        rows.innerHTML = data.html; // rendered by Jinja2 with autoescape: no raw patient text
        lastHtml = data.html;
      }
      cursor = String(data.cursor);
      total.textContent = String(data.total);
      updated.textContent = "Updated " + data.updated_at + (data.fresh ? "." : " (newest messages not loaded, retrying).");
      announce(data.alerts || []);
    }).catch(function () {
      updated.textContent = "Could not refresh; retrying.";
    }).then(function () {
      if (!stopped) {
        window.setTimeout(poll, seconds * 1000);
      }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      unseen = 0;
      document.title = baseTitle;
    }
  });
  window.setTimeout(poll, seconds * 1000);
}());
