// Stream sink: alerts rendered as karmor text, JSON lines or pretty JSON to a writable stream
// (process.stdout by default). Honors backpressure (a batch completes when the stream took it);
// a stream error such as EPIPE (reader gone) fails the batch, which the runner counts and retries
// later, instead of crashing the process.
import type { Writable } from 'node:stream';
import type { Alert } from '../alert/types.js';
import { type AlertFormat, formatAlert } from '../alert/format.js';
import type { SinkBackend } from './types.js';

export interface StreamSinkOptions {
  format?: AlertFormat;
  /** Default process.stdout. */
  stream?: Writable;
  name?: string;
}

export class StreamSink implements SinkBackend {
  readonly name: string;
  private readonly format: AlertFormat;
  private readonly stream: Writable;
  private error: (Error & { code?: string }) | undefined;
  private readonly onError = (e: Error): void => {
    this.error = e;
  };

  constructor(opts: StreamSinkOptions = {}) {
    this.name = opts.name ?? 'stdout';
    this.format = opts.format ?? 'text';
    this.stream = opts.stream ?? process.stdout;
    // Without a listener an EPIPE on stdout is an uncaught exception.
    this.stream.on('error', this.onError);
  }

  async open(): Promise<void> {
    if (this.error) throw this.error;
    if (this.stream.destroyed || this.stream.writableEnded) {
      throw Object.assign(new Error(`${this.name} stream is closed`), { code: 'EPIPE' });
    }
  }

  write(batch: readonly Alert[]): Promise<void> {
    let chunk = '';
    for (const a of batch) chunk += formatAlert(a, this.format);
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error);
      if (this.stream.destroyed) {
        return reject(Object.assign(new Error(`${this.name} stream is closed`), { code: 'EPIPE' }));
      }
      this.stream.write(chunk, (e) => (e ? reject(e) : resolve()));
    });
  }

  async close(): Promise<void> {
    // The stream belongs to the caller; only stop listening once it is gone for good.
    if (this.stream.destroyed) this.stream.off('error', this.onError);
  }
}
