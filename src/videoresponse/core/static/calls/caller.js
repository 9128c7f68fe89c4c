// The caller's waiting room and call, on one page.
// Hang up is one tap and blanks the screen at once: the person who hurt the caller may
// come back into the room. "Exit this page" (button or Shift three times) does the same
// before it leaves for a neutral site.

import { Call, exposeForTests } from "./call.js";
import { explainMediaError, openLocalMedia, stopStream } from "./media.js";
import { mountStage, showSection } from "./stage.js";

const NAMES = {
  officer: "Officer",
  caller: "Caller",
  guest: "Interpreter or supporter",
  interpreter: "Interpreter",
  supporter: "Supporter",
  unknown: "Officer",
};

const root = document.getElementById("call");

async function main() {
  const audioOnly = root.dataset.audioOnly === "1";
  let stream;
  try {
    stream = await openLocalMedia({ audioOnly });
  } catch (error) {
    root.querySelector("[data-failed-text]").textContent = explainMediaError(error);
    showSection(root, "failed");
    return;
  }
  const call = new Call({ appointmentId: root.dataset.appointmentId, stream, audioOnly });
  exposeForTests(call);

  let stage = null;
  const blankAndLeave = () => {
    // The picture goes first, before anything that could take time.
    root.classList.add("vr-call--blank");
    if (stage) stage.blank();
    stopStream(stream);
    showSection(root, "left");
    call.hangUp();
    root.classList.remove("vr-call--blank");
  };
  stage = mountStage(root, call, { names: NAMES, onHangUp: blankAndLeave });

  const messages = root.querySelector("[data-waiting-messages]");
  call.addEventListener("waiting-message", ({ detail }) => {
    const item = document.createElement("li");
    item.className = "govuk-inset-text vr-waiting-message";
    item.textContent = detail;
    messages.append(item);
  });

  call.addEventListener("state", ({ detail }) => {
    if (!["connecting", "waiting", "admitted"].includes(detail)) stage.blank();
    if (detail !== "connecting") showSection(root, detail === "admitted" ? "live" : detail);
  });

  watchExitThisPage(() => {
    root.classList.add("vr-call--blank");
    stage.blank();
    call.finish("left");
  });
  // Leaving the page by any other way ends the call for this browser too.
  window.addEventListener("pagehide", () => call.finish("left"));
  call.start();
}

/** GOV.UK's Exit this page marks the body as it starts to leave; blank before it goes. */
function watchExitThisPage(onExit) {
  const observer = new MutationObserver(() => {
    if (document.body.classList.contains("govuk-exit-this-page-hide-content")) {
      observer.disconnect();
      onExit();
    }
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ["class"] });
}

main();
