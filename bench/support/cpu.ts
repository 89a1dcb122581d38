import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Where a benchmark's CPU time went, read from /proc (Linux): the Billow server's process, the PostgreSQL server's
 * processes (when it runs on this machine), this process (the load generator) and the machine as a whole. Tells
 * which side a change has to make cheaper; null where /proc cannot tell.
 */
export interface CpuSample {
  server: number;
  postgres: number;
  self: number;
  machineBusy: number;
  machineTotal: number;
}

const TICK_SECONDS = 0.01; // USER_HZ is 100 on Linux

/** utime + stime of a process, in seconds; 0 once it has gone. */
const processSeconds = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_SECONDS;
  } catch {
    return 0;
  }
};

const postgresPids = (): number[] =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    });

/** Busy and total CPU seconds of the whole machine, from the first line of /proc/stat. */
const machineSeconds = (): { busy: number; total: number } => {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const values = ticks.map(Number);
  const idle = values[3]! + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * TICK_SECONDS, total: total * TICK_SECONDS };
};

export const sampleCpu = (serverPid: number | undefined): CpuSample | null => {
  try {
    const usage = process.cpuUsage();
    const machine = machineSeconds();
    return {
      server: serverPid === undefined ? 0 : processSeconds(serverPid),
      postgres: postgresPids().reduce((sum, pid) => sum + processSeconds(pid), 0),
      self: (usage.user + usage.system) / 1e6,
      machineBusy: machine.busy,
      machineTotal: machine.total,
    };
  } catch {
    return null;
  }
};

/**
 * The CPU each side spent per event between two samples, in microseconds, and how busy the machine was. `server` and
 * `self` name the Billow process and this one; without a server, its share is left out.
 */
export const cpuPerEvent = (
  before: CpuSample | null,
  after: CpuSample | null,
  events: number,
  names: { server: string | null; self: string } = { server: 'Billow', self: 'load generator' },
): string | null => {
  if (!before || !after || events === 0) return null;
  const us = (seconds: number) => `${((seconds * 1e6) / events).toFixed(1)} µs`;
  const busy = (after.machineBusy - before.machineBusy) / (after.machineTotal - before.machineTotal);
  const sides = [
    ...(names.server === null ? [] : [`${names.server} ${us(after.server - before.server)}`]),
    `PostgreSQL ${us(after.postgres - before.postgres)}`,
    `${names.self} ${us(after.self - before.self)}`,
  ];
  return `CPU per event: ${sides.join(', ')}; machine ${(busy * 100).toFixed(0)}% busy (${cpus().length} cores)`;
};
