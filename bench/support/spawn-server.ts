import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Starts bench/support/server.ts in a child process, on PostgreSQL at `databaseUrl` or on an in-memory PGlite, and
 * resolves with its URL and an API key.
 */
export const spawnServer = async (databaseUrl?: string): Promise<{ url: string; key: string; pid: number | undefined; stop(): Promise<void> }> => {
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'bench/support/server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl ?? '' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
  });
  const { url, key } = JSON.parse(line) as { url: string; key: string };
  return {
    url,
    key,
    pid: child.pid,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
};
