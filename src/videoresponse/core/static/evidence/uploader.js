// Resumable uploads (tus) shared by the caller's page in the call and the staff case page.
// Nothing is stored in the browser: tus-js-client keeps upload addresses in memory only,
// so a lost connection resumes within the page; after a reload the server lists this
// person's unfinished uploads and a file chosen again (same name and size) carries on.

// Files up to this size are hashed in the browser too, so both hashes can be compared;
// a bigger file would have to be read whole into the device's memory.
const HASH_LIMIT = 200 * 1000 * 1000;
const CHUNK = 5 * 1024 * 1024;

// root holds [data-evidence-input] and [data-evidence-files]; endpoint() names the
// appointment's tus address at the moment files are chosen.
export function startUploads(root, { endpoint, csrf }) {
  const input = root.querySelector("[data-evidence-input]");
  const list = root.querySelector("[data-evidence-files]");
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

  async function unfinishedUploads(address) {
    if (!unfinished) {
      unfinished = fetch(`${address}/unfinished`, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : { uploads: [] }))
        .then((body) => body.uploads)
        .catch(() => []);
    }
    return unfinished;
  }

  async function resumeUrl(address, file) {
    const uploads = await unfinishedUploads(address);
    const sameSize = uploads.filter((u) => u.length === file.size);
    const match =
      sameSize.find((u) => u.name === file.name) || (sameSize.length === 1 ? sameSize[0] : null);
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

  // A resumed upload whose bytes were all in when the server stopped is finished by a
  // PATCH of no bytes at its full length (the server's HEAD only reports). Harmless when
  // it had finished already: that answer is ignored.
  function confirm(url, size) {
    return fetch(url, {
      method: "PATCH",
      headers: {
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": String(size),
        "Content-Type": "application/offset+octet-stream",
        "X-CSRF-Token": csrf,
      },
    }).catch(() => undefined);
  }

  async function send(address, file) {
    const shown = row(file);
    const [hash, url] = await Promise.all([sha256(file), resumeUrl(address, file)]);
    let spoken = -1;
    const upload = new window.tus.Upload(file, {
      endpoint: address,
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
      async onSuccess() {
        await confirm(upload.url, file.size);
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
    const address = endpoint();
    for (const file of input.files) send(address, file);
    input.value = "";
  });
}
