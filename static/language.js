// The language menu sends its form as soon as a language is chosen (without JavaScript,
// its <noscript> button does). Kept in a file, not an onchange attribute: the
// Content-Security-Policy forbids inline script.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.matches && select.matches("select[data-submit-on-change]")) {
    select.form.submit();
  }
});
