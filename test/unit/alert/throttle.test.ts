import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertThrottle, workloadKey } from '../../../src/alert/throttle.js';
import type { Alert } from '../../../src/alert/types.js';
import { seedAlert } from '../../helpers/alerts.js';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('KubeArmor defaults: 10 alerts/s pass, the 11th trips one AlertThreshold, then 30 s of drops, counted', () => {
  const c = clock();
  const th = new AlertThrottle({ now: c.now });
  const a = seedAlert();
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(th.admit(a), { pass: true }, `alert ${i + 1} passes`);
    c.advance(50);
  }
  const trip = th.admit(a);
  assert.equal(trip.pass, false);
  assert.ok(trip.threshold, 'the tripping alert yields a threshold alert');
  assert.equal(trip.threshold.Type, 'SystemEvent');
  assert.equal(trip.threshold.Operation, 'AlertThreshold');
  assert.equal(trip.threshold.MaxAlertsPerSec, 10);
  assert.equal(trip.threshold.DroppingAlertsInterval, 30);
  assert.equal(trip.threshold.ContainerID, a.ContainerID);
  assert.equal(trip.threshold.NamespaceName, 'wordpress-mysql');
  assert.equal(trip.threshold.PolicyName, undefined);

  // 29.9 s of drops: every one counted, no second threshold alert.
  let dropped = 1;
  for (let t = 0; t < 299; t++) {
    c.advance(100);
    const d = th.admit(a);
    assert.equal(d.pass, false);
    assert.equal(d.threshold, undefined);
    dropped++;
  }
  assert.equal(th.stats().suppressed, dropped);
  assert.deepEqual(th.stats().workloads, [
    { workload: a.ContainerID, suppressed: dropped, trips: 1, throttled: true },
  ]);

  // After 30 s from the trip the workload passes again, and the window's drop count is reported.
  c.advance(600);
  const back = th.admit(a);
  assert.equal(back.pass, true);
  assert.deepEqual(back.resumed, { workload: a.ContainerID, suppressed: dropped });
  const s = th.stats();
  assert.equal(s.passed, 11);
  assert.equal(s.trips, 1);
  assert.equal(s.workloads[0].throttled, false);
});

test('a steady 10/s never trips; windows are per second', () => {
  const c = clock();
  const th = new AlertThrottle({ now: c.now });
  for (let i = 0; i < 300; i++) {
    assert.equal(th.admit(seedAlert()).pass, true, `alert ${i}`);
    c.advance(100);
  }
  assert.equal(th.stats().suppressed, 0);
});

test('workloads are throttled independently; SystemEvents and disabled throttles always pass', () => {
  const c = clock();
  const th = new AlertThrottle({ now: c.now, maxPerSec: 2, throttleSec: 5 });
  const a = seedAlert();
  const b: Alert = { ...seedAlert(), ContainerID: 'f'.repeat(64) };
  th.admit(a);
  th.admit(a);
  assert.equal(th.admit(a).pass, false);
  assert.equal(th.admit(b).pass, true);
  assert.equal(th.admit({ ...a, Type: 'SystemEvent', Operation: 'AlertThreshold' }).pass, true);
  const off = new AlertThrottle({ now: c.now, enabled: false, maxPerSec: 1 });
  for (let i = 0; i < 50; i++) assert.equal(off.admit(a).pass, true);
  assert.equal(off.stats().suppressed, 0);
});

test('workload keys: container, then namespace/pod, then host', () => {
  const a = seedAlert();
  assert.equal(workloadKey(a), a.ContainerID);
  assert.equal(workloadKey({ ...a, ContainerID: undefined }), 'wordpress-mysql/mysql-74775b4bf4-65nqf');
  assert.equal(
    workloadKey({ ...a, ContainerID: undefined, PodName: undefined, NamespaceName: undefined }),
    'host:aditya',
  );
});
