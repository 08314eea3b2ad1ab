// One streaming client's bounded buffer. push() runs on the producer's path and only appends to an
// array (or counts a miss when the buffer is full); writing to the socket happens later, in pump(),
// and stops whenever the stream asks to wait for 'drain'. So a client that stops reading costs the
// agent at most `capacity` buffered messages and never delays the producer or other clients. What
// it misses is counted, and when room returns it receives one notice with the count before
// anything newer.
import type { Outgoing } from './outgoing.js';

export interface SubscriberSink {
  /** Writes one message; false means "buffer full, wait for drain" (Node stream semantics). */
  write(msg: Outgoing): boolean;
  /** Calls `cb` once when the stream can take more. */
  onceDrain(cb: () => void): void;
}

export interface SubscriberHooks {
  /** Builds the notice sent after `missed` messages were dropped for this client. */
  notice(missed: number): Outgoing;
  dropped(n: number): void;
  sent(n: number): void;
}

export class Subscriber {
  private items: Outgoing[] = [];
  private head = 0;
  private missed = 0;
  private waiting = false;
  private scheduled = false;
  private closed = false;
  /** Messages this client missed since it connected. */
  totalMissed = 0;

  constructor(
    private readonly sink: SubscriberSink,
    private readonly capacity: number,
    private readonly hooks: SubscriberHooks,
  ) {}

  get depth(): number {
    return this.items.length - this.head;
  }

  /** Producer path: O(1), never writes to the socket, never throws. */
  push(msg: Outgoing): void {
    if (this.closed) return;
    if (this.missed > 0 && this.depth < this.capacity) this.flushNotice();
    if (this.depth < this.capacity) {
      this.items.push(msg);
    } else {
      this.missed++;
      this.totalMissed++;
      this.hooks.dropped(1);
    }
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.items = [];
    this.head = 0;
  }

  private flushNotice(): void {
    this.items.push(this.hooks.notice(this.missed));
    this.missed = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.waiting) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed || this.waiting) return;
    let sent = 0;
    for (;;) {
      if (this.depth === 0) {
        if (this.missed === 0) break;
        this.flushNotice();
      }
      const msg = this.items[this.head];
      this.items[this.head++] = undefined as unknown as Outgoing;
      sent++;
      if (!this.sink.write(msg)) {
        this.waiting = true;
        this.sink.onceDrain(() => {
          this.waiting = false;
          this.pump();
        });
        break;
      }
    }
    // Compact the array once the consumed prefix dominates it.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    } else if (this.depth === 0) {
      this.items = [];
      this.head = 0;
    }
    if (sent > 0) this.hooks.sent(sent);
  }
}
