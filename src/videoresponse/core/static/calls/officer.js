// The officer's side of a call: admit people from the waiting room, message them while
// they wait, invite an interpreter or a supporter, and end the call for everyone.

import { Call, exposeForTests } from "./call.js";
import { explainMediaError, openLocalMedia } from "./media.js";
import { mountStage, showSection } from "./stage.js";

const NAMES = {
  officer: "Officer",
  caller: "Caller",
  guest: "Guest",
  interpreter: "Interpreter",
  supporter: "Supporter",
  unknown: "Caller",
};
const CALLER_LEFT =
  "The caller has left the call. They may have had to leave quickly: do not call them back " +
  "unless their safe contact says you may.";
const CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });

const root = document.getElementById("call");
const $ = (name) => root.querySelector(`[data-${name}]`);
const appointmentId = root.dataset.appointmentId;

async function main() {
  let stream;
  try {
    stream = await openLocalMedia();
  } catch (error) {
    $("failed-text").textContent = explainMediaError(error);
    showSection(root, "failed");
    return;
  }
  const call = new Call({ appointmentId, stream });
  exposeForTests(call);
  const stage = mountStage(root, call, { names: NAMES, onHangUp: () => call.hangUp() });

  call.addEventListener("state", ({ detail }) => {
    if (detail === "admitted" || detail === "waiting") showSection(root, "live");
    else if (detail !== "connecting") {
      stage.blank();
      showSection(root, detail);
    }
  });
  call.addEventListener("waiting", ({ detail }) => renderWaiting(call, detail));
  // "Exit this page", hanging up or a lost signal look the same from here: assume the
  // worst, that they had to leave quickly, and do not phone them back unsafely.
  call.addEventListener("peer-left", ({ detail }) => {
    if (detail.role === "caller") stage.notice(CALLER_LEFT);
  });
  $("end").addEventListener("click", () => call.endForAll());
  mountWaitingMessage(call);
  mountInvite();
  window.addEventListener("pagehide", () => call.finish("left"));
  call.start();
}

function renderWaiting(call, peers) {
  const list = $("waiting-list");
  $("nobody-waiting").hidden = peers.length > 0;
  list.replaceChildren(
    ...peers.map((peer) => {
      const item = document.createElement("li");
      item.className = "vr-waiting-list__item";
      const who = document.createElement("span");
      const name = NAMES[peer.guest_role] || NAMES[peer.role] || NAMES.unknown;
      const since = peer.since ? new Date(peer.since) : null;
      who.textContent =
        since && !Number.isNaN(since.getTime()) ? `${name}, since ${CLOCK.format(since)}` : name;
      const admit = document.createElement("button");
      admit.type = "button";
      admit.className = "govuk-button";
      admit.textContent = "Admit";
      admit.setAttribute("aria-label", `Admit ${name}`);
      admit.dataset.admit = peer.peer_id;
      admit.addEventListener("click", () => {
        admit.disabled = true;
        call.admit(peer.peer_id);
      });
      item.append(who, admit);
      return item;
    }),
  );
}

function mountWaitingMessage(call) {
  const form = $("waiting-form");
  const input = form.querySelector("input");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (call.sendWaitingMessage(text)) {
      $("waiting-sent").textContent = `Sent: “${text}”`;
      input.value = "";
    } else {
      $("waiting-sent").textContent = "Not sent: reconnecting. Try again in a moment.";
    }
  });
}

function mountInvite() {
  const status = $("invite-status");
  root.querySelectorAll("[data-invite]").forEach((button) => {
    button.addEventListener("click", async () => {
      const role = button.dataset.invite;
      button.disabled = true;
      status.textContent = "";
      try {
        const response = await fetch(`/api/calls/${encodeURIComponent(appointmentId)}/guests`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-csrf-token": root.dataset.csrf,
            accept: "application/json",
          },
          body: JSON.stringify({ role }),
        });
        if (!response.ok) throw new Error(String(response.status));
        const { url } = await response.json();
        $("invite-label").textContent = `Link for the ${role}: send it to them only`;
        $("invite-result").hidden = false;
        const link = root.querySelector("#invite-link");
        link.value = url;
        link.focus();
        link.select();
      } catch {
        status.textContent = `The ${role}'s link could not be made. Try again.`;
      } finally {
        button.disabled = false;
      }
    });
  });
  $("copy").addEventListener("click", async () => {
    const link = root.querySelector("#invite-link");
    try {
      await navigator.clipboard.writeText(link.value);
      status.textContent = "Link copied.";
    } catch {
      link.select();
      status.textContent = "Select the link and copy it.";
    }
  });
}

main();
