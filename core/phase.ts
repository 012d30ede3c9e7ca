/** The phases a peer goes through, and the leave a leaving one carries. */
import type { Leaving, Phase, PeerState } from './types';

export const IDLE: Phase = Object.freeze({ name: 'idle' });
export const JOINING: Phase = Object.freeze({ name: 'joining' });
export const MEMBER: Phase = Object.freeze({ name: 'member' });
export const STOPPED: Phase = Object.freeze({ name: 'stopped' });

export function leavingWith(leave: Leaving): Phase {
  return { name: 'leaving', leave };
}

/** The leave under way, if the peer is leaving. */
export function leaveOf(s: PeerState): Leaving | null {
  return s.phase.name === 'leaving' ? s.phase.leave : null;
}
