import { MESSAGE_SIGNED_CONTROL } from '../protocol/messageTypes.js';
import type { ClassNetwork, NetworkChannel } from '../provider/network.js';
import { decodeSignedControl, readSignedControl, type ControlBodies, type ControlKind } from './control.js';
import type { ControlState } from './controlState.js';

/**
 * Signed control statements on the network (peer message 19). The control map in the document carries them too,
 * but a doc update waits behind other sync; the channel delivers a teacher's action at once. Receivers verify
 * every statement (asynchronously, through {@link ControlState.ingest}) and forward well-formed containers unchanged.
 */
export class ControlChannel {
  readonly #control: ControlState;
  readonly #channel: NetworkChannel;

  constructor(network: ClassNetwork, control: ControlState) {
    this.#control = control;
    this.#channel = network.channel(MESSAGE_SIGNED_CONTROL, (payload, { origin }) => {
      // Only well-formed containers travel on; the signature check is async and done by every receiver anyway.
      if (decodeSignedControl(payload) === null) return 'drop';
      void control.ingest(Uint8Array.from(payload), origin);
      return 'forward';
    });
  }

  /** Signs a statement with the teacher key, writes it into the control map and sends it to every peer. */
  async issue<K extends ControlKind>(kind: K, body: ControlBodies[K]): Promise<void> {
    const bytes = await this.#control.issue(kind, body);
    this.#channel.broadcast(bytes);
  }

  /** Sends statement bytes that are already signed, unchanged (relaying; tests use it to play a forger). */
  send(signed: Uint8Array): void {
    this.#channel.broadcast(signed);
  }

  /**
   * Re-sends the held statements of one kind, unchanged. A keeper re-sends the teacher's trust in it when peers join:
   * a late joiner accepts others' content from the keeper only once it holds that statement, and the statement
   * itself would otherwise come inside the refused content.
   */
  resend(kind: ControlKind): void {
    for (const bytes of this.#control.signedStatements()) if (readSignedControl(bytes)?.kind === kind) this.#channel.broadcast(bytes);
  }

  /** Stops sending and receiving control messages. */
  close(): void {
    this.#channel.close();
  }
}
