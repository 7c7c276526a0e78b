import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Browser and WebRTC tests start real Chromium, coturn and redis: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One retry for a test that failed: the real-network tests (wrtc, Chromium, relays on loopback) each fail about
    // once in tens of runs when two workers load this 2-core machine, a different one each time (see the closing note
    // of 2026-12-01). A test that fails twice in a row still fails the run; the report names every retried test.
    retry: 1,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
