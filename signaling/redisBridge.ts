import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

const CHANNEL_PREFIX = 'peerclass:topic:';

/**
 * Shares topics between relay processes through Redis pub/sub. A relay subscribes to a topic's channel
 * only while it has local subscribers, and ignores its own publishes when they come back.
 * Wire format on Redis: `<relay id>\n<the frame exactly as sent to clients>`.
 */
export class RedisBridge {
  private readonly id = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(url: string, private readonly deliver: (topic: string, frame: Buffer) => void, onError: (error: Error) => void) {
    const options = { lazyConnect: false, maxRetriesPerRequest: null, enableOfflineQueue: true };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    this.publisher.on('error', onError);
    this.subscriber.on('error', onError);
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const newline = message.indexOf(10);
      if (newline < 0 || message.toString('utf8', 0, newline) === this.id) return;
      this.deliver(channel.toString('utf8').slice(CHANNEL_PREFIX.length), message.subarray(newline + 1));
    });
  }

  /** Resolves once both connections are ready, so a test or a starting relay knows topics are shared. */
  async ready(): Promise<void> {
    const whenReady = (r: Redis) => r.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => r.once('ready', () => resolve()));
    await Promise.all([whenReady(this.publisher), whenReady(this.subscriber)]);
  }

  open(topic: string): Promise<unknown> { return this.subscriber.subscribe(CHANNEL_PREFIX + topic); }
  close(topic: string): void { void this.subscriber.unsubscribe(CHANNEL_PREFIX + topic); }

  publish(topic: string, frame: Buffer): void {
    void this.publisher.publish(CHANNEL_PREFIX + topic, Buffer.concat([Buffer.from(this.id + '\n'), frame]));
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
  }
}
