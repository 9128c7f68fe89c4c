// The statement's state on the appointment's page: none, a draft, or the latest version.
// Someone not on the case gets 403 and the line is taken away.
const line = document.querySelector("[data-statement-summary]");
if (line) show(line);

async function show(line) {
  const id = encodeURIComponent(line.dataset.appointmentId);
  let response;
  try {
    response = await fetch(`/api/statements/${id}/summary`, { headers: { accept: "application/json" } });
  } catch {
    return; // the link still works; only the state is missing
  }
  if (response.status === 403 || response.status === 404) {
    line.remove();
    return;
  }
  if (!response.ok) return;
  const { text } = await response.json();
  line.querySelector("[data-statement-summary-text]").textContent = `${text}.`;
}
