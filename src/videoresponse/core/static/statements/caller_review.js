// The witness's statement in the call: the first part, live and read-only; asking for a
// change; then the declaration, typed name and drawn signature. Nothing is kept in the
// browser: the text comes from the server each time and lives only on the page.
import { currentCall } from "/static/calls/call.js";
import { hhmm, makePad, problem } from "/static/statements/pad.js";

const root = document.querySelector("[data-review]");
if (root) start(root);

function start(root) {
  const $ = (selector) => root.querySelector(selector);
  const confirmForm = $("[data-confirm-form]");
  const pad = makePad($('[data-pad="witness"]'));
  let presented = null;
  let call = null;

  function field(name, text) {
    root.querySelector(`[data-field="${name}"]`).textContent = text;
  }

  function show(state) {
    if (!state.first_part) return;
    const first = state.first_part;
    root.hidden = false;
    field("statement_of", first.statement_of);
    field("age", first.under_18 ? (first.age ? String(first.age) : "Under 18") : "Over 18");
    field("occupation", first.occupation || "Not given");
    field("body", first.body);
    $("[data-review-updated]").textContent = `Updated at ${hhmm(new Date().toISOString())}`;
    $("[data-declaration]").textContent = state.declaration;

    const wasPresented = presented && presented.version;
    presented = state.presented;
    if (presented && presented.version !== wasPresented) {
      $("#confirm-declared").checked = false;
      hideError();
    }
    confirmForm.hidden = !presented;
    const signed = state.signed;
    $("[data-signed]").hidden = !signed;
    $("[data-correction-form]").hidden = Boolean(signed);
    $("[data-copy]").hidden = !(signed && signed.copy);
  }

  async function load() {
    const response = await fetch("/api/appointment/statement", {
      headers: { accept: "application/json" },
      cache: "no-store",
    });
    if (response.ok) show(await response.json());
  }

  function showError(text) {
    $("[data-confirm-error-text]").textContent = text;
    $("[data-confirm-error]").hidden = false;
    $("[data-confirm-error]").focus();
  }

  function hideError() {
    $("[data-confirm-error]").hidden = true;
  }

  $('[data-pad-clear="witness"]').addEventListener("click", () => pad.clear());

  $("[data-correction-form]").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = $("#correction-text");
    const text = box.value.trim();
    if (!text || !call) return;
    call.send({ type: "correction", text });
    box.value = "";
    $("[data-correction-sent]").textContent = "Sent. They will change the statement.";
  });

  confirmForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideError();
    if (!presented) return;
    if (!$("#confirm-declared").checked) return showError("Tick the box to confirm the statement is true.");
    const name = $("#confirm-name").value.trim();
    if (!name) return showError("Type your full name.");
    if (pad.isEmpty()) return showError("Sign with your finger in the box.");
    const response = await fetch("/api/appointment/statement/sign", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-csrf-token": root.dataset.csrf,
        accept: "application/json",
      },
      body: JSON.stringify({
        version: presented.version,
        sha256: presented.sha256,
        declared: true,
        name,
        signature: pad.toDataURL("image/png"),
      }),
    });
    if (!response.ok) {
      showError(await problem(response));
      await load();
      return;
    }
    pad.clear();
    await load();
    $("[data-signed-heading]").focus();
  });

  currentCall.then((found) => {
    call = found;
    call.addEventListener("message", ({ detail }) => {
      if (detail.type === "statement") show(detail);
    });
    call.addEventListener("state", ({ detail }) => {
      if (detail === "admitted") load();
    });
  });
  load();
}
