import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** One ink sample: x, y in board units, pressure in [0, 1] (0.5 when the device has none). */
export interface InkPoint {
  x: number;
  y: number;
  pressure: number;
}

/** Coordinates are stored in quarter units: sub-pixel enough for smoothing, small enough for 1-byte deltas. */
export const INK_QUANTUM = 4;
/** Largest number of points one stroke may hold. */
export const MAX_INK_POINTS = 10_000;
const FORMAT_VERSION = 1;
const FLAG_PRESSURE = 1;

/**
 * Encode a stroke into one compact byte array: quantized coordinates as zig-zag varint deltas
 * (most deltas fit in one byte) and an optional pressure byte per point. One Yjs item per stroke,
 * not one per point, keeps boards of thousands of strokes small and fast to load.
 */
export function encodeInk(points: ReadonlyArray<{ x: number; y: number; pressure?: number }>): Uint8Array {
  if (points.length > MAX_INK_POINTS) throw new RangeError(`a stroke holds at most ${MAX_INK_POINTS} points`);
  const hasPressure = points.some((p) => p.pressure !== undefined && p.pressure !== 0.5);
  const enc = encoding.createEncoder();
  encoding.writeUint8(enc, FORMAT_VERSION);
  encoding.writeUint8(enc, hasPressure ? FLAG_PRESSURE : 0);
  encoding.writeVarUint(enc, points.length);
  let px = 0;
  let py = 0;
  for (const p of points) {
    const qx = Math.round(p.x * INK_QUANTUM);
    const qy = Math.round(p.y * INK_QUANTUM);
    encoding.writeVarInt(enc, qx - px);
    encoding.writeVarInt(enc, qy - py);
    if (hasPressure) encoding.writeUint8(enc, Math.max(0, Math.min(255, Math.round((p.pressure ?? 0.5) * 255))));
    px = qx;
    py = qy;
  }
  return encoding.toUint8Array(enc);
}

/** Decode {@link encodeInk} output. Throws on malformed input; callers validating remote content catch it. */
export function decodeInk(data: Uint8Array): InkPoint[] {
  const dec = decoding.createDecoder(data);
  const version = decoding.readUint8(dec);
  if (version !== FORMAT_VERSION) throw new Error(`unknown ink format ${version}`);
  const flags = decoding.readUint8(dec);
  const count = decoding.readVarUint(dec);
  if (count > MAX_INK_POINTS) throw new Error(`too many points (${count})`);
  // Each point needs at least two bytes: reject counts the payload cannot hold before allocating.
  if (count * 2 > data.length) throw new Error('point count exceeds payload');
  const hasPressure = (flags & FLAG_PRESSURE) !== 0;
  const out: InkPoint[] = new Array(count);
  let qx = 0;
  let qy = 0;
  for (let i = 0; i < count; i++) {
    qx += decoding.readVarInt(dec);
    qy += decoding.readVarInt(dec);
    const pressure = hasPressure ? decoding.readUint8(dec) / 255 : 0.5;
    if (dec.pos > data.length || !Number.isFinite(qx) || !Number.isFinite(qy)) throw new Error('truncated or overflowing points');
    out[i] = { x: qx / INK_QUANTUM, y: qy / INK_QUANTUM, pressure };
  }
  if (decoding.hasContent(dec)) throw new Error('trailing bytes after points');
  return out;
}
