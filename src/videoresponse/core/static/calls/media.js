// Camera and microphone, shared by the device check and the call.
// Callers are often on old phones with a weak signal: ask for small frames at a modest
// frame rate, which every phone camera can give and a slow uplink can carry.

export const VIDEO = {
  width: { ideal: 640 },
  height: { ideal: 480 },
  frameRate: { ideal: 15, max: 24 },
};

// Echo cancellation matters most: many callers use the phone's loudspeaker.
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

export function hasMediaDevices() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** The microphone, and the camera unless audio only; a camera that fails gives audio only. */
export async function openLocalMedia({ audioOnly = false, facingMode = "user" } = {}) {
  if (!hasMediaDevices()) throw new Error("unsupported");
  if (audioOnly) return navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: false });
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: AUDIO,
      video: { ...VIDEO, facingMode },
    });
  } catch (error) {
    // No camera, or the camera is busy or refused: still let the person talk.
    if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) throw error;
    return navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: false });
  }
}

/** A camera track facing the given way; phones without facingMode get their next camera. */
export async function openCamera(facingMode, previousDeviceId) {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { ...VIDEO, facingMode: { exact: facingMode } },
    });
    return stream.getVideoTracks()[0];
  } catch {
    const cameras = await listCameras();
    if (cameras.length === 0) throw new Error("no camera");
    const index = cameras.findIndex((c) => c.deviceId === previousDeviceId);
    const next = cameras[(index + 1) % cameras.length];
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { ...VIDEO, deviceId: { exact: next.deviceId } },
    });
    return stream.getVideoTracks()[0];
  }
}

export async function listCameras() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === "videoinput");
}

export function stopStream(stream) {
  if (stream) stream.getTracks().forEach((track) => track.stop());
}

/** Plain words for why the camera or microphone could not be used. */
export function explainMediaError(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Your phone or browser has blocked the camera and microphone. Allow them for this page in your browser's settings, then reload the page.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "We could not find a microphone. Check one is plugged in or turned on.";
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return "Another app is using your camera or microphone. Close it, then reload this page.";
  }
  if (error && error.message === "unsupported") {
    return "This browser cannot make video calls. Try Chrome, Safari, Firefox or Edge, or phone us.";
  }
  return "Something went wrong with your camera or microphone. Reload the page to try again.";
}

/**
 * Calls onLevel(0..1) about 15 times a second with the loudness of the stream's audio.
 * Returns a function that stops it. The AnalyserNode reads the signal; nothing is kept.
 */
export function watchLevel(stream, onLevel) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context || stream.getAudioTracks().length === 0) return () => {};
  const context = new Context();
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const timer = window.setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += ((sample - 128) / 128) ** 2;
    // RMS of speech is small; scale it so normal talking fills most of the meter.
    onLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
  }, 66);
  // Some browsers start the context suspended until a tap.
  if (context.state === "suspended") context.resume().catch(() => {});
  return () => {
    window.clearInterval(timer);
    source.disconnect();
    context.close().catch(() => {});
  };
}
