// The caller sends files during the call (see uploader.js: nothing kept in the browser).
import { currentCall } from "/static/calls/call.js";
import { startUploads } from "/static/evidence/uploader.js";

const root = document.querySelector("[data-evidence-upload]");

if (root && window.tus) {
  const note = root.querySelector("[data-evidence-note]");
  startUploads(root, {
    endpoint: () => `/tus/appointments/${root.dataset.appointmentId}`,
    csrf: root.dataset.csrf,
  });
  currentCall.then((call) =>
    call.addEventListener("message", ({ detail }) => {
      if (detail.type === "evidence_still") note.textContent = detail.text;
    }),
  );
}
