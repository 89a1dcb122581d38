import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
const table = process.argv[2]!; const T = Number(process.argv[3] ?? 15); const C = Number(process.env.C ?? 16);
const busy = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number); return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100; };
let n = Math.floor(Math.random() * 1e12); let events = 0;
const clients = await Promise.all(Array.from({ length: C }, async () => { const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/floor' }); await c.connect(); return c; }));
const b0 = busy(); const u0 = process.cpuUsage(); const end = Date.now() + T * 1000;
await Promise.all(clients.map(async (c) => {
  while (Date.now() < end) {
    const rows: string[] = []; const now = new Date().toISOString();
    for (let i = 0; i < 100; i++, n++) rows.push(`00000000-0000-0000-0000-000000000001\ttx_${n}\tsub_${n % 100}\t${randomUUID()}\tstorage\t${new Date(1767225600000 + n * 10).toISOString()}\t{"gb": ${(n % 97) + 0.5}, "region": "eu"}\t\\N\t${now}\n`);
    await new Promise<void>((res, rej) => { const s = c.query(copyFrom(`COPY ${table} FROM STDIN`)); s.on('finish', () => res()); s.on('error', rej); s.end(rows.join('')); });
    events += 100;
  }
}));
const u = process.cpuUsage(u0); const node = (u.user + u.system) / 1e6; const b = busy() - b0;
console.log(`${table} COPY x100, c=${C}: ${Math.round(events / T)} events/s, PG(ish) ${((b - node) / events * 1e6).toFixed(1)} µs/event, client ${(node / events * 1e6).toFixed(1)} µs, busy ${Math.round(b / T / 2 * 100)}%`);
await Promise.all(clients.map((c) => c.end()));
