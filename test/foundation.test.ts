import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from './helpers/chromium.js';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

// The suite depends on these system packages; fail loudly here rather than with a timeout deep in a WebRTC test.
describe('machine prerequisites', () => {
  it('has Debian Chromium', () => { expect(existsSync(CHROMIUM_PATH)).toBe(true); });
  it('has coturn and redis-server', () => {
    expect(execFileSync('which', ['turnserver']).toString()).toContain('turnserver');
    expect(execFileSync('which', ['redis-server']).toString()).toContain('redis-server');
  });
});
