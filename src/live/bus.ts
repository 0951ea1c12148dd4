import { EventEmitter } from 'node:events';
import type { LiveEventName, LiveEvents } from './events.js';

/** In-process, typed fan-out of live events (socket.io subscribes to it). A failing listener never stops the rest. */
export class LiveBus {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor(private readonly onListenerError: (event: string, err: unknown) => void = () => undefined) {
    this.emitter.setMaxListeners(1000);
  }

  emit<K extends LiveEventName>(event: K, payload: LiveEvents[K]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (p: LiveEvents[K]) => void)(payload);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }

  on<K extends LiveEventName>(event: K, listener: (payload: LiveEvents[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }
}
