import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU time (user + system) a process has used so far, in milliseconds (Linux /proc). */
export function cpuMs(pid: number): number {
  const { userMs, systemMs } = cpuSplitMs(pid);
  return userMs + systemMs;
}

/** CPU time split into user (JS, parsing, framing) and system (syscalls, loopback TCP) milliseconds. */
export function cpuSplitMs(pid: number): { userMs: number; systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(fields[11]) / TICKS_PER_SECOND) * 1000, systemMs: (Number(fields[12]) / TICKS_PER_SECOND) * 1000 };
}

/** Resident set size of a process in KiB (Linux /proc). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}
