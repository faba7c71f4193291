// Progressive enhancement only: every page works without JavaScript.
"use strict";

// Copy buttons: <button data-copy="ID" hidden> copies the text of element ID. Hidden until this runs.
function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

document.querySelectorAll("button[data-copy]").forEach(function (button) {
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", function () {
    copyText(source.textContent).then(
      function () { button.textContent = "Copied"; },
      function () { button.textContent = "Select the text and copy it"; }
    );
    setTimeout(function () { button.textContent = label; }, 2000);
  });
});

// Forms with data-confirm ask before they submit (deleting a key or a contact).
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});

// Buttons with data-confirm (one action of a form with several) ask before they submit.
document.querySelectorAll("button[data-confirm]").forEach(function (button) {
  button.addEventListener("click", function (event) {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});
