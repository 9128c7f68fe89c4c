// The officer's statement panel: autosave (a second after typing stops, and on leaving a
// field), corrections from the witness, versions, the read-over and the countersignature.
// Every save carries the revision it was based on, so a stale window cannot overwrite.
import { currentCall } from "/static/calls/call.js";
import { hhmm, makePad, problem } from "/static/statements/pad.js";

const root = document.querySelector("[data-statement]");
if (root) start(root);

const FIRST = ["statement_of", "under_18", "age", "occupation", "body", "pages"];
const RESTRICTED = [
  "contact_details",
  "dates_to_avoid",
  "needs_and_special_measures",
  "medical_records_consent",
  "vps_offered",
  "vps_made",
];

function start(root) {
  const $ = (selector) => root.querySelector(selector);
  const form = $("[data-statement-form]");
  const status = $("[data-save-status]");
  const presentButton = $("[data-present]");
  const readOverPad = makePad($('[data-pad="read-over"]'));
  let revision = 0;
  let latest = null;
  let statementOf = "";
  let dirty = false;
  let stale = false;
  let timer = null;
  let saving = Promise.resolve();

  const api = (path, options = {}) =>
    fetch(`/api/statements/${encodeURIComponent(root.dataset.appointmentId)}${path}`, {
      ...options,
      headers: {
        "content-type": "application/json",
        "x-csrf-token": root.dataset.csrf,
        accept: "application/json",
      },
    });

  function showError(text) {
    $("[data-statement-error-text]").textContent = text;
    $("[data-statement-error]").hidden = false;
  }

  function showStepUp(href) {
    const link = Object.assign(document.createElement("a"), {
      className: "govuk-link",
      href,
      target: "_blank",
      rel: "noopener",
      textContent: "Confirm your password to countersign (opens in a new tab)",
    });
    const then = ", then select Countersign and seal again.";
    $("[data-statement-error-text]").replaceChildren(link, then);
    $("[data-statement-error]").hidden = false;
  }

  function hideError() {
    $("[data-statement-error]").hidden = true;
  }

  function set(name, value) {
    const element = form.elements[name];
    if (name === "medical_records_consent") {
      for (const radio of element) radio.checked = radio.value === value;
    } else if (element.type === "checkbox") {
      element.checked = Boolean(value);
    } else {
      element.value = value === null || value === undefined ? "" : String(value);
    }
  }

  function get(name) {
    const element = form.elements[name];
    if (name === "medical_records_consent") return element.value || "";
    if (element.type === "checkbox") return element.checked;
    if (name === "age" || name === "pages") {
      const number = Number.parseInt(element.value, 10);
      return Number.isNaN(number) ? (name === "pages" ? 1 : null) : number;
    }
    return element.value;
  }

  function showAge() {
    $("[data-age-group]").hidden = !form.elements.under_18.checked;
  }

  function fill(state) {
    for (const name of FIRST) set(name, state.first_part[name]);
    for (const name of RESTRICTED) set(name, state.restricted[name]);
    set("witness_cannot_read", state.witness_cannot_read);
    revision = state.revision;
    showAge();
    $("[data-taken]").textContent =
      `Taken by ${state.taken_by} at ${state.taken_at_place}, started at ${hhmm(state.started_at)}.`;
    form.hidden = false;
    presentButton.disabled = false;
    status.textContent = `Saved at ${hhmm(state.saved_at)}`;
  }

  function draft() {
    const first = Object.fromEntries(FIRST.map((name) => [name, get(name)]));
    if (!first.under_18) first.age = null;
    return {
      revision,
      first_part: first,
      restricted: Object.fromEntries(RESTRICTED.map((name) => [name, get(name)])),
      witness_cannot_read: get("witness_cannot_read"),
    };
  }

  function changed() {
    if (stale) return;
    dirty = true;
    status.textContent = "Saving…";
    clearTimeout(timer);
    timer = setTimeout(save, 1000);
  }

  function save() {
    clearTimeout(timer);
    saving = saving.then(async () => {
      if (!dirty || stale) return;
      dirty = false;
      let response;
      try {
        response = await api("/draft", { method: "PUT", body: JSON.stringify(draft()) });
      } catch {
        response = null;
      }
      if (response && response.ok) {
        const saved = await response.json();
        revision = saved.revision;
        status.textContent = `Saved at ${hhmm(saved.saved_at)}`;
        hideError();
      } else if (response && response.status === 409) {
        stale = true;
        status.textContent = "Not saved";
        showError(await problem(response));
      } else {
        // Kept on the page and tried again: nothing typed is dropped.
        dirty = true;
        status.textContent = "Not saved yet: trying again…";
        if (response) showError(await problem(response));
        timer = setTimeout(save, 5000);
      }
    });
    return saving;
  }

  function describe(version) {
    const signed = version.signatures;
    const parts = [`Version ${version.number}`, `made at ${hhmm(version.made_at)} by ${version.made_by}`];
    parts.push(`SHA-256 ${version.sha256.slice(0, 12)}…`);
    if (signed.witness) parts.push(`signed by the witness at ${hhmm(signed.witness.at)}`);
    if (signed.read_over) parts.push(`read-over signed by ${signed.read_over.name}`);
    if (signed.officer) parts.push(`countersigned by ${signed.officer.name}`);
    if (version.sealed) parts.push("sealed");
    if (!signed.witness) parts.push("waiting for the witness");
    return parts.join(" · ");
  }

  function showVersions(versions) {
    const list = $("[data-versions]");
    list.replaceChildren(
      ...versions.map((version) => {
        const item = document.createElement("li");
        item.textContent = describe(version);
        return item;
      }),
    );
    $("[data-no-versions]").hidden = versions.length > 0;
    latest = versions[0] || null;
    const signed = latest ? latest.signatures : {};
    const readOverDue = Boolean(latest && latest.witness_cannot_read && !signed.read_over && !signed.officer);
    $("[data-read-over]").hidden = !readOverDue;
    $("[data-read-over-text]").textContent =
      `“I, (full name of the reader), have read the above statement to ${statementOf} before they ` +
      "signed it, and they told me it is true.”";
    const countersignDue = Boolean(
      latest && signed.witness && !signed.officer && (!latest.witness_cannot_read || signed.read_over),
    );
    $("[data-countersign]").hidden = !countersignDue;
    if (countersignDue) {
      $("[data-countersign-text]").textContent =
        `The witness signed version ${latest.number}. Countersign it to seal the statement as a PDF.`;
    }
  }

  function showOfficer(officer) {
    // Printed on the sealed PDF: the signed-in officer's own staff record, not typing.
    $("[data-countersign-as]").textContent = officer.number
      ? `You countersign as ${officer.name}, ${officer.number}.`
      : `You countersign as ${officer.name}. Your rank and number are not on your staff record yet.`;
    $("[data-officer-number-group]").hidden = Boolean(officer.number);
  }

  function showCorrections(corrections) {
    $("[data-corrections-list]").replaceChildren(...corrections.map(correctionItem));
    $("[data-corrections]").hidden = corrections.length === 0;
  }

  function correctionItem(correction) {
    const item = document.createElement("li");
    item.dataset.correctionId = correction.id ?? "";
    const words = document.createElement("span");
    words.textContent = `${correction.from} asked at ${hhmm(correction.at)}: “${correction.text}” `;
    item.append(words);
    if (correction.done_at) {
      const tag = Object.assign(document.createElement("strong"), { textContent: "Done" });
      tag.className = "govuk-tag govuk-tag--green";
      item.append(tag);
    } else if (correction.id) {
      const done = Object.assign(document.createElement("button"), {
        type: "button",
        className: "govuk-button govuk-button--secondary vr-corrections__done",
        textContent: "Mark done",
      });
      done.addEventListener("click", async () => {
        done.disabled = true;
        const response = await api(`/corrections/${correction.id}/done`, { method: "POST" });
        if (!response.ok) {
          done.disabled = false;
          return showError(await problem(response));
        }
        item.replaceWith(correctionItem(await response.json()));
      });
      item.append(done);
    } else {
      const note = Object.assign(document.createElement("span"), { className: "govuk-body-s" });
      note.textContent = "(could not be kept with the statement: note it yourself)";
      item.append(note);
    }
    return item;
  }

  async function keepCorrection(detail) {
    // Stored with the statement as this screen received it; shown even if that fails.
    const from = detail.from_role === "caller" ? "The witness" : "A guest in the call";
    let kept = { id: null, from, text: detail.text, at: detail.at, done_at: null };
    try {
      const response = await api("/corrections", {
        method: "POST",
        body: JSON.stringify({ from_role: detail.from_role, text: detail.text, at: detail.at }),
      });
      if (response.ok) kept = await response.json();
    } catch {
      // shown below without a "Mark done" button
    }
    const list = $("[data-corrections-list]");
    if (kept.id && list.querySelector(`[data-correction-id="${kept.id}"]`)) return;
    list.append(correctionItem(kept));
    $("[data-corrections]").hidden = false;
  }

  async function load(fillForm) {
    const response = await api("");
    if (!response.ok) {
      status.textContent = "";
      showError(await problem(response));
      return;
    }
    const state = await response.json();
    statementOf = state.first_part.statement_of;
    if (fillForm) fill(state);
    showVersions(state.versions);
    showOfficer(state.officer);
    showCorrections(state.corrections);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", (event) => {
    if (event.target.name === "under_18") showAge();
    changed();
  });
  form.addEventListener("focusout", () => {
    if (dirty) save();
  });
  window.addEventListener("pagehide", () => {
    if (!dirty || stale) return;
    // The last keystrokes before the tab closes: keepalive lets the request finish.
    api("/draft", { method: "PUT", body: JSON.stringify(draft()), keepalive: true });
  });

  presentButton.addEventListener("click", async () => {
    hideError();
    presentButton.disabled = true;
    try {
      await save();
      if (stale) return;
      const response = await api("/versions", { method: "POST" });
      if (!response.ok) return showError(await problem(response));
      const made = await response.json();
      status.textContent = `Version ${made.version} sent to the witness to confirm`;
      await load(false);
    } finally {
      presentButton.disabled = false;
    }
  });

  $('[data-pad-clear="read-over"]').addEventListener("click", () => readOverPad.clear());
  $("[data-sign-read-over]").addEventListener("click", async () => {
    hideError();
    if (!latest) return;
    if (readOverPad.isEmpty()) return showError("The reader must sign in the box.");
    const response = await api(`/versions/${latest.number}/read-over`, {
      method: "POST",
      body: JSON.stringify({
        sha256: latest.sha256,
        name: $("#st-reader-name").value,
        signature: readOverPad.toDataURL("image/png"),
      }),
    });
    if (!response.ok) return showError(await problem(response));
    readOverPad.clear();
    await load(false);
  });

  $("[data-countersign-button]").addEventListener("click", async (event) => {
    hideError();
    if (!latest) return;
    event.target.disabled = true;
    try {
      const response = await api(`/versions/${latest.number}/countersign`, {
        method: "POST",
        body: JSON.stringify({
          sha256: latest.sha256,
          officer_number: $("#st-officer-number").value,
        }),
      });
      if (response.status === 401) {
        // Step-up: the password was not given lately. The confirm page opens in a new
        // tab, so the call goes on; then the officer countersigns again.
        const { step_up: confirmUrl } = await response.clone().json().catch(() => ({}));
        if (confirmUrl) return showStepUp(confirmUrl);
      }
      if (!response.ok) return showError(await problem(response));
      status.textContent = `Version ${latest.number} countersigned and sealed`;
      await load(false);
    } finally {
      event.target.disabled = false;
    }
  });

  currentCall.then((call) => {
    call.addEventListener("message", ({ detail }) => {
      if (detail.type === "correction") {
        keepCorrection(detail);
      } else if (detail.type === "statement_signed") {
        load(false);
      }
    });
  });
  load(true);
}
