/**
 * What may travel by datagram, so that a peer can never be made to amplify: a datagram's source
 * address is easily forged, and an answer larger than its question turns the peer into a
 * reflector aimed at whoever the forger names.
 *
 * - Only failure detection goes by datagram (pings and pongs, all the core sends that way);
 *   any other message arriving by datagram is dropped, never answered: its answer would be
 *   larger (a fetch's record, a digest's wants).
 * - An answer by datagram goes to the question's source address and is no larger than the
 *   question was (the driver checks). So that honest answers fit, a ping is padded to the size
 *   of the largest it may get, a pong or a challenge of its sender's identity (identity.ts):
 *   'CHPD', a u16 pad length, that many zero bytes, then the message.
 */
import { encode } from '../core/codec';
import type { Msg, MsgType, Peer } from '../core/types';
import { challengeBytes } from './identity';

const BY_DATAGRAM: ReadonlySet<MsgType> = new Set<MsgType>(['ping', 'pong']);
const PAD_MAGIC = Buffer.from('CHPD', 'ascii');
const PAD_HEADER = PAD_MAGIC.length + 2;

export function mayComeByDatagram(t: MsgType): boolean {
  return BY_DATAGRAM.has(t);
}

/** The size of the largest datagram `to` may answer `msg` with; 0 for a message that is no question. */
function answerBytes(to: Peer, msg: Msg): number {
  // IDs of one ring are all as long: `to`'s stands for the sender's in the challenge.
  return msg.t === 'ping' ? Math.max(encode(to, { t: 'pong', nonce: msg.nonce, member: true }).length, challengeBytes(to.id)) : 0;
}

/** A question padded to at least the size of its answer. */
export function padQuestion(bytes: Uint8Array, to: Peer, msg: Msg): Uint8Array {
  const short = answerBytes(to, msg) - bytes.length;
  if (short <= 0) return bytes;
  const pad = Math.max(0, short - PAD_HEADER);
  const out = Buffer.alloc(PAD_HEADER + pad + bytes.length);
  PAD_MAGIC.copy(out);
  out.writeUInt16BE(pad, PAD_MAGIC.length);
  out.set(bytes, PAD_HEADER + pad);
  return out;
}

/** The message inside a padded datagram, or the datagram itself; a string for a bad pad. */
export function unpad(bytes: Buffer): Buffer | string {
  if (bytes.length < PAD_MAGIC.length || !PAD_MAGIC.equals(bytes.subarray(0, PAD_MAGIC.length))) return bytes;
  if (bytes.length < PAD_HEADER) return 'truncated datagram padding';
  const start = PAD_HEADER + bytes.readUInt16BE(PAD_MAGIC.length);
  if (start >= bytes.length) return 'datagram padding without a message';
  return bytes.subarray(start);
}
