// What Linux says about a process we started: CPU, memory high-water mark, open fds, sockets.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100; // getconf CLK_TCK on Linux

/** user + system CPU of a process, in microseconds. */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLOCK_TICKS_PER_S;
}

export interface ProcessMemory {
  /** VmHWM: peak resident set size. */
  peakRssMiB: number;
  rssMiB: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { peakRssMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

export interface ProcessFds {
  fds: number;
  sockets: number;
}

export function processFds(pid: number): ProcessFds {
  let fds = 0;
  let sockets = 0;
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    fds += 1;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${name}`).startsWith('socket:')) sockets += 1;
    } catch {
      // closed while we looked
    }
  }
  return { fds, sockets };
}
