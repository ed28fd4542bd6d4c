// dossier: progressive enhancement only; every page is complete without it.
(function () {
  "use strict";

  // The timeline's topic filter: links to topic timelines become toggles.
  var filter = document.querySelector(".topic-filter");
  var events = document.querySelectorAll(".timeline .event[data-topics]");
  if (filter && events.length) {
    var links = filter.querySelectorAll("a[data-topic]");
    var p = document.createElement("p");
    p.appendChild(document.createTextNode("Show topic: "));
    var buttons = [];
    var current = "";
    function apply() {
      events.forEach(function (li) {
        var topics = (li.getAttribute("data-topics") || "").split(" ");
        li.hidden = current !== "" && topics.indexOf(current) < 0;
      });
      document.querySelectorAll(".timeline .year").forEach(function (y) {
        y.hidden = y.querySelectorAll(".event:not([hidden])").length === 0;
      });
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.topic === current)); });
    }
    function button(label, topic) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.dataset.topic = topic;
      b.addEventListener("click", function () { current = topic; apply(); });
      buttons.push(b);
      p.appendChild(b);
    }
    button("All", "");
    links.forEach(function (a) { button(a.textContent, a.getAttribute("data-topic")); });
    filter.insertBefore(p, filter.firstChild);
    var plain = filter.querySelector('p:not(:first-child)');
    if (plain) plain.hidden = true;
    apply();
  }

  // "Print or save as PDF" buttons of printable pages.
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });

  // Search: reads window.DOSSIER_SEARCH (search/index.js), so it works from file://.
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!input || !list || !window.DOSSIER_SEARCH) return;
  var docs = window.DOSSIER_SEARCH;
  var root = (document.querySelector("link[rel=stylesheet]").getAttribute("href") || "").replace(/assets\/style\.css$/, "");
  var selected = -1;

  function norm(s) { return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
  function escapeHtml(s) { return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function snippet(text, terms) {
    var n = norm(text), at = -1;
    for (var i = 0; i < terms.length && at < 0; i++) at = n.indexOf(terms[i]);
    var start = Math.max(0, at - 60), end = Math.min(text.length, (at < 0 ? 0 : at) + 160);
    var s = (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
    var html = escapeHtml(s);
    terms.forEach(function (t) {
      if (t.length < 2) return;
      var re = new RegExp("(" + t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "gi");
      html = html.replace(re, "<mark>$1</mark>");
    });
    return html;
  }
  function score(d, terms) {
    var t = norm(d.t), x = norm(d.x), w = d.w, s = 0;
    for (var i = 0; i < terms.length; i++) {
      var q = terms[i];
      if (t.indexOf(q) >= 0) s += 10;
      else if (x.indexOf(q) >= 0) s += 3;
      else if (w.indexOf(q) >= 0) s += 1;
      else return 0;
    }
    return s;
  }
  function select(i) {
    var items = list.querySelectorAll("li");
    if (!items.length) return;
    selected = (i + items.length) % items.length;
    items.forEach(function (li, j) { li.setAttribute("aria-selected", String(j === selected)); });
    items[selected].scrollIntoView({ block: "nearest" });
  }
  function run() {
    var q = norm(input.value.trim());
    list.innerHTML = "";
    selected = -1;
    if (q.length < 2) { status.textContent = "Type at least two letters."; return; }
    var terms = q.split(/\s+/);
    var hits = [];
    for (var i = 0; i < docs.length; i++) {
      var s = score(docs[i], terms);
      if (s > 0) hits.push([s, i]);
    }
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    hits.slice(0, 50).forEach(function (h) {
      var d = docs[h[1]];
      var li = document.createElement("li");
      li.setAttribute("aria-selected", "false");
      li.innerHTML = '<span class="kind">' + escapeHtml(d.k) + '</span><a href="' + escapeHtml(root + d.u) + '">' + escapeHtml(d.t) + "</a>" +
        (d.d ? ' <span class="meta">' + escapeHtml(d.d) + "</span>" : "") +
        '<span class="snippet">' + snippet(d.x, terms) + "</span>";
      list.appendChild(li);
    });
    status.textContent = hits.length === 0 ? "No results." : hits.length + (hits.length === 1 ? " result" : " results") + (hits.length > 50 ? ", showing 50." : ".");
  }
  input.addEventListener("input", run);
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); select(selected + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); select(selected - 1); }
    else if (e.key === "Enter" && selected >= 0) {
      e.preventDefault();
      var a = list.querySelectorAll("li")[selected].querySelector("a");
      if (a) window.location.href = a.href;
    }
  });
  var params = new URLSearchParams(window.location.search);
  if (params.get("q")) { input.value = params.get("q"); }
  run();
  input.focus();
})();
