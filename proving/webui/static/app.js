// Progressive enhancement for the smetsim Self Service Interface: every page works without this script.
// 1. Live tables (tbody[data-live]) fill from the server-sent event stream /ui/events.
// 2. The send form posts in the background and shows the outcome without leaving the page.
(function () {
  "use strict";
  var base = document.body.getAttribute("data-base") || "/ui";

  function liveTables() {
    var audit = document.querySelectorAll('tbody[data-live="audit"]');
    var alerts = document.querySelectorAll('tbody[data-live="alert"]');
    if (!audit.length && !alerts.length) return;
    var after = Infinity;
    document.querySelectorAll("tbody[data-live]").forEach(function (t) {
      after = Math.min(after, parseInt(t.getAttribute("data-after") || "0", 10));
    });
    var source = new EventSource(base + "/events?after=" + (isFinite(after) ? after : 0));
    function add(body, seq, row) {
      if (body.querySelector('tr[data-seq="' + seq + '"]')) return;
      body.insertAdjacentHTML("beforeend", row);
    }
    source.addEventListener("audit", function (event) {
      var data = JSON.parse(event.data);
      audit.forEach(function (body) {
        var only = body.getAttribute("data-request");
        if (only && only !== data.request) return;
        add(body, data.seq, data.row);
      });
    });
    source.addEventListener("alert", function (event) {
      var data = JSON.parse(event.data);
      alerts.forEach(function (body) { add(body, data.seq, data.row); });
      document.querySelectorAll("[data-refresh]").forEach(function (box) {
        fetch(box.getAttribute("data-refresh"), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html !== null) box.innerHTML = html; });
      });
    });
    source.addEventListener("open", function () {
      document.querySelectorAll("[data-live-status]").forEach(function (s) { s.setAttribute("data-connected", "yes"); });
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  function enhanceSend() {
    var form = document.querySelector('form[data-enhance="send"]');
    var result = document.getElementById("send-result");
    if (!form || !result) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      result.textContent = "Sending…";
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); })
        .then(function (answer) {
          if (!answer.ok) { form.submit(); return; }  // the server renders the errors next to the fields
          var d = answer.data;
          result.textContent = "";
          var text = document.createTextNode("Sent " + d.request_id + ": " + d.code + " then " + d.outcome + ". ");
          var link = document.createElement("a");
          link.href = d.url;
          link.textContent = "View the request";
          result.appendChild(text);
          result.appendChild(link);
        })
        .catch(function () { form.submit(); });
    });
  }

  liveTables();
  enhanceSend();
})();
