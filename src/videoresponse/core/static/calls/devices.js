// The device check: camera preview, microphone level, and a quick connection test.
// It only looks: nothing is recorded or kept, and the camera stops when the page goes.

import { explainMediaError, openLocalMedia, stopStream, watchLevel } from "./media.js";

const root = document.getElementById("devices");
const $ = (name) => root.querySelector(`[data-${name}]`);
let stream = null;
let stopLevel = () => {};

async function start() {
  $("start").hidden = true;
  $("start-help").hidden = true;
  try {
    stream = await openLocalMedia();
  } catch (error) {
    $("problem-text").textContent = explainMediaError(error);
    $("problem").hidden = false;
    $("problem").focus();
    $("start").hidden = false;
    return;
  }
  $("problem").hidden = true;
  $("results").hidden = false;
  const preview = $("preview");
  if (stream.getVideoTracks().length > 0) {
    preview.srcObject = stream;
    $("camera-result").textContent = "Your camera works. You should see yourself above.";
  } else {
    $("camera-figure").hidden = true;
    $("camera-result").textContent =
      "We could not find a camera. You can still join with audio only.";
  }
  const micResult = $("mic-result");
  micResult.textContent = "Say something to test your microphone.";
  let heard = false;
  stopLevel = watchLevel(stream, (level) => {
    $("level").value = level;
    if (!heard && level > 0.15) {
      heard = true;
      micResult.textContent = "Your microphone works. We can hear you.";
    }
  });
}

/** A few small requests to this site: how long a round trip takes says enough. */
async function checkConnection() {
  const result = $("connection-result");
  const times = [];
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    try {
      const response = await fetch("/healthz", { cache: "no-store", credentials: "omit" });
      if (!response.ok) throw new Error(String(response.status));
    } catch {
      result.textContent =
        "We could not reach our service. Check you have signal or Wi-Fi, then reload this page.";
      return;
    }
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[1];
  const type = navigator.connection && navigator.connection.effectiveType;
  if (median > 1000 || type === "slow-2g" || type === "2g") {
    result.textContent =
      "Your connection is slow. The call may work better with audio only, or somewhere with better signal or Wi-Fi.";
  } else if (median > 400 || type === "3g") {
    result.textContent = "Your connection is OK. If the picture freezes, try audio only.";
  } else {
    result.textContent = "Your connection looks good.";
  }
}

$("start").addEventListener("click", start);
window.addEventListener("pagehide", () => {
  stopLevel();
  stopStream(stream);
});
checkConnection();
