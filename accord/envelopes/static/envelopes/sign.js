/* The worker's signing page: reading progress, the signature pad, the reject confirmation.
   Small and dependency-free: a phone on a poor connection loads it quickly. Everything except
   drawing also works without it (the forms post normally). */
(function () {
  "use strict";
  var root = document.getElementById("sign-page");
  if (!root) return;

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ---- reading: pages seen are recorded on the server as they come into view -------------
  var total = parseInt(root.dataset.totalPages || "0", 10);
  var recorded = parseInt(root.dataset.readPages || "0", 10);
  var seen = {};
  for (var i = 1; i <= recorded; i++) seen[i] = true;
  var agree = document.getElementById("agree");
  var counter = root.querySelector("[data-read-count]");
  var seenField = root.querySelector("[data-pages-seen]");
  var sending = false;
  var pending = 0;

  function contiguous() {
    var n = 0;
    while (seen[n + 1]) n++;
    return n;
  }

  function show(n) {
    if (counter) counter.textContent = String(n);
    if (seenField) seenField.value = String(n);
    if (agree) agree.disabled = n < total;
  }

  function send(n) {
    if (n <= recorded) return;
    if (sending) { pending = Math.max(pending, n); return; }
    sending = true;
    var body = new URLSearchParams();
    body.set("pages", String(n));
    fetch(root.dataset.readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "X-Requested-With": "fetch", "Accept": "application/json" },
      body: body
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) recorded = Math.max(recorded, data.read_pages); })
      .catch(function () { /* offline: the next page seen, or the consent form, sends it again */ })
      .then(function () {
        sending = false;
        if (pending > recorded) { var next = pending; pending = 0; send(next); }
      });
  }

  // The text view: its words are the whole document, so reaching its end reads every page.
  var textEnd = root.querySelector("#step-read [data-text-end]");
  if (root.dataset.step === "read" && textEnd) {
    show(contiguous());
    if ("IntersectionObserver" in window) {
      var endObserver = new IntersectionObserver(function (entries) {
        if (!entries.some(function (e) { return e.isIntersecting; })) return;
        for (var p = 1; p <= total; p++) seen[p] = true;
        endObserver.disconnect();
        show(total);
        send(total);
      }, { threshold: 0.5 });
      endObserver.observe(textEnd);
    } else if (agree) {
      agree.disabled = false;
    }
  }

  var pageImages = root.querySelectorAll("#step-read .doc-pages img[data-page]");
  if (root.dataset.step === "read" && pageImages.length) {
    show(contiguous());
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          seen[parseInt(entry.target.dataset.page, 10)] = true;
          observer.unobserve(entry.target);
        });
        var n = contiguous();
        show(n);
        send(n);
      }, { threshold: 0.4 });
      pageImages.forEach(function (img) {
        if (!seen[parseInt(img.dataset.page, 10)]) observer.observe(img);
      });
    } else if (agree) {
      agree.disabled = false; // an old browser: the worker's own tick says it was read
    }
    // Reopened mid-way: continue at the first page not yet read.
    if (recorded > 0 && recorded < total && (!location.hash || location.hash === "#step-read")) {
      var next = document.getElementById("page-" + (recorded + 1));
      if (next) next.scrollIntoView();
    }
  }

  // ---- drawing: a canvas pad (pointer events: mouse, pen, touch) --------------------------
  var pad = root.querySelector("[data-sig-pad]");
  var form = document.getElementById("signature-form");
  if (pad && form) {
    pad.hidden = false;
    var canvas = document.getElementById("sig-canvas");
    var ctx = canvas.getContext("2d");
    var typed = document.getElementById("typed_name");
    var png = form.querySelector("[data-sig-png]");
    var drawn = false;
    var last = null;
    ctx.lineWidth = 4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#1a1a5e";

    function point(ev) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (ev.clientX - box.left) * (canvas.width / box.width),
        y: (ev.clientY - box.top) * (canvas.height / box.height)
      };
    }
    function clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      if (!drawn) clear(); // a typed-name preview gives way to handwriting
      canvas.setPointerCapture(ev.pointerId);
      last = point(ev);
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!last) return;
      ev.preventDefault();
      var p = point(ev);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { last = null; });
    });
    pad.querySelector("[data-sig-clear]").addEventListener("click", function () {
      clear();
      if (typed) typed.value = "";
    });
    // The keyboard alternative: the typed name is shown in the pad; the server renders it.
    if (typed) {
      typed.addEventListener("input", function () {
        if (drawn) return;
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        ctx.fillStyle = "#1a1a5e";
        ctx.font = "72px serif";
        ctx.textBaseline = "middle";
        ctx.fillText(typed.value, 24, canvas.height / 2, canvas.width - 48);
      });
    }
    form.addEventListener("submit", function () {
      png.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }

  // ---- reject: ask once more -----------------------------------------------------------------
  root.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.dataset.confirm)) ev.preventDefault();
    });
  });
})();
