// A client that stops reading must not slow the producer or other clients, and must be told what it
// missed. Real gRPC over loopback: the slow client pauses its stream, so HTTP/2 flow control stops
// the server's writes and the client's bounded buffer overflows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi } from '../../../src/api/index.js';
import type { Alert } from '../../../src/alert/types.js';
import { TestAlertSource } from '../../helpers/alert-source.js';
import { clients, collect, waitFor } from '../../helpers/grpc-client.js';

const TOTAL = 5000;
const BUFFER = 500;

function alert(i: number): Alert {
  return {
    Timestamp: 1764312000 + i,
    UpdatedTime: '2025-11-28T06:40:00.000000Z',
    ClusterName: 'default',
    HostName: 'node-1',
    NamespaceName: 'wordpress-mysql',
    PPID: 1,
    UID: 0,
    PolicyName: 'harden-mysql-file-integrity-monitoring',
    Type: 'MatchedPolicy',
    Operation: 'File',
    // Large enough that a few hundred fill HTTP/2's flow-control windows.
    Resource: `/sbin/file-${i}-${'x'.repeat(400)}`,
    Source: '/usr/bin/touch file',
    Action: 'Block',
    Result: 'Permission denied',
  };
}

// Both writers: the pipelined default and grpc-js's own stream writes (the fallback).
for (const writer of ['pipelined', 'stream'] as const) {
  test(`a slow client misses alerts, is told how many, and slows nobody else (${writer} writer)`, async (t) => {
    const source = new TestAlertSource();
    const api = await startApi(
      { grpc: { address: '127.0.0.1:0', healthAddress: false, bufferSize: BUFFER, writer }, http: false },
      { alerts: source },
    );
    t.after(() => api.close());
    const fastC = clients(api.grpc!.address);
    const slowC = clients(api.grpc!.address);
    t.after(() => {
      fastC.close();
      slowC.close();
    });
    const fast = collect(fastC.log, 'WatchAlerts', 'all');
    const slow = collect(slowC.log, 'WatchAlerts', 'all');
    await waitFor(() => api.grpc!.hub.clientCount() === 2, 'two clients');
    slow.call.pause();

    // The producer emits in bursts (as sensor batches arrive) and the event loop does I/O between
    // them. A burst stays under the buffer size: what a client absorbs between two turns of the loop.
    let emitted = 0;
    while (emitted < TOTAL) {
      for (let k = 0; k < 25 && emitted < TOTAL; k++) source.emit(alert(emitted++));
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(emitted, TOTAL, 'every emit returned');

    // The fast client gets everything, in order, while the slow one is still paused.
    await waitFor(
      () => fast.messages.length === TOTAL,
      `fast client to receive ${TOTAL} (got ${fast.messages.length})`,
      30_000,
    );
    assert.deepEqual(
      fast.messages.map((m) => m.Timestamp),
      Array.from({ length: TOTAL }, (_, i) => 1764312000 + i),
    );
    assert.ok(
      fast.messages.every((m) => m.Type === 'MatchedPolicy'),
      'fast client got no drop notice',
    );

    // The server holds at most BUFFER messages for the slow client.
    assert.ok(api.grpc!.hub.depth() <= BUFFER + 1, `server buffer bounded (depth ${api.grpc!.hub.depth()})`);

    slow.call.resume();
    const notice = (): Record<string, unknown> | undefined =>
      slow.messages.find((m) => m.Type === 'SystemEvent');
    await waitFor(() => notice() !== undefined, 'the missed-alerts notice', 30_000);
    await new Promise((r) => setTimeout(r, 200));
    const n = notice()!;
    const missed = Number(/missed=(\d+)/.exec(String(n.Data))?.[1]);
    const delivered = slow.messages.filter((m) => m.Type === 'MatchedPolicy').length;
    assert.ok(missed > 0, 'the slow client missed some');
    assert.equal(delivered + missed, TOTAL, `delivered ${delivered} + missed ${missed} = ${TOTAL}`);
    assert.equal(n.Operation, 'MissedAlerts');
    assert.equal((n.EventData as Record<string, string>).Missed, String(missed));
    assert.match(String(n.Message), new RegExp(`^${missed} alerts were not sent`));
    // What it did receive is in order, and the notice comes after the alerts it was missing.
    const stamps = slow.messages.filter((m) => m.Type === 'MatchedPolicy').map((m) => Number(m.Timestamp));
    assert.deepEqual(
      stamps,
      [...stamps].sort((a, b) => a - b),
    );
    assert.equal(slow.messages.indexOf(n), slow.messages.length - 1);

    // Drops are counted in the metrics, by cause and sink.
    const text = await api.metrics.render();
    assert.match(text, new RegExp(`bulwark_drops_total\\{cause="slow-client",sink="grpc"\\} ${missed}\\b`));

    // Once it has room again, the slow client is an ordinary client.
    source.emit(alert(TOTAL));
    await waitFor(
      () => slow.messages.length > 0 && slow.messages.at(-1)!.Timestamp === 1764312000 + TOTAL,
      'a new alert after the notice',
    );
    fast.call.cancel();
    slow.call.cancel();
  });
}
