// Horizontally scrolling rows: arrow buttons page through a row, the arrow keys move from tile to
// tile (scrolling it into view), touch and trackpads scroll natively (with snapping, css).
(function () {
  "use strict";

  function tiles(scroller) {
    return Array.from(scroller.querySelectorAll(":scope > .tile, :scope > .continue-item"));
  }

  // One page: the tiles that fit entirely, so a page turn never leaves one cut in half.
  function pageWidth(scroller) {
    const items = tiles(scroller);
    if (items.length < 2) return scroller.clientWidth;
    const step = items[1].offsetLeft - items[0].offsetLeft;
    return Math.max(step, Math.floor((scroller.clientWidth + 1) / step) * step);
  }

  function update(frame, scroller) {
    const max = scroller.scrollWidth - scroller.clientWidth;
    frame.querySelector(".row-prev").hidden = scroller.scrollLeft <= 1;
    frame.querySelector(".row-next").hidden = scroller.scrollLeft >= max - 1;
  }

  function onKey(event, scroller) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const items = tiles(scroller);
    const links = items.map((item) => item.querySelector("a"));
    const at = links.indexOf(document.activeElement);
    const step = event.key === "ArrowRight" ? 1 : -1;
    event.preventDefault();
    if (at < 0) {
      scroller.scrollBy({ left: step * pageWidth(scroller), behavior: "smooth" });
      return;
    }
    const next = links[Math.min(links.length - 1, Math.max(0, at + step))];
    next.focus({ preventScroll: true });
    next.closest(".tile, .continue-item").scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
  }

  function setup(frame) {
    const scroller = frame.querySelector(".row-scroller");
    frame.querySelectorAll(".row-scroll").forEach((button) => {
      button.addEventListener("click", () => {
        const direction = Number(button.dataset.scroll);
        scroller.scrollBy({ left: direction * pageWidth(scroller), behavior: "smooth" });
      });
    });
    scroller.addEventListener("scroll", () => update(frame, scroller), { passive: true });
    scroller.addEventListener("keydown", (event) => onKey(event, scroller));
    window.addEventListener("resize", () => update(frame, scroller));
    update(frame, scroller);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".row-frame").forEach(setup);
  });
})();
