// Countdown timers of the huddle page. Each [data-countdown] element carries the seconds
// left when the server rendered the page (data-remaining, negative when over time) and the
// words to show (data-left-text, data-over-text). Counting from the page load avoids any
// difference between the server's clock and the browser's. Without JavaScript the page shows
// the allotted time and the start time instead.
(function () {
  "use strict";

  function clock(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    var mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + String(rest).padStart(2, "0");
  }

  function start(element) {
    var remaining = parseInt(element.dataset.remaining, 10);
    if (isNaN(remaining)) {
      return;
    }
    var deadline = Date.now() + remaining * 1000;
    var live = element.querySelector(".timer__live");
    var text = element.querySelector("[data-countdown-text]");
    var value = element.querySelector("[data-countdown-value]");
    if (!live || !text || !value) {
      return;
    }
    live.hidden = false;
    function tick() {
      var left = Math.round((deadline - Date.now()) / 1000);
      var over = left < 0;
      text.textContent = over ? element.dataset.overText : element.dataset.leftText;
      value.textContent = clock(Math.abs(left));
      element.classList.toggle("is-over", over);
    }
    tick();
    window.setInterval(tick, 1000);
  }

  function init() {
    document.querySelectorAll("[data-countdown]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
