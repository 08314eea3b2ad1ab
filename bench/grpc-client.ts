// Reading client for bench/grpc.ts, in its own process as karmor would be: subscribes to
// WatchAlerts, prints "ready", then counts alerts and missed-alert notices until delivered + missed
// reaches the expected count, and prints {"delivered":N,"missed":M} on stdout.
// Usage: node --import tsx bench/grpc-client.ts TARGET COUNT
import { clients, collect } from '../test/helpers/grpc-client.js';

const [target, countText] = process.argv.slice(2);
const count = Number(countText);
const c = clients(target);
const s = collect(c.log, 'WatchAlerts', 'all');
let delivered = 0;
let missed = 0;
s.call.on('metadata', () => undefined);
s.call.removeAllListeners('data');
s.call.on('data', (m: Record<string, unknown>) => {
  if (m.Type === 'SystemEvent') missed += Number(/missed=(\d+)/.exec(String(m.Data))?.[1] ?? 0);
  else delivered++;
  if (delivered + missed === count) {
    process.stdout.write(`${JSON.stringify({ delivered, missed })}\n`);
    s.call.cancel();
    c.close();
    process.exit(0);
  }
});
process.stdout.write('ready\n');
