// veille console: the little behaviour the pages have, without inline script (CSP).
"use strict";
document.addEventListener("submit", function (event) {
  // Buttons that act on many rows ask first.
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
