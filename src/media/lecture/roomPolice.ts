import { kickParticipant, type VideoRoomHandle } from '../sfu/index.js';

/** How long a participant may sit in the class's SFU room before its feed must be announced by an admitted peer, ms. */
export const UNANNOUNCED_GRACE_MS = 10_000;

/**
 * The teacher's watch over the SFU room. The pin derives from the class secret, so a removed student (who still
 * has the link) could join the room again as a new participant; but every honest participant announces its feed in
 * its own presence, and a removed or never-admitted peer's presence reaches nobody. So a participant whose feed no
 * admitted peer announced within {@link UNANNOUNCED_GRACE_MS} is kicked.
 */
export class RoomPolice {
  readonly #firstSeen = new Map<number, number>();

  /**
   * Lists the room's participants and kicks those unannounced for too long. `announced` holds the feeds admitted,
   * present peers announce (the teacher's own included). Returns the kicked feed ids.
   */
  async patrol(handle: VideoRoomHandle, room: number, adminSecret: Promise<string>, announced: ReadonlySet<number>, log: (message: string) => void, now: number = Date.now()): Promise<number[]> {
    try {
      return await this.#patrol(handle, room, await adminSecret, announced, log, now);
    } catch (err) {
      log(`checking the SFU room failed: ${String(err)}`);
      return [];
    }
  }

  async #patrol(handle: VideoRoomHandle, room: number, secret: string, announced: ReadonlySet<number>, log: (message: string) => void, now: number): Promise<number[]> {
    const data = await handle.request({ request: 'listparticipants', room, secret });
    const ids = (Array.isArray(data.participants) ? data.participants as unknown[] : [])
      .map((p) => (typeof p === 'object' && p !== null ? (p as { id?: unknown }).id : undefined))
      .filter((id): id is number => typeof id === 'number' && Number.isSafeInteger(id));
    const present = new Set(ids);
    for (const id of this.#firstSeen.keys()) if (!present.has(id)) this.#firstSeen.delete(id);
    const kicked: number[] = [];
    for (const id of ids) {
      if (announced.has(id)) { this.#firstSeen.delete(id); continue; }
      const since = this.#firstSeen.get(id) ?? now;
      this.#firstSeen.set(id, since);
      if (now - since < UNANNOUNCED_GRACE_MS) continue;
      await kickParticipant(handle, room, secret, id);
      this.#firstSeen.delete(id);
      kicked.push(id);
      log(`kicked participant ${id} of the SFU room: no admitted peer announced it`);
    }
    return kicked;
  }
}
