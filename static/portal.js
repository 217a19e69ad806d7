// An evidence file over the limit is refused by the server with everything else kept, but
// only after it is sent: say it at once, before a slow upload, and leave it out.
// The limit and the words come from the page (data-max-bytes, data-too-large).
function oversizedFiles(root) {
  var found = [];
  root.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var limit = Number(input.dataset.maxBytes);
    Array.prototype.forEach.call(input.files || [], function (file) {
      if (file.size > limit) { found.push({ input: input, file: file }); }
    });
  });
  return found;
}

function sayTooLarge(input, file) {
  var note = input.parentNode.querySelector(".file-too-large[data-for='" + input.id + "']");
  if (!note) {
    note = document.createElement("p");
    note.className = "errorlist file-too-large";
    note.setAttribute("role", "alert");
    note.dataset.for = input.id;
    input.insertAdjacentElement("afterend", note);
  }
  note.textContent = input.dataset.tooLarge.replace("{name}", file.name);
  input.value = "";  // the rest of the form can still be saved without it
  input.focus();
}

document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
  var note = input.parentNode.querySelector(".file-too-large[data-for='" + input.id + "']");
  var file = input.files && input.files[0];
  if (file && file.size > Number(input.dataset.maxBytes)) {
    sayTooLarge(input, file);
  } else if (note) {
    note.remove();
  }
});

// A second click on a submit button would send the form twice; the server copes, but say it is on its way.
document.addEventListener("submit", function (event) {
  var oversized = oversizedFiles(event.target);
  if (oversized.length) {
    event.preventDefault();
    oversized.forEach(function (found) { sayTooLarge(found.input, found.file); });
    return;
  }
  var buttons = event.target.querySelectorAll("button[type=submit]");
  window.setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
});
