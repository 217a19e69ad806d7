// django-import-export's export page wires its "Select all" box with an inline onchange
// attribute, which the Content-Security-Policy refuses; this does the same from a file.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (box.matches && box.matches("input.select-toggle") && typeof window.onSelectToggleChange === "function") {
    window.onSelectToggleChange(event);
  }
});
