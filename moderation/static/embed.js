// The comment section on a page this service does not render (a CMS's article page):
//   <div id="comments" data-comments-article="ARTICLE-SLUG"></div>
//   <script src="https://comments.example.org/static/embed.js" async></script>
// The page's origin must be in the service's EMBED_ORIGINS for posting; reading works anywhere.
// Comment text and author links arrive as HTML the server escaped; everything else is set as text.
(function () {
  "use strict";
  var script = document.currentScript;
  var server = new URL(script.src).origin;
  var root = document.querySelector("[data-comments-article]");
  if (!root) { return; }
  var slug = root.getAttribute("data-comments-article");
  var api = server + "/api/articles/" + encodeURIComponent(slug) + "/comments";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function field(form, name, label, type, required) {
    var p = el("p", "comment-form-" + name);
    var id = "embed-" + name;
    var lab = el("label", "", label + (required ? " *" : ""));
    lab.htmlFor = id;
    var input = type === "textarea" ? el("textarea") : el("input");
    if (type !== "textarea") { input.type = type; }
    input.id = id;
    input.name = name;
    if (required) { input.required = true; }
    p.appendChild(lab);
    p.appendChild(input);
    p.appendChild(el("span", "error"));
    form.appendChild(p);
    return input;
  }

  function render(data) {
    root.textContent = "";
    var heading = el("h2", "comments-title",
      data.count + (data.count === 1 ? " thought on “" : " thoughts on “") + data.article.title + "”");
    root.appendChild(heading);
    var list = el("ol", "comment-list");
    root.appendChild(list);
    var formBox = el("div", "comment-respond");
    var title = el("h3", "comment-reply-title", "Leave a Reply");
    var form = el("form", "comment-form");
    form.noValidate = true;
    var parent = null;

    function reportForm(c, li, button) {
      var box = el("form", "report-inline");
      var reasonLabel = el("label", "", "Why should this comment not be here? ");
      var reason = el("select");
      reason.name = "reason";
      Object.keys(data.report_reasons || {}).forEach(function (value) {
        var option = el("option", "", data.report_reasons[value]);
        option.value = value;
        reason.appendChild(option);
      });
      reasonLabel.appendChild(reason);
      var noteLabel = el("label", "", "A short note for the moderators ");
      var note = el("input");
      note.type = "text";
      note.name = "note";
      note.maxLength = 300;
      noteLabel.appendChild(note);
      var send = el("button", "", "Send report");
      send.type = "submit";
      var said = el("p", "report-status");
      said.setAttribute("role", "status");
      [reasonLabel, noteLabel, send, said].forEach(function (node) { box.appendChild(node); });
      box.addEventListener("submit", function (event) {
        event.preventDefault();
        send.disabled = true;
        fetch(api + "/" + c.id + "/reports", { method: "POST", headers: { "Content-Type": "application/json" },
                                               body: JSON.stringify({ reason: reason.value, note: note.value }) })
          .then(function (response) { return response.json().then(function (json) { return [response.ok, json]; }); })
          .then(function (result) {
            said.textContent = result[1].message || result[1].error || "";
            if (result[0]) { [reasonLabel, noteLabel, send].forEach(function (node) { node.remove(); }); button.remove(); }
          })
          .catch(function () { said.textContent = "The report could not be sent. Please try again."; })
          .then(function () { send.disabled = false; });
      });
      li.insertBefore(box, li.querySelector(".children"));
      reason.focus();
    }

    function item(c, depth, awaiting) {
      var li = el("li", "comment depth-" + depth + (awaiting ? " awaiting" : ""));
      li.id = "comment-" + c.id;
      if (c.deleted) {
        li.appendChild(el("p", "comment-deleted", "Comment deleted"));
        var under = el("ol", "children");
        (c.replies || []).forEach(function (r) { under.appendChild(item(r, depth + 1, false)); });
        li.appendChild(under);
        return li;
      }
      var meta = el("footer", "comment-meta");
      var who = el("b", "comment-author");
      if (c.author_html) { who.innerHTML = c.author_html; } else { who.textContent = c.author; }
      meta.appendChild(who);
      meta.appendChild(el("time", "comment-date", new Date(c.created_at).toLocaleString()));
      li.appendChild(meta);
      if (awaiting) { li.appendChild(el("p", "comment-awaiting-moderation", "Your comment is awaiting moderation.")); }
      var content = el("div", "comment-content");
      content.innerHTML = c.html;
      li.appendChild(content);
      if (!awaiting && depth < data.max_depth && data.article.comments_open) {
        var reply = el("button", "comment-reply-link", "Reply");
        reply.type = "button";
        reply.addEventListener("click", function () {
          parent = c.id;
          title.textContent = "Reply to " + c.author;
          li.appendChild(formBox);
          form.querySelector("textarea").focus();
        });
        li.appendChild(reply);
      }
      if (!awaiting) {
        var report = el("button", "comment-report-link", "Report");
        report.type = "button";
        report.addEventListener("click", function () {
          var open = li.querySelector(".report-inline");
          if (open) { open.querySelector("select").focus(); } else { reportForm(c, li, report); }
        });
        li.appendChild(report);
      }
      var children = el("ol", "children");
      (c.replies || []).forEach(function (r) { children.appendChild(item(r, depth + 1, false)); });
      li.appendChild(children);
      return li;
    }

    data.comments.forEach(function (c) { list.appendChild(item(c, 1, false)); });
    formBox.appendChild(title);
    if (!data.article.comments_open) {
      formBox.appendChild(el("p", "comments-closed", "Comments are closed."));
      root.appendChild(formBox);
      return;
    }
    var text = field(form, "comment", "Comment", "textarea", true);
    field(form, "author", "Name", "text", true);
    field(form, "email", "Email (never shown)", "email", true);
    field(form, "url", "Website", "url", false);
    var trap = field(form, "website_confirm", "Leave this field empty", "text", false);
    trap.parentNode.hidden = true;
    trap.tabIndex = -1;
    var status = el("p", "comment-status");
    status.setAttribute("role", "status");
    var submit = el("button", "submit", "Post Comment");
    submit.type = "submit";
    form.appendChild(status);
    form.appendChild(submit);
    formBox.appendChild(form);
    root.appendChild(formBox);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { parent: parent };
      ["comment", "author", "email", "url", "website_confirm"].forEach(function (name) {
        body[name] = form.elements[name].value;
      });
      Array.prototype.forEach.call(form.querySelectorAll(".error"), function (e) { e.textContent = ""; });
      submit.disabled = true;
      fetch(api, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (response) { return response.json().then(function (json) { return [response.status, json]; }); })
        .then(function (result) {
          var code = result[0], json = result[1];
          status.textContent = json.message || json.error || "";
          if (code === 201 || code === 202) {
            var shown = code === 201 ? json.comment : { id: json.id, author: body.author, created_at: new Date().toISOString(),
              html: "", replies: [] };
            var li = item(shown, 1, code === 202);
            if (code === 202) { li.querySelector(".comment-content").textContent = body.comment; }
            var target = parent ? document.getElementById("comment-" + parent).querySelector(".children") : list;
            target.appendChild(li);
            text.value = "";
          } else {
            Object.keys(json.errors || {}).forEach(function (name) {
              var holder = form.querySelector(".comment-form-" + name + " .error");
              if (holder) { holder.textContent = json.errors[name].join(" "); }
            });
          }
        })
        .catch(function () { status.textContent = "The comment could not be sent; your text is kept. Please try again."; })
        .then(function () { submit.disabled = false; });
    });
  }

  fetch(api).then(function (r) { return r.json(); }).then(render).catch(function () {
    root.textContent = "Comments could not be loaded.";
  });
})();
