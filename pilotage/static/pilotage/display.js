/* The TV display of a board (rooms/display.html): every minute, fetch the board again and
   swap it in; when the server cannot be reached, keep the last board on screen under a
   banner saying since when, and keep trying. A link that was revoked (410) or no longer
   exists (404) reloads the page, so the board leaves the screen.
   Also, on the display links page, the "Copy" button next to a new link. */
(function () {
  "use strict";

  function startScreen(content) {
    var banner = document.getElementById("display-offline");
    var url = content.getAttribute("data-fragment-url");
    var seconds = Number(content.getAttribute("data-refresh-seconds")) || 60;

    function showOffline() {
      var board = content.querySelector("[data-offline-message]");
      var text = board
        ? board.getAttribute("data-offline-message")
        : banner.getAttribute("data-fallback");
      if (banner.textContent !== text) {
        banner.textContent = text;
      }
      banner.hidden = false;
      document.documentElement.classList.add("is-offline");
    }

    function hideOffline() {
      banner.hidden = true;
      banner.textContent = "";
      document.documentElement.classList.remove("is-offline");
    }

    function swap(html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var board = doc.querySelector("[data-display-board]");
      if (!board) {
        // Not the board (a proxy's or a portal's page): as good as no answer.
        throw new Error("no board in the answer");
      }
      content.replaceChildren(document.adoptNode(board));
    }

    function refresh() {
      fetch(url, {
        cache: "no-store",
        credentials: "omit",
        redirect: "error",
        referrerPolicy: "no-referrer",
        headers: { Accept: "text/html" },
      })
        .then(function (response) {
          if (response.status === 404 || response.status === 410) {
            window.location.reload();
            return null;
          }
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text().then(function (html) {
            swap(html);
            hideOffline();
          });
        })
        .catch(showOffline)
        .finally(schedule);
    }

    function schedule() {
      window.setTimeout(refresh, seconds * 1000);
    }

    schedule();
  }

  function startCopyButtons() {
    document.querySelectorAll("[data-copy-from]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy-from"));
      if (!input || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          button.textContent = button.getAttribute("data-copied-label");
        });
      });
    });
  }

  function start() {
    var content = document.getElementById("display-content");
    if (content) {
      startScreen(content);
    }
    startCopyButtons();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
