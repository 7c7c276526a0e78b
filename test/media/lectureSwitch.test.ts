import { describe, expect, it } from 'vitest';
import { LectureSwitch } from '../../src/media/lecture/lectureSwitch.js';

const wide = 50_000_000;

describe('LectureSwitch: when the teacher\'s media moves to the SFU and back', () => {
  it('enters lecture mode only once the class stayed above the threshold for enterAfterMs', () => {
    const s = new LectureSwitch({ threshold: 5, enterAfterMs: 1000, exitAfterMs: 4000 });
    expect(s.update({ students: 5, uplinkBps: wide }, 0)).toBe('p2p');
    expect(s.update({ students: 6, uplinkBps: wide }, 100)).toBe('p2p');
    expect(s.pendingUntil()).toBe(1100);
    expect(s.update({ students: 6, uplinkBps: wide }, 1099)).toBe('p2p');
    expect(s.update({ students: 6, uplinkBps: wide }, 1100)).toBe('sfu');
    expect(s.pendingUntil()).toBeNull();
  });

  it('a student flapping at the threshold moves nothing (the dwell restarts)', () => {
    const s = new LectureSwitch({ threshold: 5, enterAfterMs: 1000, exitAfterMs: 4000 });
    for (let t = 0; t < 10_000; t += 300) {
      const students = (t / 300) % 2 === 0 ? 6 : 5;
      expect(s.update({ students, uplinkBps: wide }, t)).toBe('p2p');
    }
  });

  it('leaves lecture mode after exitAfterMs at or below the threshold, not before', () => {
    const s = new LectureSwitch({ threshold: 5, enterAfterMs: 0, exitAfterMs: 4000 });
    expect(s.update({ students: 6, uplinkBps: wide }, 0)).toBe('sfu');
    expect(s.update({ students: 5, uplinkBps: wide }, 10)).toBe('sfu');
    expect(s.update({ students: 6, uplinkBps: wide }, 2000)).toBe('sfu');
    expect(s.update({ students: 5, uplinkBps: wide }, 2010)).toBe('sfu');
    expect(s.update({ students: 5, uplinkBps: wide }, 6009)).toBe('sfu');
    expect(s.update({ students: 5, uplinkBps: wide }, 6010)).toBe('p2p');
  });

  it('a thin uplink moves a small class to the SFU, judged by the estimate from before the switch', () => {
    const s = new LectureSwitch({ threshold: 25, floorBitrate: 100_000, enterAfterMs: 0, exitAfterMs: 0 });
    expect(s.update({ students: 10, uplinkBps: 1_500_000 }, 0)).toBe('p2p');
    expect(s.update({ students: 10, uplinkBps: 900_000 }, 1)).toBe('sfu');
    // In lecture mode the student connections carry no video: a high estimate now does not bring the star back …
    expect(s.update({ students: 10, uplinkBps: 5_000_000 }, 2)).toBe('sfu');
    // … fewer students on the uplink measured peer to peer does.
    expect(s.update({ students: 8, uplinkBps: 5_000_000 }, 3)).toBe('p2p');
  });

  it('coming back from lecture mode, the restarting (low) uplink estimate does not send the class straight back', () => {
    const s = new LectureSwitch({ threshold: 5, floorBitrate: 100_000, enterAfterMs: 1000, exitAfterMs: 1000, uplinkSettleMs: 10_000 });
    s.update({ students: 5, uplinkBps: 2_000_000 }, 0);
    s.update({ students: 6, uplinkBps: 2_000_000 }, 1);
    expect(s.update({ students: 6, uplinkBps: 2_000_000 }, 1001)).toBe('sfu');
    s.update({ students: 5, uplinkBps: 300_000 }, 2000);
    expect(s.update({ students: 5, uplinkBps: 300_000 }, 3000)).toBe('p2p');
    // 300 kbit/s for 5 students is under the floor, but it is the estimate of connections that carried no video.
    for (let t = 3100; t < 12_900; t += 300) expect(s.update({ students: 5, uplinkBps: 300_000 }, t)).toBe('p2p');
    // Once settled, a genuinely thin uplink counts again.
    s.update({ students: 5, uplinkBps: 300_000 }, 13_100);
    expect(s.update({ students: 5, uplinkBps: 300_000 }, 14_200)).toBe('sfu');
  });

  it('refuses nonsense options with a clear error', () => {
    expect(() => new LectureSwitch({ threshold: -1 })).toThrow(/threshold must be a non-negative number/);
    expect(() => new LectureSwitch({ enterAfterMs: Number.NaN })).toThrow(/enterAfterMs/);
  });
});
