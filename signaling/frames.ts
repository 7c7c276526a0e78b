import type { Socket } from 'node:net';
import * as ws from 'ws';
import type { WebSocket } from 'ws';

interface FrameOptions { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
// ws exports its frame builder (Sender.frame, documented public in ws's source); @types/ws does not declare the static.
const buildFrame = ((ws as unknown as { Sender: unknown }).Sender as { frame(data: Buffer, options: FrameOptions): Buffer[] }).frame;

/**
 * A complete unmasked text frame (header and payload in one buffer), built once per publish so that
 * fan-out to N receivers costs N socket writes and nothing else: no per-receiver framing, copying or cork/uncork.
 */
export function encodeTextFrame(payload: Buffer): Buffer {
  return Buffer.concat(buildFrame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
}

/**
 * Writes a frame from `encodeTextFrame` straight to the connection's TCP socket. Safe because the relay
 * disables permessage-deflate: ws then writes every frame synchronously, so nothing of its own can be
 * half-written on the socket. Falls back to `ws.send` if ws's internals ever change shape.
 */
export function sendPrebuiltFrame(socket: WebSocket, frame: Buffer, payload: Buffer): void {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  if (raw === undefined || typeof raw.write !== 'function' || !raw.writable) {
    socket.send(payload, { binary: false });
    return;
  }
  // Signaling is bursty (an offer, then a run of ICE candidates): frames for one socket produced in the same
  // tick leave in one write instead of one syscall each.
  if (!corked.has(raw)) {
    raw.cork();
    corked.add(raw);
    if (corked.size === 1) process.nextTick(uncorkAll);
  }
  raw.write(frame);
}

const corked = new Set<Socket>();

function uncorkAll(): void {
  for (const raw of corked) raw.uncork();
  corked.clear();
}
