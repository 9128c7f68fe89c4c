// The officer's console: who is waiting, refreshed every 3 seconds, and the rapid queue.

const POLL_MS = 3000;
const root = document.getElementById("console");
const $ = (name) => root.querySelector(`[data-${name}]`);
const clock = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  timeZone: root.dataset.timezone || undefined,
});
const title = document.title;
// A rapid call this officer has taken is theirs to open, like an appointment.
const own = new Set((root.dataset.ownIds || "").split(" ").filter(Boolean));
const openable = (r) => r.kind !== "rapid" || r.taken === true || own.has(String(r.appointment_id));
let fetchedAt = 0;
let rows = [];

export function waited(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function cell(content) {
  const td = document.createElement("td");
  td.className = "govuk-table__cell";
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  return td;
}

function tag(text, colour) {
  const strong = document.createElement("strong");
  strong.className = `govuk-tag ${colour}`;
  strong.textContent = text;
  return strong;
}

function render() {
  const since = (Date.now() - fetchedAt) / 1000;
  const appointments = rows.filter(openable);
  const rapid = rows.filter((r) => !openable(r));
  const tbody = $("appointments");
  tbody.replaceChildren(
    ...appointments.map((r) => {
      const tr = document.createElement("tr");
      tr.className = "govuk-table__row";
      // The person's name is on this page already, in today's list (never in the API).
      const known = root.querySelector(`[data-appointment-row="${Number(r.appointment_id)}"]`);
      const when = document.createElement("span");
      when.textContent = r.starts_at ? `Starts ${clock.format(new Date(r.starts_at))}` : "Appointment";
      const what = document.createElement("div");
      if (known) {
        const who = document.createElement("strong");
        who.textContent = known.dataset.person;
        what.append(who, document.createElement("br"));
      }
      what.append(when);
      if (r.late) what.append(" ", tag("Late", "govuk-tag--red"));
      const open = document.createElement("a");
      open.className = "govuk-link";
      open.href = `/officer/calls/${encodeURIComponent(r.appointment_id)}`;
      open.textContent = "Open call";
      const hidden = document.createElement("span");
      hidden.className = "govuk-visually-hidden";
      hidden.textContent = ` ${when.textContent}`;
      open.append(hidden);
      tr.append(
        cell(what),
        cell(r.priority_band || ""),
        cell(waited(r.waiting_seconds + since)),
        cell(open),
      );
      return tr;
    }),
  );
  $("rapid").replaceChildren(
    ...rapid.map((r, index) => {
      const tr = document.createElement("tr");
      tr.className = "govuk-table__row";
      const queued = `${clock.format(new Date(r.waiting_since))} (${waited(r.waiting_seconds + since)} ago)`;
      tr.append(
        cell(String(index + 1)),
        cell(r.urn || ""),
        cell(r.priority_band || ""),
        cell(queued),
        cell(r.caller_waiting ? tag("Waiting", "govuk-tag--green") : tag("Not joined yet", "govuk-tag--grey")),
      );
      return tr;
    }),
  );
  $("appointments-wrapper").hidden = appointments.length === 0;
  $("rapid-wrapper").hidden = rapid.length === 0;
  // Only people actually in a waiting room count as waiting: a queued rapid call whose
  // caller has not opened the link yet is said separately.
  const total = appointments.length + rapid.filter((r) => r.caller_waiting).length;
  const notJoined = rapid.length - rapid.filter((r) => r.caller_waiting).length;
  const parts = [];
  if (total) parts.push(`${total} ${total === 1 ? "caller" : "callers"} waiting`);
  if (notJoined) parts.push(`${notJoined} rapid ${notJoined === 1 ? "call" : "calls"} not joined yet`);
  const summary = parts.length ? `${parts.join(", ")}.` : "Nobody is waiting.";
  if ($("summary").textContent !== summary) $("summary").textContent = summary;
  document.title = total ? `(${total}) ${title}` : title;
}

function problem(text, where = "error") {
  $(where).textContent = text;
  $(where).hidden = !text;
}

async function poll() {
  try {
    const response = await fetch("/api/calls/waiting", {
      headers: { accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 401) {
      problem("You have been signed out. Sign in again to see who is waiting.");
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    rows = await response.json();
    fetchedAt = Date.now();
    problem("");
    render();
  } catch {
    problem("The list could not be updated. Trying again…");
  }
  window.setTimeout(poll, POLL_MS);
}

// Supervisors: callers still in the waiting room some minutes after their start.
async function pollDelays() {
  try {
    const response = await fetch("/api/calls/delays", {
      headers: { accept: "application/json" },
      cache: "no-store",
    });
    if (response.ok) renderDelays(await response.json());
  } catch {
    // The waiting list above reports connection problems; this one retries quietly.
  }
  window.setTimeout(pollDelays, POLL_MS);
}

function renderDelays(delays) {
  $("delays").replaceChildren(
    ...delays.map((d) => {
      const known = root.querySelector(`[data-appointment-row="${Number(d.appointment_id)}"]`);
      const what = document.createElement("div");
      const who = document.createElement("strong");
      who.textContent = known ? known.dataset.person : d.kind === "rapid" ? "Rapid video" : "Appointment";
      what.append(who, document.createElement("br"));
      const detail = document.createElement("span");
      const officer = known && known.dataset.officer ? ` with ${known.dataset.officer}` : "";
      detail.textContent = `Started ${clock.format(new Date(d.starts_at))}${officer}`;
      what.append(detail);
      const open = document.createElement("a");
      open.className = "govuk-link";
      open.href = `/officer/calls/${encodeURIComponent(d.appointment_id)}`;
      open.textContent = "Open call";
      const tr = document.createElement("tr");
      tr.className = "govuk-table__row";
      tr.append(
        cell(what),
        cell(d.priority_band || ""),
        cell(tag(`${d.minutes_late} min`, "govuk-tag--red")),
        cell(open),
      );
      return tr;
    }),
  );
  $("delays-wrapper").hidden = delays.length === 0;
  const summary = delays.length
    ? `${delays.length} ${delays.length === 1 ? "caller has" : "callers have"} not been let in on time.`
    : "Every caller has been let in on time.";
  if ($("delays-summary").textContent !== summary) $("delays-summary").textContent = summary;
}

$("take-next").addEventListener("click", async () => {
  const button = $("take-next");
  button.disabled = true;
  problem("", "take-error");
  try {
    const response = await fetch("/api/calls/rapid/take", {
      method: "POST",
      headers: { "x-csrf-token": root.dataset.csrf, accept: "application/json" },
    });
    if (response.ok) {
      const { appointment_id: id } = await response.json();
      window.location.assign(`/officer/calls/${encodeURIComponent(id)}`);
      return;
    }
    // The server says why (another appointment at this time, an empty queue): show that,
    // and keep it on screen; the poll only clears its own message.
    const detail = await response
      .json()
      .then((body) => (typeof body.detail === "string" ? body.detail : ""))
      .catch(() => "");
    problem(detail || "The next caller could not be taken. Try again.", "take-error");
  } catch {
    problem("The next caller could not be taken. Check your connection and try again.", "take-error");
  }
  button.disabled = false;
});

// Between polls the waiting times still tick.
window.setInterval(() => fetchedAt && render(), 1000);
poll();
if (root.dataset.supervisor === "1") pollDelays();
