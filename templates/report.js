// Filtering, search and sorting of the clusters, in the page itself (no server, no network).
// The state lives in the address's fragment (#q=...&kind=...&near=1&sort=...), so a filtered view
// can be shared as a link. The marker #js-status records whether the script ran without error.
(function () {
  "use strict";
  var status = document.getElementById("js-status");
  function fail(message) {
    if (!status) { return; }
    status.setAttribute("data-state", "error");
    status.textContent = "The report's script failed: " + message;
    status.hidden = false;
  }
  window.addEventListener("error", function (event) { fail(event.message || "unknown error"); });

  var controls = {
    q: document.getElementById("q"),
    kind: document.getElementById("kind"),
    near: document.getElementById("near"),
    sort: document.getElementById("sort")
  };
  var list = document.getElementById("cluster-list");
  var count = document.getElementById("shown-count");
  var noMatch = document.getElementById("no-match");
  var cards = list ? Array.prototype.slice.call(list.querySelectorAll("article.cluster")) : [];
  var haystacks = new Map();

  function haystack(card) {
    var text = haystacks.get(card);
    if (text === undefined) {
      text = card.textContent.toLowerCase();
      haystacks.set(card, text);
    }
    return text;
  }
  function number(card, name) { return Number(card.getAttribute("data-" + name)); }

  var orders = {
    copies: function (a, b) { return number(a, "rank") - number(b, "rank"); },
    bytes: function (a, b) { return number(b, "bytes") - number(a, "bytes") || number(a, "id") - number(b, "id"); },
    documents: function (a, b) { return number(b, "docs") - number(a, "docs") || number(a, "rank") - number(b, "rank"); },
    similarity: function (a, b) { return number(a, "sim") - number(b, "sim") || number(a, "rank") - number(b, "rank"); },
    input: function (a, b) { return number(a, "id") - number(b, "id"); }
  };

  function state() {
    return {
      q: controls.q.value.trim(),
      kind: controls.kind.value,
      near: controls.near.checked,
      sort: controls.sort.value
    };
  }

  function apply() {
    var s = state();
    var terms = s.q.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    cards.forEach(function (card) {
      var visible = (!s.kind || card.getAttribute("data-kind") === s.kind) &&
        (!s.near || number(card, "sim") < 1) &&
        terms.every(function (term) { return haystack(card).indexOf(term) !== -1; });
      card.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var sorted = cards.slice().sort(orders[s.sort] || orders.copies);
    sorted.forEach(function (card) { list.appendChild(card); });
    count.setAttribute("data-shown", String(shown));
    count.textContent = shown + " of " + cards.length + " shown";
    noMatch.hidden = shown !== 0;
    writeFragment(s);
  }

  function writeFragment(s) {
    var params = new URLSearchParams();
    if (s.q) { params.set("q", s.q); }
    if (s.kind) { params.set("kind", s.kind); }
    if (s.near) { params.set("near", "1"); }
    if (s.sort !== "copies") { params.set("sort", s.sort); }
    var fragment = params.toString();
    var current = location.hash.slice(1);
    if (fragment === current || (!fragment && current.indexOf("=") === -1)) { return; }
    try {
      history.replaceState(null, "", fragment ? "#" + fragment : location.pathname + location.search);
    } catch (e) {
      // Some browsers refuse to rewrite the address of a local file; the view still works.
    }
  }

  function readFragment() {
    var fragment = location.hash.slice(1);
    if (fragment.indexOf("=") === -1) { return false; }
    var params = new URLSearchParams(fragment);
    controls.q.value = params.get("q") || "";
    controls.kind.value = params.get("kind") || "";
    controls.near.checked = params.get("near") === "1";
    controls.sort.value = orders[params.get("sort")] ? params.get("sort") : "copies";
    return true;
  }

  // A link to a cluster that the filters hide clears the filters first.
  function revealTarget() {
    var fragment = location.hash.slice(1);
    if (!fragment || fragment.indexOf("=") !== -1) { return; }
    var target = document.getElementById(fragment);
    if (target && target.hidden) {
      controls.q.value = "";
      controls.kind.value = "";
      controls.near.checked = false;
      apply();
      target.scrollIntoView();
    }
  }

  function init() {
    if (!list) { return; }
    readFragment();
    apply();
    controls.q.addEventListener("input", apply);
    controls.kind.addEventListener("change", apply);
    controls.near.addEventListener("change", apply);
    controls.sort.addEventListener("change", apply);
    window.addEventListener("hashchange", function () {
      if (readFragment()) { apply(); } else { revealTarget(); }
    });
  }

  try {
    init();
    if (status && status.getAttribute("data-state") !== "error") {
      status.setAttribute("data-state", "ready");
    }
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
