// The caller sends files during the call with tus (resumable uploads). Nothing is stored
// in the browser: tus-js-client keeps upload addresses in memory only, so a lost
// connection resumes within the page; after a reload the server lists this caller's
// unfinished uploads and a file chosen again (same name and size) carries on from there.
import { currentCall } from "/static/calls/call.js";

const root = document.querySelector("[data-evidence-upload]");
// Files up to this size are hashed in the browser too, so both hashes can be compared;
// a bigger file would have to be read whole into the phone's memory.
const HASH_LIMIT = 200 * 1000 * 1000;
const CHUNK = 5 * 1024 * 1024;

if (root && window.tus) {
  const appointmentId = root.dataset.appointmentId;
  const csrf = root.dataset.csrf;
  const input = root.querySelector("[data-evidence-input]");
  const list = root.querySelector("[data-evidence-files]");
  const note = root.querySelector("[data-evidence-note]");
  const endpoint = `/tus/appointments/${appointmentId}`;
  const memory = new Map();
  const urlStorage = {
    findAllUploads: async () => [...memory.values()],
    findUploadsByFingerprint: async (fingerprint) =>
      memory.has(fingerprint) ? [memory.get(fingerprint)] : [],
    removeUpload: async (key) => void memory.delete(key),
    addUpload: async (fingerprint, upload) => {
      memory.set(fingerprint, upload);
      return fingerprint;
    },
  };
  let unfinished = null;

  async function unfinishedUploads() {
    if (!unfinished) {
      unfinished = fetch(`${endpoint}/unfinished`, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : { uploads: [] }))
        .then((body) => body.uploads)
        .catch(() => []);
    }
    return unfinished;
  }

  async function resumeUrl(file) {
    const uploads = await unfinishedUploads();
    const sameSize = uploads.filter((u) => u.length === file.size);
    const match = sameSize.find((u) => u.name === file.name) || (sameSize.length === 1 ? sameSize[0] : null);
    if (!match) return null;
    uploads.splice(uploads.indexOf(match), 1);
    return match.url;
  }

  async function sha256(file) {
    if (!window.crypto || !crypto.subtle || file.size > HASH_LIMIT) return "";
    try {
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    } catch {
      return "";
    }
  }

  function row(file) {
    const item = document.createElement("li");
    item.className = "vr-evidence__file";
    const name = document.createElement("span");
    name.className = "vr-evidence__name";
    name.textContent = file.name;
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.textContent = "0%";
    progress.setAttribute("aria-label", `Sending ${file.name}`);
    const status = document.createElement("span");
    status.className = "vr-evidence__status";
    status.setAttribute("role", "status");
    status.textContent = "Getting ready…";
    item.append(name, progress, status);
    list.append(item);
    return { item, progress, status };
  }

  function reason(error) {
    const response = error && error.originalResponse;
    const text = response && response.getBody && response.getBody();
    if (text && !text.trim().startsWith("<")) {
      try {
        return JSON.parse(text).detail || text;
      } catch {
        return text;
      }
    }
    return "Sending stopped. Check your connection, then choose the file again to carry on.";
  }

  async function send(file) {
    const shown = row(file);
    const [hash, url] = await Promise.all([sha256(file), resumeUrl(file)]);
    let spoken = -1;
    const upload = new window.tus.Upload(file, {
      endpoint,
      uploadUrl: url,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
      headers: { "X-CSRF-Token": csrf },
      metadata: { filename: file.name, filetype: file.type || "", ...(hash ? { sha256: hash } : {}) },
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: true,
      urlStorage,
      onProgress(sent, total) {
        const percent = total ? Math.floor((sent / total) * 100) : 0;
        shown.progress.value = percent;
        shown.progress.textContent = `${percent}%`;
        // Spoken at each quarter, not every tick.
        const quarter = Math.floor(percent / 25);
        if (quarter !== spoken) {
          spoken = quarter;
          shown.status.textContent = `Sending: ${percent}%`;
        }
      },
      onSuccess() {
        shown.progress.value = 100;
        shown.progress.textContent = "100%";
        shown.status.textContent = "Sent";
        shown.item.classList.add("vr-evidence__file--sent");
      },
      onError(error) {
        shown.status.textContent = reason(error);
        shown.item.classList.add("vr-evidence__file--refused");
      },
    });
    upload.start();
  }

  input.addEventListener("change", () => {
    // Asked afresh each time: a file that stopped a moment ago is unfinished now.
    unfinished = null;
    for (const file of input.files) send(file);
    input.value = "";
  });

  currentCall.then((call) =>
    call.addEventListener("message", ({ detail }) => {
      if (detail.type === "evidence_still") note.textContent = detail.text;
    }),
  );
}
