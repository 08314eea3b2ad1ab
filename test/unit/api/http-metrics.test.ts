// The local HTTP API over real HTTP: /metrics scraped while events and alerts flow, parsed as
// Prometheus text; /healthz; /readyz following the agent's readiness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, startApi } from '../../../src/api/index.js';
import type { Alert } from '../../../src/alert/types.js';
import { TestAlertSource } from '../../helpers/alert-source.js';
import { clients, collect, waitFor } from '../../helpers/grpc-client.js';

type Samples = Map<string, number>;

/** Parses the text exposition format: `name{l="v",...} value` lines; # lines checked for TYPE. */
function parseProm(text: string): { samples: Samples; types: Map<string, string> } {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    samples.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return { samples, types };
}

async function scrape(
  url: string,
): Promise<{ samples: Samples; types: Map<string, string>; contentType: string }> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return { ...parseProm(await res.text()), contentType: res.headers.get('content-type') ?? '' };
}

const ALERT: Alert = {
  Timestamp: 1764312000,
  UpdatedTime: '2025-11-28T06:40:00.000000Z',
  ClusterName: 'default',
  HostName: 'node-1',
  PPID: 1,
  UID: 0,
  Type: 'MatchedPolicy',
  Operation: 'File',
  Resource: '/sbin/file',
  Action: 'Block',
  Result: 'Permission denied',
};

test('/metrics during a load: events, drops, queue depths, rule set, sensor, baseline, gRPC clients', async (t) => {
  const source = new TestAlertSource();
  const metrics = new Metrics();
  const api = await startApi(
    { grpc: { address: '127.0.0.1:0', healthAddress: false }, http: { address: '127.0.0.1:0' } },
    { alerts: source, metrics },
  );
  t.after(() => api.close());
  const url = api.http!.url;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const c = clients(api.grpc!.address);
  t.after(() => c.close());
  const stream = collect(c.log, 'WatchAlerts', 'all');
  await waitFor(() => api.grpc!.hub.clientCount() === 1, 'client');

  metrics.sensor('landlock');
  metrics.ruleSet('0123456789abcdef', 6, 1);
  let sinkQueue = 0;
  const unwatch = metrics.watchQueue('sink:file', () => sinkQueue);
  const ROUNDS = 20;
  const PER_ROUND = 100;
  const seen: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < PER_ROUND; i++) {
      metrics.event('write', 'block');
      metrics.event('read', 'allow', 2);
      source.emit(ALERT);
    }
    metrics.drop('queue-full', 'syslog', 3);
    sinkQueue = r;
    // Scrape in the middle of the load: counters only grow and the file is always well formed.
    const { samples } = await scrape(url);
    const blocks = samples.get('bulwark_events_total{op="write",verdict="block"}') ?? 0;
    assert.equal(blocks, (r + 1) * PER_ROUND);
    assert.equal(samples.get('bulwark_queue_depth{queue="sink:file"}'), r);
    seen.push(blocks);
  }
  metrics.baselineCheck(new Date('2025-11-28T06:00:00Z'), 'drift', 3);
  await waitFor(
    () => stream.messages.length === ROUNDS * PER_ROUND,
    `every alert streamed (${stream.messages.length}, depth ${api.grpc!.hub.depth()})`,
  );

  const { samples, types, contentType } = await scrape(url);
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  const get = (k: string): number | undefined => samples.get(k);
  assert.equal(get('bulwark_events_total{op="write",verdict="block"}'), ROUNDS * PER_ROUND);
  assert.equal(get('bulwark_events_total{op="read",verdict="allow"}'), ROUNDS * PER_ROUND * 2);
  assert.equal(get('bulwark_drops_total{cause="queue-full",sink="syslog"}'), ROUNDS * 3);
  assert.equal(get('bulwark_ruleset_info{version="0123456789abcdef"}'), 1);
  assert.equal(get('bulwark_ruleset_rules'), 6);
  assert.equal(get('bulwark_ruleset_policies'), 1);
  assert.equal(get('bulwark_sensor_info{backend="landlock"}'), 1);
  assert.equal(
    get('bulwark_baseline_last_check_timestamp_seconds'),
    Date.parse('2025-11-28T06:00:00Z') / 1000,
  );
  assert.equal(get('bulwark_baseline_last_check_result{result="drift"}'), 1);
  assert.equal(get('bulwark_baseline_last_check_result{result="clean"}'), 0);
  assert.equal(get('bulwark_baseline_last_check_changes'), 3);
  assert.equal(get('bulwark_grpc_clients{rpc="WatchAlerts"}'), 1);
  assert.equal(get('bulwark_grpc_sent_total{rpc="WatchAlerts"}'), ROUNDS * PER_ROUND);
  assert.equal(get('bulwark_queue_depth{queue="grpc"}'), 0);
  assert.equal(types.get('bulwark_events_total'), 'counter');
  assert.equal(types.get('bulwark_queue_depth'), 'gauge');
  assert.ok((get('bulwark_process_resident_memory_bytes') ?? 0) > 0, 'process metrics present');

  // A new rule set replaces the old version label; an unwatched queue disappears.
  metrics.ruleSet('fedcba9876543210', 7, 2);
  unwatch();
  const after = (await scrape(url)).samples;
  assert.equal(after.get('bulwark_ruleset_info{version="0123456789abcdef"}'), undefined);
  assert.equal(after.get('bulwark_ruleset_info{version="fedcba9876543210"}'), 1);
  assert.equal(after.get('bulwark_queue_depth{queue="sink:file"}'), undefined);
  stream.call.cancel();
});

test('/healthz answers while the process runs; /readyz follows readiness', async (t) => {
  let state: boolean | { ready: boolean; reason?: string } = false;
  const api = await startApi(
    { grpc: false, http: { address: '127.0.0.1:0' } },
    { alerts: new TestAlertSource(), ready: () => state },
  );
  t.after(() => api.close());
  const get = async (p: string): Promise<[number, unknown]> => {
    const res = await fetch(`${api.http!.url}${p}`);
    return [res.status, await res.json()];
  };
  assert.deepEqual(await get('/healthz'), [200, { status: 'ok' }]);
  assert.deepEqual(await get('/readyz'), [503, { status: 'not ready', reason: 'the agent is not ready' }]);
  state = { ready: false, reason: 'sensor not attached' };
  assert.deepEqual(await get('/readyz'), [503, { status: 'not ready', reason: 'sensor not attached' }]);
  state = true;
  assert.deepEqual(await get('/readyz'), [200, { status: 'ready' }]);
  const res = await fetch(`${api.http!.url}/nope`);
  assert.equal(res.status, 404);
});
