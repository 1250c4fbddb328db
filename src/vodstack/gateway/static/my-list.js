// "My List" buttons (title pages, tiles, the billboard): PUT or DELETE /api/my-list/{id}; every
// button for the same title follows, and a tile taken off the list leaves the "My List" row.
(function () {
  "use strict";

  function render(button, listed) {
    const name = button.dataset.titleName;
    button.setAttribute("aria-pressed", listed ? "true" : "false");
    button.setAttribute("aria-label", (listed ? "Remove " + name + " from" : "Add " + name + " to") + " My List");
    button.title = listed ? "In My List" : "Add to My List";
    button.querySelector(".list-icon").textContent = listed ? "\u2713" : "+";
  }

  async function toggle(button) {
    const id = button.dataset.titleId;
    const listed = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    try {
      await window.vodstack.api(listed ? "PUT" : "DELETE", "/api/my-list/" + id);
      document.querySelectorAll('[data-list-toggle][data-title-id="' + id + '"]').forEach((b) => render(b, listed));
      if (!listed) {
        document.querySelectorAll('[data-row="my-list"] .tile[data-title-id="' + id + '"]').forEach((tile) => tile.remove());
      }
    } catch (err) {
      button.title = err.message;
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-list-toggle]") : null;
    if (!button) return;
    event.preventDefault();
    toggle(button);
  });
})();
