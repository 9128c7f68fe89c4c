// The officer's evidence panel: items arrive live over the call's socket ("evidence"
// messages), each can be accepted or declined with a reason, and "Capture still" keeps a
// frame of the caller's video as an item of its own.
import { currentCall } from "/static/calls/call.js";

const panel = document.querySelector("[data-evidence-panel]");

if (panel) {
  const appointmentId = panel.dataset.appointmentId;
  const csrf = panel.dataset.csrf;
  const list = panel.querySelector("[data-evidence-list]");
  const none = panel.querySelector("[data-evidence-none]");
  const status = panel.querySelector("[data-evidence-status]");
  const captureButton = panel.querySelector("[data-capture-still]");
  const rows = new Map();

  async function api(path, options = {}) {
    const response = await fetch(path, {
      ...options,
      headers: { Accept: "application/json", "X-CSRF-Token": csrf, ...(options.headers || {}) },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || "That did not work. Try again.");
    return body;
  }

  function button(text, className) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `govuk-button ${className}`;
    b.textContent = text;
    return b;
  }

  function stateText(item) {
    if (item.state === "receiving") {
      const percent = item.size ? Math.floor(((item.received || 0) / item.size) * 100) : 0;
      return `Arriving: ${percent}%`;
    }
    if (item.state === "checking") return item.state_text;
    if (item.state === "refused") return `Refused: ${item.refusal}`;
    return item.decision_reason ? `${item.state_text}: ${item.decision_reason}` : item.state_text;
  }

  function show(item) {
    let li = rows.get(item.id);
    if (item.state === "withdrawn") {
      if (li) li.remove();
      rows.delete(item.id);
      none.hidden = rows.size > 0;
      return;
    }
    if (!li) {
      li = document.createElement("li");
      li.className = "vr-evidence__item";
      li.dataset.evidenceItem = String(item.id);
      rows.set(item.id, li);
      list.append(li);
    }
    li.replaceChildren();
    // Its page exists once the file is in (or was refused); it opens beside the call.
    const arriving = item.state === "receiving" || item.state === "checking";
    const name = document.createElement(arriving ? "span" : "a");
    name.className = "govuk-link vr-evidence__name";
    if (!arriving) {
      name.href = `/evidence/${item.id}`;
      name.target = "_blank";
      name.rel = "noopener";
    }
    name.textContent = item.label || item.name;
    const meta = document.createElement("span");
    meta.className = "vr-evidence__meta";
    meta.textContent = [item.media_type || "Type not known", item.size_text].join(" · ");
    const hash = document.createElement("span");
    hash.className = "vr-evidence__meta vr-hash";
    hash.textContent = `SHA-256 ${item.sha256_short}`;
    const scan = document.createElement("span");
    scan.className = "vr-evidence__meta";
    scan.dataset.scan = item.scan_state;
    scan.textContent = item.scan_text;
    const state = document.createElement("strong");
    state.className = "vr-evidence__meta";
    state.dataset.state = item.state;
    state.textContent = stateText(item);
    li.append(name, meta);
    // Hash and virus check exist only once the whole file is in.
    if (item.sha256) li.append(hash, scan);
    if (item.hash_match === false) {
      const warning = document.createElement("strong");
      warning.className = "vr-evidence__meta";
      warning.textContent = "The caller's device calculated a different hash: check this file.";
      li.append(warning);
    }
    li.append(state);
    if (item.state === "received") li.append(actions(item));
    none.hidden = rows.size > 0;
  }

  function actions(item) {
    const box = document.createElement("div");
    const row = document.createElement("div");
    row.className = "vr-evidence__actions";
    const accept = button("Accept", "");
    const decline = button("Decline", "govuk-button--warning");
    row.append(accept, decline);
    const form = document.createElement("div");
    form.className = "govuk-form-group vr-evidence__reason";
    form.hidden = true;
    const id = `decline-reason-${item.id}`;
    const label = document.createElement("label");
    label.className = "govuk-label";
    label.htmlFor = id;
    label.textContent = "Reason for declining";
    const input = document.createElement("input");
    input.className = "govuk-input";
    input.id = id;
    input.maxLength = 500;
    input.autocomplete = "off";
    const confirm = button("Decline this item", "govuk-button--warning");
    form.append(label, input, confirm);
    box.append(row, form);
    const decide = async (accepted, reason) => {
      try {
        const body = await api(`/api/evidence/${item.id}/decision`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ accept: accepted, reason }),
        });
        show(body.item);
        status.textContent = accepted ? "Accepted." : "Declined.";
      } catch (error) {
        status.textContent = error.message;
      }
    };
    accept.addEventListener("click", () => decide(true, ""));
    decline.addEventListener("click", () => {
      form.hidden = false;
      input.focus();
    });
    confirm.addEventListener("click", () => decide(false, input.value));
    return box;
  }

  async function capture() {
    const call = await currentCall;
    const caller = [...call.peers.values()].find((p) => p.role === "caller" && p.remoteStream);
    const video = caller && [...document.querySelectorAll("video")].find((v) => v.srcObject === caller.remoteStream);
    if (!video || !video.videoWidth) {
      status.textContent = "There is no video from the caller to capture.";
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    captureButton.disabled = true;
    try {
      const body = await api(`/api/appointments/${appointmentId}/evidence/still-frames`, {
        method: "POST",
        headers: { "Content-Type": "image/png" },
        body: blob,
      });
      show(body.item);
      status.textContent = "Still frame captured.";
    } catch (error) {
      status.textContent = error.message;
    } finally {
      captureButton.disabled = false;
    }
  }

  captureButton.addEventListener("click", capture);
  api(`/api/appointments/${appointmentId}/evidence`)
    .then((body) => body.items.forEach(show))
    .catch((error) => {
      status.textContent = error.message;
    });
  currentCall.then((call) =>
    call.addEventListener("message", ({ detail }) => {
      if (detail.type === "evidence" && detail.item) {
        show(detail.item);
        status.textContent = `New evidence: ${detail.item.name}`;
      }
    }),
  );
}
