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

  it('refuses nonsense options with a clear error', () => {
    expect(() => new LectureSwitch({ threshold: -1 })).toThrow(/threshold must be a non-negative number/);
    expect(() => new LectureSwitch({ enterAfterMs: Number.NaN })).toThrow(/enterAfterMs/);
  });
});
