import { EventEmitter } from 'node:events';

/**
 * A small typed publish/subscribe hub. Services publish what happened (an invocation finished, a
 * job made progress); the SSE endpoint, the CLI and the dashboard subscribe. Listeners must not
 * throw; a slow listener never blocks the publisher beyond its own synchronous work.
 */
export class Topic<T> {
  #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(value: T): void {
    this.#emitter.emit('v', value);
  }

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: (value: T) => void): () => void {
    this.#emitter.on('v', listener);
    return () => this.#emitter.off('v', listener);
  }

  get listenerCount(): number {
    return this.#emitter.listenerCount('v');
  }
}
