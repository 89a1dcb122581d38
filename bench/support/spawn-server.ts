import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Starts bench/support/server.ts in a child process and resolves with its URL and API key. */
export const spawnServer = async (): Promise<{ url: string; key: string; stop(): void }> => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
  });
  const { url, key } = JSON.parse(line) as { url: string; key: string };
  return { url, key, stop: () => child.kill('SIGTERM') };
};
