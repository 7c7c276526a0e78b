/**
 * The keeper's WebRTC implementation: @roamhq/wrtc.
 *
 * Chosen by `npm run bench:soak` (bench/wrtcSoak.ts), which closes connections at random moments — before the
 * offer, mid-negotiation, inside the implementation's own callbacks, after connecting, and at process exit. Both
 * @roamhq/wrtc and node-datachannel finished 2 × 1,000 cycles without a crash there, so the tie was broken by
 * what a keeper needs besides not crashing: node-datachannel's `polyfill` does not behave like a W3C
 * RTCPeerConnection where our perfect-negotiation transport depends on it (libdatachannel negotiates on its own
 * when a channel is created, so the offer exists before `negotiationneeded` is handled; `remoteDescription` is
 * never null, so early candidates are applied before the offer and refused; `setLocalDescription()` for an answer
 * does nothing; `createOffer()` returns one promise for the connection's lifetime, so no renegotiation or ICE
 * restart). Over the real relay two of its peers never connected (checked by hand). @roamhq/wrtc connects as
 * browsers do, ran the soak 4–6× faster and never missed a connect (node-datachannel missed 3 of 241 in one run).
 * The repository's tests already run Node peers on it.
 */
import type { RtcImplementation } from '../transport/peerConnection.js';

/**
 * Loads @roamhq/wrtc. Imported lazily so a missing optional peer dependency fails with an instruction instead of
 * an import error, and so merely importing the keeper module starts no native threads.
 */
export async function loadKeeperRtc(): Promise<RtcImplementation> {
  try {
    const wrtc = (await import('@roamhq/wrtc')).default as unknown as RtcImplementation;
    return { RTCPeerConnection: wrtc.RTCPeerConnection };
  } catch (error) {
    throw new Error(`cannot load WebRTC for Node (@roamhq/wrtc): ${(error as Error).message}. Install it next to peerclass: npm i @roamhq/wrtc`);
  }
}
