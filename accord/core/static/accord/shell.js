/* The page shell's behaviour, from our own origin so that the Content-Security-Policy needs no
   inline handlers: the menu button, confirmation of a form, focus after an htmx swap. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-toggles]");
    if (!button) return;
    var target = document.getElementById(button.dataset.toggles);
    if (!target) return;
    target.classList.toggle("show");
    button.setAttribute("aria-expanded", target.classList.contains("show") ? "true" : "false");
  });
  // <form data-confirm="…">: the browser's own confirmation before it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // <form data-focus-after="id">: once its htmx request succeeded, focus #id and drop the form.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.dataset || !form.dataset.focusAfter || !event.detail.successful) return;
    var target = document.getElementById(form.dataset.focusAfter);
    if (target) { target.tabIndex = -1; target.focus(); }
    form.remove();
  });
})();
