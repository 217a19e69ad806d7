// A second click on a submit button would send the form twice; the server copes, but say it is on its way.
document.addEventListener("submit", function (event) {
  var buttons = event.target.querySelectorAll("button[type=submit]");
  window.setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
});
