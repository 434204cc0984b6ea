// Progressive enhancement of the comment section: "Reply" moves the form under the
// comment instead of reloading the page, and "Report" opens a small form in place.
// Without JavaScript the links still work (?replytocom=ID, the report page), so
// nothing here is required.
(function () {
  "use strict";
  // "Report" opens the page's report form under the comment and sends it without leaving the page;
  // without JavaScript the link leads to the same form on a page of its own.
  var reportTemplate = document.getElementById("report-template");
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".comment-report-link") : null;
    if (!link || !reportTemplate) { return; }
    event.preventDefault();
    var body = link.closest(".comment-body");
    var open = body.querySelector(".report-inline");
    if (open) { open.querySelector("select").focus(); return; }
    var form = reportTemplate.content.firstElementChild.cloneNode(true);
    form.action = link.href;
    body.appendChild(form);
    form.querySelector("select").focus();
    form.querySelector(".report-cancel").addEventListener("click", function () {
      form.remove();
      link.focus();
    });
    form.addEventListener("submit", function (submitEvent) {
      submitEvent.preventDefault();
      var status = form.querySelector(".report-status");
      var send = form.querySelector("button[type=submit]");
      send.disabled = true;
      fetch(form.action, { method: "POST", headers: { "Accept": "application/json" }, body: new FormData(form),
                           credentials: "same-origin" })
        .then(function (response) { return response.json().then(function (json) { return [response.ok, json]; }); })
        .then(function (result) {
          status.textContent = result[1].message || result[1].error || "";
          if (result[0]) {
            Array.prototype.forEach.call(form.querySelectorAll("p:not(.report-status)"), function (p) { p.remove(); });
            link.remove();
          }
        })
        .catch(function () { status.textContent = "The report could not be sent. Please try again."; })
        .then(function () { send.disabled = false; });
    });
  });

  var respond = document.getElementById("respond");
  var parentField = document.getElementById("comment_parent");
  if (!respond || !parentField) { return; }
  var home = respond.parentNode;
  var homeNext = respond.nextSibling;
  var replyTo = respond.querySelector(".reply-to");
  var replyAuthor = respond.querySelector(".reply-to-author");
  var cancel = document.getElementById("cancel-comment-reply-link");

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".comment-reply-link") : null;
    if (!link) { return; }
    event.preventDefault();
    var body = link.closest(".comment-body");
    body.parentNode.insertBefore(respond, body.nextSibling);
    parentField.value = link.getAttribute("data-comment-id");
    replyAuthor.textContent = link.getAttribute("data-author");
    replyTo.classList.remove("hidden");
    document.getElementById("comment").focus();
  });

  if (cancel) {
    cancel.addEventListener("click", function (event) {
      event.preventDefault();
      parentField.value = "";
      replyTo.classList.add("hidden");
      home.insertBefore(respond, homeNext);
    });
  }
})();
