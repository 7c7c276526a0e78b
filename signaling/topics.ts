/**
 * Which local connections listen on which topic. Generic over the connection type so it can be
 * tested without sockets. Empty topics are removed at once, so a relay's memory follows its live rooms.
 */
export class TopicRegistry<C> {
  private readonly subscribers = new Map<string, Set<C>>();
  private readonly topicsOf = new Map<C, Set<string>>();

  constructor(private readonly hooks: { onTopicOpened?(topic: string): void; onTopicClosed?(topic: string): void } = {}) {}

  get topicCount(): number { return this.subscribers.size; }

  subscribersOf(topic: string): ReadonlySet<C> | undefined { return this.subscribers.get(topic); }

  topicsOfConnection(connection: C): ReadonlySet<string> { return this.topicsOf.get(connection) ?? new Set(); }

  /** Adds the subscription; returns false when it was already there. */
  subscribe(connection: C, topic: string): boolean {
    let set = this.subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(topic, set);
      this.hooks.onTopicOpened?.(topic);
    }
    if (set.has(connection)) return false;
    set.add(connection);
    let mine = this.topicsOf.get(connection);
    if (mine === undefined) this.topicsOf.set(connection, (mine = new Set()));
    mine.add(topic);
    return true;
  }

  unsubscribe(connection: C, topic: string): void {
    const set = this.subscribers.get(topic);
    if (set?.delete(connection) === true && set.size === 0) {
      this.subscribers.delete(topic);
      this.hooks.onTopicClosed?.(topic);
    }
    const mine = this.topicsOf.get(connection);
    if (mine !== undefined) {
      mine.delete(topic);
      if (mine.size === 0) this.topicsOf.delete(connection);
    }
  }

  removeConnection(connection: C): void {
    for (const topic of [...this.topicsOfConnection(connection)]) this.unsubscribe(connection, topic);
  }
}
