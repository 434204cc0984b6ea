// Progressive enhancement of the comment form: "Reply" moves the form under the
// comment instead of reloading the page. Without JavaScript the links still work
// (?replytocom=ID), so nothing here is required.
(function () {
  "use strict";
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
