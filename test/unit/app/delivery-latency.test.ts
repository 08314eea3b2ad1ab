import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryLatency } from '../../../src/app/delivery-latency.js';

/** Exact q-quantile (nearest rank) of a sample. */
function exact(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

test('delivery latency percentiles are within one bucket (4.4 %) above the exact value', () => {
  const d = new DeliveryLatency();
  // A long-tailed sample: mostly sub-millisecond, a tail up to seconds.
  const ages = Array.from({ length: 50_000 }, () => 0.05 + Math.exp(Math.random() * 9) / 100);
  for (let i = 0; i < ages.length; i += 1000) d.record('file', ages.slice(i, i + 1000));
  d.record('store', [3]);
  const s = d.summary();
  const sorted = [...ages].sort((a, b) => a - b);
  assert.equal(s.file.count, ages.length);
  for (const [q, got] of [
    [0.5, s.file.p50Ms],
    [0.99, s.file.p99Ms],
  ] as const) {
    const want = exact(sorted, q);
    assert.ok(got >= want - 0.001 && got <= want * 1.045 + 0.001, `q${q}: ${got} vs exact ${want}`);
  }
  assert.equal(s.file.maxMs, Math.round(sorted[sorted.length - 1] * 1000) / 1000);
  const { buckets, ...store } = s.store;
  assert.deepEqual(store, { count: 1, p50Ms: 3, p99Ms: 3, maxMs: 3 });
  // 3 ms lies in the bucket whose upper bound is the first 0.01 × 2^(i/16) above it
  const i = Number(Object.keys(buckets)[0]);
  assert.ok(0.01 * 2 ** ((i - 1) / 16) <= 3 && 3 < 0.01 * 2 ** (i / 16), `bucket ${i}`);
  assert.deepEqual(buckets, { [i]: 1 });
  assert.equal(
    Object.values(s.file.buckets).reduce((a, b) => a + b, 0),
    ages.length,
  );
});

test('ages below the smallest bucket and a clock that stepped back count, capped at the maximum', () => {
  const d = new DeliveryLatency();
  d.record('stdout', [-5, 0, 0.001]);
  assert.deepEqual(d.summary().stdout, {
    count: 3,
    p50Ms: 0.001,
    p99Ms: 0.001,
    maxMs: 0.001,
    buckets: { 0: 3 },
  });
});
