// A signature pad sized to its box and the screen's pixel density, so a finger on a
// 360 px phone draws where it touches and the mark stays sharp. The ratio stops at 3
// (sharp enough for a mark): the server refuses a PNG bigger than such a pad can be.
import SignaturePad from "/static/vendor/signature_pad/signature_pad.min.js";

const MAX_RATIO = 3;

export function makePad(container) {
  const canvas = container.querySelector("canvas");
  const pad = new SignaturePad(canvas, { penColor: "#0b0c0c", minWidth: 1, maxWidth: 3 });
  const fit = () => {
    const width = canvas.offsetWidth;
    const height = canvas.offsetHeight;
    if (!width || !height) return; // hidden: sized when it is shown
    const ratio = Math.min(Math.max(window.devicePixelRatio || 1, 1), MAX_RATIO);
    if (canvas.width === Math.round(width * ratio) && canvas.height === Math.round(height * ratio)) return;
    const strokes = pad.toData();
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
  };
  new ResizeObserver(fit).observe(canvas);
  fit();
  return pad;
}

export function hhmm(iso) {
  const at = new Date(iso);
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

export async function problem(response) {
  try {
    const body = await response.json();
    if (body && typeof body.detail === "string") return body.detail;
  } catch {
    // not JSON: fall through to a general message
  }
  return "Something went wrong. Try again.";
}
