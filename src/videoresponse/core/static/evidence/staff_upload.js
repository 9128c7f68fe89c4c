// An officer adds files to one of the case's appointments from the case evidence page
// (see uploader.js). The list of items is the server's: reload to see them arrive.
import { startUploads } from "/static/evidence/uploader.js";

const root = document.querySelector("[data-evidence-staff-upload]");

if (root && window.tus) {
  const choice = root.querySelector("[data-evidence-appointment]");
  startUploads(root, {
    endpoint: () => `/tus/appointments/${choice.value}`,
    csrf: root.dataset.csrf,
  });
}
