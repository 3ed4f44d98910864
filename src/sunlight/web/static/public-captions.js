// The release page's "Captions" button: turns the player's caption track on and off.
// It is a real <button> (Tab, Enter and Space work) with aria-pressed telling its state.
// The button stays hidden without JavaScript; the player's own controls still offer
// the track then. No inline script: the page's CSP forbids it.
(function () {
  "use strict";

  function start() {
    var button = document.getElementById("captions-toggle");
    var player = document.getElementById("player");
    if (!button || !player || !player.textTracks || player.textTracks.length === 0) {
      return;
    }
    var track = player.textTracks[0];

    function show(state) {
      button.setAttribute("aria-pressed", state === "showing" ? "true" : "false");
    }

    // The button is the one switch: captions start off until the resident turns them on.
    track.mode = "hidden";
    show(track.mode);

    button.addEventListener("click", function () {
      track.mode = track.mode === "showing" ? "hidden" : "showing";
      show(track.mode);
    });
    // The player's own captions menu changes the same track: keep the button in step.
    player.textTracks.addEventListener("change", function () {
      show(track.mode);
    });
    button.hidden = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
