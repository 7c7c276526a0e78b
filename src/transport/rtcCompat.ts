/**
 * Differences between WebRTC implementations (browsers, @roamhq/wrtc) that negotiation must paper over, and the
 * conversion of their objects into peer-signal wire shapes.
 */
import type { DescriptionSignal, SignalCandidate } from '../protocol/peerSignals.js';
import { TransportError } from './errors.js';

/**
 * `setLocalDescription()` without arguments, falling back for good to explicit createOffer/createAnswer on
 * implementations (e.g. @roamhq/wrtc) that still require a description.
 */
export class LocalDescriptions {
  private readonly pc: RTCPeerConnection;
  /** False once the implementation showed it needs explicit descriptions. */
  private implicit = true;

  /** Wraps one connection. */
  constructor(pc: RTCPeerConnection) {
    this.pc = pc;
  }

  /**
   * Sets a new local offer or answer.
   * @throws {TransportError} `wrong-signaling-state` when the connection is (or moved) out of the state the description needs.
   */
  async set(kind: 'offer' | 'answer'): Promise<void> {
    const pc = this.pc;
    if (this.implicit) {
      try {
        await pc.setLocalDescription();
        return;
      } catch (error) {
        // Only a TypeError means "arguments required"; anything else is a real failure.
        if (!(error instanceof TypeError) && !/expected an object/i.test(String(error))) throw error;
        this.implicit = false;
      }
    }
    const expected = kind === 'offer' ? 'stable' : 'have-remote-offer';
    if (pc.signalingState !== expected) throw new TransportError('wrong-signaling-state', `cannot create an ${kind} in state ${pc.signalingState}`);
    const description = kind === 'offer' ? await pc.createOffer() : await pc.createAnswer();
    // The state may have moved while the description was being created (a remote offer arrived).
    if (pc.signalingState !== expected) throw new TransportError('wrong-signaling-state', `state moved to ${pc.signalingState} while creating an ${kind}`);
    await pc.setLocalDescription(description);
  }
}

/** The connection's local description as a signal, or null when there is none to send (or of a kind never sent). */
export function localDescriptionSignal(pc: RTCPeerConnection): DescriptionSignal | null {
  const description = pc.localDescription;
  if (description === null || (description.type !== 'offer' && description.type !== 'answer')) return null;
  return { description: { type: description.type, sdp: description.sdp } };
}

/** An ICE candidate in its wire shape (not every implementation has `toJSON()`). */
export function candidateToSignal(candidate: RTCIceCandidate): SignalCandidate {
  const init = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate;
  const out: SignalCandidate = { candidate: init.candidate ?? '' };
  if (init.sdpMid !== undefined) out.sdpMid = init.sdpMid;
  if (init.sdpMLineIndex !== undefined) out.sdpMLineIndex = init.sdpMLineIndex;
  if (init.usernameFragment !== undefined) out.usernameFragment = init.usernameFragment;
  return out;
}
