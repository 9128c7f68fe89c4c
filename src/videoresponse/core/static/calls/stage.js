// What both sides show during a call: the other people's video, your own small picture,
// the controls, the connection status and the text chat. The page decides what hanging up
// means (the caller's screen blanks; the officer may come back).

import { listCameras } from "./media.js";

const CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "numeric", minute: "2-digit" });

export function mountStage(root, call, { names, onHangUp }) {
  const stage = root.querySelector("[data-stage]");
  const remote = root.querySelector("[data-remote]");
  const empty = root.querySelector("[data-remote-empty]");
  const self = root.querySelector("[data-self]");
  const status = root.querySelector("[data-status]");
  const buttons = {};
  root.querySelectorAll("[data-action]").forEach((b) => {
    buttons[b.dataset.action] = b;
  });
  const tiles = new Map();
  let busy = false;
  // Says someone left; stays over "Connected." until a caller is in the call again.
  let notice = "";

  const say = (text) => {
    if (status && status.textContent !== text) status.textContent = text;
  };

  function renderTiles() {
    const visible = call.visiblePeers();
    for (const [peer, tile] of tiles) {
      if (!visible.includes(peer)) {
        tile.querySelector("video").srcObject = null;
        tile.remove();
        tiles.delete(peer);
      }
    }
    for (const peer of visible) {
      let tile = tiles.get(peer);
      if (!tile) {
        tile = makeTile(peer);
        tiles.set(peer, tile);
        remote.append(tile);
      }
      const video = tile.querySelector("video");
      if (video.srcObject !== peer.remoteStream && peer.remoteStream.getTracks().length > 0) {
        video.srcObject = peer.remoteStream;
        play(video);
      }
      const noVideo = !peer.videoFlowing || call.audioOnly;
      tile.classList.toggle("vr-tile--no-video", noVideo);
      tile.querySelector(".vr-tile__note").textContent = call.audioOnly ? "Audio only" : "No video";
      tile.querySelector("figcaption").textContent =
        names[peer.guestRole] || names[peer.role] || names.unknown;
    }
    remote.dataset.count = String(visible.length);
    if (stage) stage.dataset.count = String(visible.length);
    if (empty) empty.hidden = visible.length > 0;
    if (notice && [...call.peers.values()].some((p) => p.role === "caller")) notice = "";
    if (status) status.classList.toggle("vr-status--notice", Boolean(notice));
    if (call.state === "admitted") {
      if (notice) say(notice);
      else if (visible.some((p) => p.connected)) say("Connected.");
      else if (visible.length > 0) say("Connecting…");
    }
  }

  function makeTile() {
    const tile = document.createElement("figure");
    tile.className = "vr-tile";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    const caption = document.createElement("figcaption");
    caption.className = "vr-tile__name";
    const note = document.createElement("p");
    note.className = "vr-tile__note";
    tile.append(video, caption, note);
    return tile;
  }

  // Autoplay with sound can be refused until the person taps the page.
  const unblock = root.querySelector("[data-unblock-sound]");
  function play(video) {
    video.play().catch(() => {
      if (unblock) unblock.hidden = false;
    });
  }
  if (unblock) {
    unblock.addEventListener("click", () => {
      unblock.hidden = true;
      root.querySelectorAll("[data-remote] video").forEach((v) => play(v));
    });
  }

  function renderSelf() {
    const tracks = call.stream.getVideoTracks().filter((t) => t.readyState === "live");
    if (self) {
      self.srcObject = tracks.length ? new MediaStream(tracks) : null;
      self.closest("figure").hidden = tracks.length === 0;
    }
    label("mute", call.muted ? "Unmute" : "Mute");
    label("camera", call.videoTrack ? "Turn camera off" : "Turn camera on");
    label("audio-only", call.audioOnly ? "Turn video back on" : "Audio only");
    if (buttons.camera) buttons.camera.hidden = call.audioOnly;
    if (buttons.switch) {
      listCameras()
        .then((cameras) => {
          buttons.switch.hidden = call.audioOnly || !call.videoTrack || cameras.length < 2;
        })
        .catch(() => {});
    }
    renderTiles();
  }

  function label(action, text) {
    if (buttons[action]) buttons[action].textContent = text;
  }

  // One change at a time: a camera takes a moment to open.
  async function act(work) {
    if (busy) return;
    busy = true;
    try {
      await work();
    } catch {
      say("Your camera could not be changed. You can carry on with sound.");
    } finally {
      busy = false;
      renderSelf();
    }
  }

  on("mute", () => call.setMuted(!call.muted));
  on("camera", () => act(() => call.setCameraOff(Boolean(call.videoTrack))));
  on("switch", () => act(() => call.switchCamera()));
  on("audio-only", () => act(() => call.setAudioOnly(!call.audioOnly)));
  on("hang-up", () => onHangUp());

  function on(action, handler) {
    if (buttons[action]) buttons[action].addEventListener("click", handler);
  }

  call.addEventListener("peers", renderTiles);
  call.addEventListener("media", renderSelf);
  call.addEventListener("signalling", ({ detail }) => {
    if (detail === "reconnecting") say("Reconnecting… Please wait.");
    else renderTiles();
  });
  call.addEventListener("restarting", () => say("The connection dropped. Reconnecting…"));

  mountChat(root, call, names);
  renderSelf();

  return {
    /** A status that stays until a caller is back in the call (see `notice` above). */
    notice(text) {
      notice = text;
      say(text);
      if (status) status.classList.toggle("vr-status--notice", Boolean(text));
    },
    /** Blank at once: no picture of anyone stays on screen. */
    blank() {
      root.querySelectorAll("video").forEach((v) => {
        v.srcObject = null;
      });
      for (const tile of tiles.values()) tile.remove();
      tiles.clear();
    },
  };
}

function mountChat(root, call, names) {
  const form = root.querySelector("[data-chat-form]");
  const log = root.querySelector("[data-chat-log]");
  if (!form || !log) return;
  const input = form.querySelector("input");

  function show(who, text, at) {
    const item = document.createElement("li");
    item.className = "vr-chat__message";
    const heading = document.createElement("strong");
    heading.textContent = who;
    const when = document.createElement("span");
    when.className = "vr-chat__time";
    when.textContent = Number.isNaN(at.getTime()) ? "" : ` ${CLOCK.format(at)}`;
    const body = document.createElement("span");
    body.className = "vr-chat__text";
    body.textContent = text;
    item.append(heading, when, body);
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  // The server sends a message to everyone but its sender: show our own at once.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (call.chat(text)) {
      show("You", text, new Date());
      input.value = "";
    }
    input.focus();
  });

  call.addEventListener("chat", ({ detail }) => {
    const who = names[detail.from_role] || names.unknown;
    show(who, String(detail.text || ""), detail.at ? new Date(detail.at) : new Date());
  });
}

/** Show one part of the page (and the parts shared with it); move focus to its heading. */
export function showSection(root, name) {
  root.querySelectorAll("[data-section]").forEach((s) => {
    s.hidden = s.dataset.section !== name;
  });
  root.querySelectorAll("[data-section-also]").forEach((s) => {
    s.hidden = !s.dataset.sectionAlso.split(" ").includes(name);
  });
  const section = `[data-section="${name}"]`;
  const heading = root.querySelector(`${section} h1, ${section} h2`);
  if (heading) heading.focus({ preventScroll: false });
}
