import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';

const BIN = join(process.cwd(), 'bin', 'billow.js');

const adminQuery = async (text: string) => {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
};

/**
 * A real Billow process (`billow serve`) on storage of its own, for tests that kill it: a PGlite data directory, or a
 * fresh database on the test PostgreSQL server when TEST_DATABASE_URL is set. `start` runs it (again), `kill` sends
 * SIGKILL and waits for it to die, `api` calls it with its key, `dispose` kills it and removes its storage.
 */
export const billowProcess = async (options: { key: string; env?: Record<string, string> }) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'billow-process-'));
  let databaseUrl = '';
  if (process.env.TEST_DATABASE_URL) {
    const name = `billow_proc_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
  }
  let server: ChildProcess | null = null;
  let url = '';

  const start = async () => {
    server = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', BILLOW_API_KEY: options.key, BILLOW_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const first = await new Promise<string>((resolve) => createInterface({ input: server!.stdout! }).once('line', resolve));
    url = first.match(/listening on (\S+)/)![1]!;
  };
  const running = () => server !== null && server.exitCode === null && server.signalCode === null;
  const kill = async () => {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server!.kill('SIGKILL');
    await exited;
  };
  return {
    dataDir,
    databaseUrl,
    start,
    kill,
    api: (path: string, body?: object) =>
      fetch(`${url}/api/v1${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    dispose: async () => {
      if (running()) await kill();
      await rm(dataDir, { recursive: true, force: true });
      if (databaseUrl) await adminQuery(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`);
    },
  };
};
export type BillowProcess = Awaited<ReturnType<typeof billowProcess>>;
