/**
 * Why a client operation failed, as a code a program can match, and the words a person reads.
 * The words are the edge's business (CLI, client protocol, traces); they live here beside the
 * codes so that every edge says the same thing.
 */
import type { OpError } from './types';

const WORDS: Record<OpError, string> = {
  'not-found': 'not found',
  'no-route': 'no route',
  'no-answer': 'no answer',
  'holder-silent': 'holder did not answer',
  'too-many-hops': 'too many hops',
  'not-ready': 'not ready: the peer does not hold the key\'s range yet',
  'not-responsible': 'not responsible for the key',
  'not-member': 'this peer is not a ring member',
  'other-id-space': 'key is not in this ring\'s identifier space',
  stopped: 'peer stopped',
};

export function describeError(e: OpError): string {
  return WORDS[e];
}
