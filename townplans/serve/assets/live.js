// townplans serve: live updates. Listens to /events (server-sent events); when a change concerns
// this page, fetches the page's own URL and swaps <main>'s content and the counts outside it,
// keeping the scroll position: no full reload. preview.js lays a preview out again on
// "tp:updated".
(function () {
  "use strict";
  var RETRY_MS = 5000;
  var busy = false;
  var again = false;

  function main() {
    return document.querySelector("main");
  }

  function concerns(update) {
    var m = main();
    if (!m) return false;
    if (update.version <= Number(m.dataset.version || 0)) return false;
    var town = m.dataset.town;
    if (!town) return true;
    return update.towns.indexOf(town) >= 0 || update.pages.indexOf(m.dataset.page) >= 0 ||
      update.towns.length === 0;
  }

  function swap(text) {
    var fresh = new DOMParser().parseFromString(text, "text/html");
    var next = fresh.querySelector("main");
    var current = main();
    if (!next || !current) return;
    var x = window.scrollX;
    var y = window.scrollY;
    current.innerHTML = next.innerHTML;
    Object.keys(next.dataset).forEach(function (name) {
      current.dataset[name] = next.dataset[name];
    });
    document.querySelectorAll("[data-live][id]").forEach(function (element) {
      var other = fresh.getElementById(element.id);
      if (other) element.textContent = other.textContent;
    });
    document.dispatchEvent(new CustomEvent("tp:updated"));
    window.scrollTo(x, y);
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.pathname + window.location.search, { cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text !== null) swap(text);
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  if (!window.EventSource) return;
  var state = document.getElementById("live-state");

  // The browser reconnects a dropped stream by itself, but not one the server refused (503 when
  // too many are open): that one is opened again after five seconds (the Retry-After serve sends).
  function connect() {
    var events = new EventSource("/events");
    events.onopen = function () {
      if (state) state.className = "live on";
    };
    events.onerror = function () {
      if (state) state.className = "live off";
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, RETRY_MS);
    };
    events.onmessage = function (event) {
      var update = JSON.parse(event.data);
      if (concerns(update)) refresh();
    };
  }

  connect();
})();
