/**
 * The engine's end of a Node environment's frame socket (the child's fd 3, see frames.ts): frames
 * go down batched per turn of the event loop where they may wait, and come up as messages. A
 * process that writes something that is not a frame breaks the channel: it cannot be trusted any more.
 */
import type { Socket } from 'node:net';
import { hasCode } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { encodeFrame, FrameReader } from './frames.js';
import { type ChildMessage, MAX_CHILD_FRAME_BYTES, type ParentMessage } from './protocol.js';
import { INVALID_FRAME } from './run-errors.js';

/** What the channel tells its environment. */
export interface ChannelEvents {
  message: (message: ChildMessage) => void;
  /** The process wrote something that is not a frame; nothing more is read from it. */
  broken: (err: Error) => void;
}

/** The frame socket of one environment; see the module comment. */
export class EnvironmentChannel {
  #socket: Socket | undefined;
  /**
   * Frames not written yet: those sent before the launcher handed the socket over (a process
   * started for its first run), and those sent in this turn of the event loop (see send).
   */
  #outbox: Buffer[] = [];
  #flushing = false;
  #reader: FrameReader<ChildMessage> | undefined;
  /** Chunks read so far (see caughtUp). */
  #reads = 0;
  #events: ChannelEvents;
  #log: Logger;
  #environmentId: string;

  constructor(environmentId: string, log: Logger, events: ChannelEvents) {
    this.#environmentId = environmentId;
    this.#log = log;
    this.#events = events;
  }

  /**
   * Writes a message to the process. A frame for a busy environment (`batch`: a queued run, which
   * cannot start before the running one ends anyway) waits for the end of this turn of the event
   * loop, so the runs a busy server hands one environment in one turn reach it in one write and one
   * wake-up; any other frame leaves at once (behind those, in order).
   */
  send(message: ParentMessage, batch = false): void {
    let frame: Buffer;
    if (message.t === 'invoke') {
      const { p, ...header } = message;
      frame = encodeFrame(header, p);
    } else frame = encodeFrame(message);
    this.#outbox.push(frame);
    if (!this.#socket) return;
    if (!batch) this.#flush();
    else if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Starts reading the bootstrap's frames from `socket` and writes what waited for it. */
  open(socket: Socket): void {
    this.#socket = socket;
    this.#flush();
    const reader = new FrameReader<ChildMessage>(this.#events.message, MAX_CHILD_FRAME_BYTES);
    this.#reader = reader;
    let broken = false;
    socket.on('data', (chunk: Buffer) => {
      this.#reads += 1;
      if (broken) return;
      try {
        reader.push(chunk);
      } catch (err) {
        if (!hasCode(err, INVALID_FRAME)) throw err;
        broken = true;
        this.#events.broken(err as Error);
      }
    });
    // A write to a process that just died fails with EPIPE; its exit is reported by 'close'.
    socket.on('error', (err) =>
      this.#log.debug('environment channel failed', { environment: this.#environmentId, err }),
    );
  }

  /**
   * Calls `then` once every frame the process wrote before now has been read and handled: after a
   * poll of the socket (between two turns' immediates) that found nothing more to read. `then` gets
   * false when a frame is still partly read (the rest is on its way).
   */
  caughtUp(then: (whole: boolean) => void): void {
    // The first immediate may run right after this turn's poll; the second runs after the next one.
    setImmediate(() => {
      const reads = this.#reads;
      setImmediate(() => {
        if (this.#reads !== reads) this.caughtUp(then);
        else then(!this.#reader?.partial);
      });
    });
  }

  /** Writes the frames not written yet, in one write. */
  #flush(): void {
    this.#flushing = false;
    const frames = this.#outbox;
    if (frames.length === 0 || !this.#socket) return;
    this.#outbox = [];
    this.#socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }
}
