import type { Classroom } from '../src/classroom/index.js';
import { PeerclassProvider } from '../src/provider/index.js';

/**
 * The concrete provider behind a Classroom's network, for tests that look at connections and WebRTC stats the way
 * a modified client could. Apps use `classroom.network` (a ClassNetwork) instead.
 */
export function providerOf(classroom: Classroom): PeerclassProvider {
  if (classroom.network instanceof PeerclassProvider) return classroom.network;
  throw new Error('this classroom does not run on a PeerclassProvider');
}
