import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Absolute path of a system tool: PATH first, then the sbin folders a non-login root shell may lack. */
export function tool(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    const path = `${dir}/${name}`;
    if (existsSync(path)) return path;
  }
  throw new Error(`network lab: \`${name}\` not found; run ./scripts/install-system-deps.sh (it installs nftables, iproute2, coturn, chromium)`);
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. `input` goes to its stdin. */
export function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like {@link run} but synchronous and never throwing (for exit-time cleanup); returns stdout or ''. */
export function runSyncQuiet(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return '';
  }
}

/**
 * True when host:port accepts TCP as seen from inside network namespace `ns`. The lab has no latency, so a connection
 * not made within `timeoutMs` (default 1.5 s, for a loaded machine) counts as refused or dropped.
 */
export function tcpOpenIn(ns: string, host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(tool('ip'), ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code === 0); });
    child.once('error', () => { clearTimeout(timer); resolve(false); });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
