// The call, as both sides run it: the signalling WebSocket and one RTCPeerConnection per
// other participant (a mesh: three people make three connections, fine for 2 to 4).
//
// Negotiation follows MDN's "perfect negotiation" pattern, so that either side may start
// and a collision of offers settles itself. Of each pair, the peer whose peer_id sorts
// higher (as strings) is "polite": it gives way to the other's offer. Both sides compute
// the same answer from the same two ids, with nothing to agree. To make a collision rare
// (Chromium, after rolling back its own first offer, sometimes gathered no candidates for
// the answer, and the call never connected) the polite peer of a new pair waits briefly for
// the other's offer before adding its own tracks; and the impolite peer restarts ICE first.
//
// Recovering without anyone doing anything (a weak signal comes and goes):
// - the media path: ICE restart when a connection "failed", or stayed "disconnected" for
//   5 s with no inbound bytes (getStats), so a brief blip does not cost a renegotiation;
// - the signalling socket: reconnects after 1, 2, 4, 8, 10, 10... seconds and says hello
//   again. The server then gives this browser a NEW peer_id and tells the others it left.
//   A connection whose media still flows is kept ("retiring") until its replacement is up,
//   so a dropped socket does not stop the picture.
//
// Nothing is written to storage of any kind: the caller's phone may be read by someone else.

import { openCamera, stopStream } from "./media.js";

const BACKOFF_MS = [1000, 2000, 4000, 8000, 10000];
const PING_EVERY_MS = 15000;
const PONG_WITHIN_MS = 10000;
const DISCONNECTED_RESTART_MS = 5000;
const RETIRED_IDLE_MS = 3000;
const RETIRED_AT_MOST_MS = 30000;
const POLITE_WAITS_MS = 1500;
// Not connected this long after starting: restart ICE (impolite at once, polite later).
const CONNECT_WITHIN_MS = 8000;
const KEPT_CANDIDATES = 100;
// 300 kbit/s of video each way plus audio is about 300 MB an hour: what the caller's
// appointment page tells them a call costs.
const VIDEO_MAX_BITRATE = 300000;
// Close codes (calls.protocol.CloseCode). 1000 is the server's "hung up or ended".
const NORMAL = 1000;
const NOT_ALLOWED = new Set([4401, 4403]);
const REPLACED = 4409;
const RATE_LIMITED = 4429;

let announce;
/** The page's call, once it exists: other capabilities' scripts (the statement, evidence)
 *  wait on this to listen for their messages and to send theirs. */
export const currentCall = new Promise((resolve) => {
  announce = resolve;
});

export class Call extends EventTarget {
  constructor({ appointmentId, stream, audioOnly = false }) {
    super();
    announce(this);
    this.appointmentId = appointmentId;
    this.stream = stream;
    this.audioOnly = audioOnly;
    this.muted = false;
    this.facingMode = "user";
    // connecting → waiting → admitted → (left | ended); refused when the server says no,
    // replaced when the same person opened the call somewhere else.
    this.state = "connecting";
    this.peerId = null;
    this.role = null;
    this.peers = new Map();
    this.retiring = new Set();
    this.config = { iceServers: [] };
    this.socket = null;
    this.attempt = 0;
    this.finished = false;
    this.timers = {};
    this.online = () => this.reconnectNow();
  }

  start() {
    window.addEventListener("online", this.online);
    this.connect();
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  // --- signalling ---------------------------------------------------------------------

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/calls/${this.appointmentId}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.send({ type: "hello" });
      this.emit("signalling", "open");
      this.keepAlive();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message.type === "string") this.receive(message);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      window.clearInterval(this.timers.ping);
      window.clearTimeout(this.timers.pong);
      if (this.finished) return;
      if (NOT_ALLOWED.has(event.code)) {
        this.finish("refused");
        return;
      }
      if (event.code === REPLACED) {
        this.finish("replaced");
        return;
      }
      if (event.code === NORMAL) {
        this.finish("ended");
        return;
      }
      this.emit("signalling", "reconnecting");
      const wait =
        event.code === RATE_LIMITED
          ? BACKOFF_MS[BACKOFF_MS.length - 1]
          : BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      this.attempt += 1;
      this.timers.reconnect = window.setTimeout(() => this.connect(), wait);
    });
  }

  reconnectNow() {
    if (this.finished || !this.socket || this.socket.readyState !== WebSocket.CLOSED) return;
    window.clearTimeout(this.timers.reconnect);
    this.connect();
  }

  // A phone that changes network can leave a socket that looks open but is dead.
  keepAlive() {
    window.clearInterval(this.timers.ping);
    this.timers.ping = window.setInterval(() => {
      this.send({ type: "ping" });
      window.clearTimeout(this.timers.pong);
      this.timers.pong = window.setTimeout(() => this.socket && this.socket.close(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  receive(message) {
    switch (message.type) {
      case "welcome":
        this.welcome(message);
        break;
      case "admitted":
        this.setState("admitted");
        break;
      case "peers":
        if (this.state === "admitted") this.updatePeers(message.peers || []);
        break;
      case "signal":
        this.signalFrom(message.from, message.data || {});
        break;
      case "peer_left": {
        const peer = this.peers.get(message.peer_id);
        if (peer) {
          this.retire(peer);
          this.emit("peer-left", { role: peer.role, guestRole: peer.guestRole });
        }
        break;
      }
      case "waiting":
        this.emit("waiting", message.peers || []);
        break;
      case "waiting_message":
        this.emit("waiting-message", String(message.text || ""));
        break;
      case "chat":
        this.emit("chat", message);
        break;
      case "ended":
        this.finish("ended");
        break;
      case "pong":
        window.clearTimeout(this.timers.pong);
        break;
      case "error":
        this.emit("server-error", String(message.message || ""));
        break;
      default:
        // Another capability's news (a statement being written, evidence arriving):
        // its own script on the page listens for "message" and picks out its types.
        this.emit("message", message);
        break;
    }
  }

  welcome(message) {
    this.attempt = 0;
    if (this.peerId !== null && this.peerId !== message.peer_id) {
      // Back after a dropped socket with a new identity: the others will start new
      // connections with it. Keep the old ones while their media still flows.
      for (const peer of [...this.peers.values()]) this.retire(peer);
    }
    this.peerId = message.peer_id;
    this.role = message.role;
    this.config = { iceServers: message.ice_servers || [] };
    if (message.ice_transport_policy) this.config.iceTransportPolicy = message.ice_transport_policy;
    this.setState(message.state === "admitted" ? "admitted" : "waiting");
  }

  updatePeers(list) {
    const present = new Set(list.map((p) => p.peer_id));
    for (const peer of [...this.peers.values()]) if (!present.has(peer.id)) this.retire(peer);
    for (const { peer_id: id, role, guest_role: guestRole } of list) {
      const peer = this.peers.get(id) || this.addPeer(id, role);
      peer.role = role;
      peer.guestRole = guestRole || "";
    }
    this.emit("peers");
  }

  addPeer(id, role) {
    const peer = new Peer(this, id, role);
    this.peers.set(id, peer);
    this.emit("peers");
    return peer;
  }

  signalFrom(id, data) {
    let peer = this.peers.get(id);
    if (!peer) {
      // Its offer can overtake the "peers" message that announces it.
      if (this.state !== "admitted" || id === undefined || id === null) return;
      peer = this.addPeer(id, "unknown");
    }
    peer.receive(data).catch((error) => console.warn("signal", error));
  }

  retire(peer) {
    this.peers.delete(peer.id);
    if (peer.closed) return;
    this.retiring.add(peer);
    peer.retire();
    this.emit("peers");
  }

  forget(peer) {
    // A retired connection may share its id with its replacement (the other side kept it).
    if (this.peers.get(peer.id) === peer) this.peers.delete(peer.id);
    this.retiring.delete(peer);
    this.emit("peers");
  }

  /** A new connection is up: the old one to the same kind of participant can go. */
  replaced(peer) {
    for (const old of [...this.retiring]) {
      if (old.role === peer.role || old.role === "unknown" || peer.role === "unknown") old.close();
    }
  }

  /** Peers to show: current ones, and retiring ones until a replacement is connected. */
  visiblePeers() {
    const current = [...this.peers.values()];
    const connectedRoles = new Set(current.filter((p) => p.connected).map((p) => p.role));
    const old = [...this.retiring].filter((p) => !connectedRoles.has(p.role));
    const shownRoles = new Set(old.map((p) => p.role));
    return [...old, ...current.filter((p) => p.connected || !shownRoles.has(p.role))];
  }

  allPeers() {
    return [...this.peers.values(), ...this.retiring];
  }

  // --- actions ------------------------------------------------------------------------

  chat(text) {
    return this.send({ type: "chat", text });
  }

  admit(peerId) {
    return this.send({ type: "admit", peer_id: peerId });
  }

  sendWaitingMessage(text) {
    return this.send({ type: "waiting_message", text });
  }

  /** Leave: this person only. The screen is the caller page's to blank, first. */
  hangUp() {
    if (this.finished) return;
    this.send({ type: "hangup" });
    this.finish("left");
  }

  /** The officer ends the call for everyone. */
  endForAll() {
    if (this.finished) return;
    this.send({ type: "end" });
    this.finish("ended");
  }

  /** Stop everything at once: camera light off first, then the connections. */
  finish(state) {
    if (this.finished) return;
    this.finished = true;
    stopStream(this.stream);
    for (const peer of this.allPeers()) peer.close();
    Object.values(this.timers).forEach((t) => {
      window.clearTimeout(t);
      window.clearInterval(t);
    });
    window.removeEventListener("online", this.online);
    if (this.socket) this.socket.close(1000);
    this.setState(state);
  }

  get audioTrack() {
    return this.stream.getAudioTracks()[0] || null;
  }

  get videoTrack() {
    return this.stream.getVideoTracks().find((t) => t.readyState === "live") || null;
  }

  setMuted(muted) {
    this.muted = muted;
    if (this.audioTrack) this.audioTrack.enabled = !muted;
    this.emit("media");
  }

  /** Camera off stops the camera itself (its light goes out), not just the picture. */
  async setCameraOff(off) {
    if (off) {
      for (const track of this.stream.getVideoTracks()) {
        track.stop();
        this.stream.removeTrack(track);
      }
      await Promise.all(this.allPeers().map((p) => p.sendVideo(null)));
    } else if (!this.videoTrack) {
      const track = await openCamera(this.facingMode);
      this.stream.addTrack(track);
      await Promise.all(this.allPeers().map((p) => p.sendVideo(track)));
    }
    this.emit("media");
  }

  /** Audio only: no camera, and no video from the others either (it is the data that costs). */
  async setAudioOnly(on) {
    this.audioOnly = on;
    if (on) await this.setCameraOff(true);
    for (const peer of this.allPeers()) peer.applyAudioOnly();
    if (!on) await this.setCameraOff(false);
    this.emit("media");
  }

  async switchCamera() {
    const old = this.videoTrack;
    if (!old) return;
    const next = this.facingMode === "user" ? "environment" : "user";
    const previousId = old.getSettings ? old.getSettings().deviceId : undefined;
    // Many phones cannot open two cameras at once: let go of this one first.
    old.stop();
    this.stream.removeTrack(old);
    let track;
    try {
      track = await openCamera(next, previousId);
      this.facingMode = next;
    } catch {
      track = await openCamera(this.facingMode);
    }
    this.stream.addTrack(track);
    await Promise.all(this.allPeers().map((p) => p.sendVideo(track)));
    this.emit("media");
  }

  // --- what tests and benchmarks read --------------------------------------------------

  async framesDecoded() {
    const counts = await Promise.all(this.allPeers().map((p) => p.framesDecoded()));
    return counts.reduce((a, b) => a + b, 0);
  }

  async candidatePairs() {
    const pairs = await Promise.all(this.allPeers().map((p) => p.candidatePair()));
    return pairs.filter(Boolean);
  }
}

class Peer {
  constructor(call, id, role) {
    this.call = call;
    this.id = id;
    this.role = role;
    this.guestRole = "";
    this.reportedConnected = false;
    this.polite = String(call.peerId) > String(id);
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingAnswer = false;
    this.connected = false;
    this.closed = false;
    this.retired = false;
    this.bitrateCapped = false;
    this.videoFlowing = false;
    this.remoteStream = new MediaStream();
    this.timers = {};
    this.tracksAdded = false;
    this.laterCandidates = [];
    const pc = new RTCPeerConnection(call.config);
    this.pc = pc;
    if (this.polite) {
      this.timers.politeWait = window.setTimeout(() => this.addLocalTracks(), POLITE_WAITS_MS);
    } else {
      this.addLocalTracks();
    }
    this.timers.connect = window.setTimeout(() => this.checkConnected(), this.patience());
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      call.emit("peers");
    };
    this.watchVideo();
    pc.onnegotiationneeded = () => this.offer();
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => this.connectionChanged();
    // Safari before 14.1 has no connectionState; its ICE state says nearly the same.
    if (!("connectionState" in pc)) pc.oniceconnectionstatechange = () => this.connectionChanged();
  }

  send(data) {
    if (!this.retired) this.call.send({ type: "signal", to: this.id, data });
  }

  /** Adding tracks starts a negotiation, unless it is done while answering an offer. */
  addLocalTracks() {
    window.clearTimeout(this.timers.politeWait);
    if (this.tracksAdded || this.closed) return;
    this.tracksAdded = true;
    const sent = new Set(this.pc.getSenders().map((sender) => sender.track));
    for (const track of this.call.stream.getTracks()) {
      if (track.readyState === "live" && !sent.has(track)) this.pc.addTrack(track, this.call.stream);
    }
  }

  // The polite peer gives the other side time to act first.
  patience(base = CONNECT_WITHIN_MS) {
    return this.polite ? base * 2 : base;
  }

  checkConnected() {
    if (this.closed || this.retired || this.connected) return;
    this.restartIce();
    this.timers.connect = window.setTimeout(() => this.checkConnected(), this.patience());
  }

  async offer() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.send({ description: this.pc.localDescription.toJSON() });
    } catch (error) {
      console.warn("offer", error);
    } finally {
      this.makingOffer = false;
    }
  }

  async receive({ description, candidate }) {
    const pc = this.pc;
    if (this.closed) return;
    if (description) {
      const readyForOffer =
        !this.makingOffer && (pc.signalingState === "stable" || this.settingAnswer);
      const collision = description.type === "offer" && !readyForOffer;
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      this.settingAnswer = description.type === "answer";
      await pc.setRemoteDescription(description);
      this.settingAnswer = false;
      this.retryCandidates();
      if (description.type === "offer") {
        // Our tracks join the transceivers the offer made, so the answer sends them too
        // and no second negotiation is needed.
        this.addLocalTracks();
        // Before answering, so the answer itself says "no video" in audio-only mode.
        this.applyAudioOnly();
        await pc.setLocalDescription();
        this.send({ description: pc.localDescription.toJSON() });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch {
        // Early, or for an offer we ignored. Its ICE credentials may still be the ones of
        // the next description (a rolled-back offer keeps them): try again after it.
        if (this.laterCandidates.length < KEPT_CANDIDATES) this.laterCandidates.push(candidate);
      }
    }
  }

  retryCandidates() {
    for (const candidate of this.laterCandidates.splice(0)) {
      this.pc.addIceCandidate(candidate).catch(() => {});
    }
  }

  videoTransceivers() {
    return this.pc
      .getTransceivers()
      .filter((t) => t.receiver.track && t.receiver.track.kind === "video" && !t.stopped);
  }

  applyAudioOnly() {
    if (this.closed) return;
    for (const transceiver of this.videoTransceivers()) {
      const wanted = this.call.audioOnly ? "inactive" : "sendrecv";
      if (transceiver.direction !== wanted && transceiver.direction !== "stopped") {
        transceiver.direction = wanted;
      }
    }
  }

  async sendVideo(track) {
    if (this.closed) return;
    const transceiver = this.videoTransceivers()[0];
    if (!transceiver) {
      if (track) this.pc.addTrack(track, this.call.stream);
      return;
    }
    await transceiver.sender.replaceTrack(track);
    if (track && transceiver.sender.setStreams) transceiver.sender.setStreams(this.call.stream);
    if (track && !this.call.audioOnly && transceiver.direction !== "sendrecv") {
      transceiver.direction = "sendrecv";
    }
  }

  connectionChanged() {
    const state = this.pc.connectionState || this.pc.iceConnectionState;
    window.clearInterval(this.timers.disconnected);
    if (state === "connected" || state === "completed") {
      this.connected = true;
      this.capBitrate();
      // For the call's record (joined, admitted, connected...): media flows.
      if (!this.reportedConnected && !this.retired) {
        this.reportedConnected = true;
        this.call.send({ type: "connected" });
      }
      this.call.replaced(this);
    } else if (state === "failed") {
      this.connected = false;
      // Both sides see it fail; if both restarted at once the offers would collide.
      window.clearTimeout(this.timers.failed);
      this.timers.failed = window.setTimeout(() => {
        const now = this.pc.connectionState || this.pc.iceConnectionState;
        if (now === "failed" || now === "disconnected") this.restartIce();
      }, this.polite ? DISCONNECTED_RESTART_MS : 0);
    } else if (state === "disconnected") {
      this.watchDisconnected();
    } else if (state === "closed") {
      this.connected = false;
    }
    this.call.emit("peers");
  }

  // "disconnected" often heals by itself within seconds; restart only if media stopped.
  async watchDisconnected() {
    let last = await this.inboundBytes();
    let flowingAt = Date.now();
    this.timers.disconnected = window.setInterval(async () => {
      const state = this.pc.connectionState || this.pc.iceConnectionState;
      if (state !== "disconnected") {
        window.clearInterval(this.timers.disconnected);
        return;
      }
      const now = await this.inboundBytes();
      if (now > last) {
        last = now;
        flowingAt = Date.now();
      } else if (Date.now() - flowingAt >= this.patience(DISCONNECTED_RESTART_MS)) {
        window.clearInterval(this.timers.disconnected);
        this.restartIce();
      }
    }, 1000);
  }

  restartIce() {
    if (this.closed || this.retired) return;
    this.call.emit("restarting", this.id);
    if (this.pc.restartIce) {
      this.pc.restartIce();
      return;
    }
    // Browsers before restartIce(): an offer that asks for new ICE credentials.
    this.pc
      .createOffer({ iceRestart: true })
      .then((offer) => this.pc.setLocalDescription(offer))
      .then(() => this.send({ description: this.pc.localDescription.toJSON() }))
      .catch((error) => console.warn("ice restart", error));
  }

  capBitrate() {
    if (this.bitrateCapped) return;
    this.bitrateCapped = true;
    for (const sender of this.pc.getSenders()) {
      if (!sender.track || sender.track.kind !== "video" || !sender.getParameters) continue;
      const parameters = sender.getParameters();
      if (!parameters.encodings || parameters.encodings.length === 0) continue;
      parameters.encodings[0].maxBitrate = VIDEO_MAX_BITRATE;
      sender.setParameters(parameters).catch(() => {});
    }
  }

  // Whether the other person's picture is moving. A remote track's "muted" flag is not
  // reliable for this in Chrome, and a camera turned off sends nothing at all.
  watchVideo() {
    let last = 0;
    this.timers.video = window.setInterval(async () => {
      const frames = await this.framesDecoded();
      const flowing = frames > last;
      last = frames;
      if (flowing !== this.videoFlowing) {
        this.videoFlowing = flowing;
        this.call.emit("peers");
      }
    }, 1000);
  }

  /** Keep the old connection while media still arrives; close it once it stops. */
  retire() {
    this.retired = true;
    let last = -1;
    let flowingAt = Date.now();
    const since = Date.now();
    this.timers.retired = window.setInterval(async () => {
      const state = this.pc.connectionState || this.pc.iceConnectionState;
      const now = await this.inboundBytes();
      if (now > last) {
        last = now;
        flowingAt = Date.now();
      }
      if (
        state === "failed" ||
        state === "closed" ||
        Date.now() - flowingAt >= RETIRED_IDLE_MS ||
        Date.now() - since >= RETIRED_AT_MOST_MS
      ) {
        this.close();
      }
    }, 1000);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    Object.values(this.timers).forEach((t) => {
      window.clearInterval(t);
      window.clearTimeout(t);
    });
    this.remoteStream.getTracks().forEach((t) => t.stop());
    this.pc.close();
    this.call.forget(this);
  }

  async stats() {
    if (this.closed) return new Map();
    try {
      return await this.pc.getStats();
    } catch {
      return new Map();
    }
  }

  async inboundBytes() {
    let total = 0;
    (await this.stats()).forEach((r) => {
      if (r.type === "inbound-rtp") total += r.bytesReceived || 0;
    });
    return total;
  }

  async framesDecoded() {
    let total = 0;
    (await this.stats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") total += r.framesDecoded || 0;
    });
    return total;
  }

  /** The candidate types of the pair in use, e.g. {local: "relay", remote: "host"}. */
  async candidatePair() {
    const stats = await this.stats();
    let pair = null;
    stats.forEach((r) => {
      if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    });
    if (!pair) {
      stats.forEach((r) => {
        if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated) pair = r;
      });
    }
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return {
      peer: this.id,
      local: local ? local.candidateType : null,
      remote: remote ? remote.candidateType : null,
    };
  }
}

/** What tests may read (window.vrCall): a frozen view, nothing that changes the call. */
export function exposeForTests(call) {
  const view = Object.freeze({
    get state() {
      return call.state;
    },
    get peerId() {
      return call.peerId;
    },
    get peers() {
      return new Map(
        [...call.peers].map(([id, p]) => [
          id,
          Object.freeze({ role: p.role, guestRole: p.guestRole, connected: p.connected }),
        ]),
      );
    },
    framesDecoded: () => call.framesDecoded(),
    candidatePairs: () => call.candidatePairs(),
  });
  Object.defineProperty(window, "vrCall", { value: view, configurable: false, writable: false });
}
