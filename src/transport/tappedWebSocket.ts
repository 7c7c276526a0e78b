import type { WebSocketConstructorLike, WebSocketLike } from './relaySocket.js';

/**
 * Wraps a WebSocket constructor so that every text frame is also shown to `tap` before the {@link RelaySocket}
 * reads it. The relay socket's decoder passes over message types it does not know (such as `sfu`), so the client
 * reads those here. A socket the relay socket let go (its `onmessage` cleared) taps nothing.
 */
export function tappedWebSocket(Inner: WebSocketConstructorLike, tap: (text: string) => void): WebSocketConstructorLike {
  type On = WebSocketLike['onopen'];
  return class TappedWebSocket implements WebSocketLike {
    private readonly inner: WebSocketLike;
    private messageHandler: WebSocketLike['onmessage'] = null;
    constructor(url: string) { this.inner = new Inner(url); }
    get readyState(): number { return this.inner.readyState; }
    send(data: string): void { this.inner.send(data); }
    close(code?: number, reason?: string): void { this.inner.close(code, reason); }
    get onopen(): On { return this.inner.onopen; } set onopen(handler: On) { this.inner.onopen = handler; }
    get onclose(): On { return this.inner.onclose; } set onclose(handler: On) { this.inner.onclose = handler; }
    get onerror(): On { return this.inner.onerror; } set onerror(handler: On) { this.inner.onerror = handler; }
    get onmessage(): WebSocketLike['onmessage'] { return this.messageHandler; }
    set onmessage(handler: WebSocketLike['onmessage']) {
      this.messageHandler = handler;
      this.inner.onmessage = handler === null ? null : (event) => {
        if (typeof event.data === 'string') { try { tap(event.data); } catch { /* a tap never breaks the relay socket */ } }
        handler(event);
      };
    }
  };
}
