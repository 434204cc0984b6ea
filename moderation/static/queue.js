// Keyboard shortcuts for the queue: j/k move, a approve, r reject, s spam, x select.
// Every action is an ordinary form button, so the page works without this file.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  var current = -1;

  function select(index) {
    if (!items.length) { return; }
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) { item.classList.toggle("selected", i === current); });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var tag = event.target.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") { return; }
    if (event.key === "j") { select(current + 1); }
    else if (event.key === "k") { select(current - 1); }
    else if (current >= 0 && event.key === "x") {
      var box = items[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
    } else if (current >= 0 && "ars".indexOf(event.key) >= 0 && event.key.length === 1) {
      var button = items[current].querySelector('button[data-key="' + event.key + '"]');
      if (button) { button.click(); }
    } else { return; }
    event.preventDefault();
  });
  if (items.length) { select(0); }
})();
