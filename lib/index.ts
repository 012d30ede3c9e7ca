/**
 * The `chord-dht` package: real Chord peers over UDP and TCP, in this process.
 *
 * ```ts
 * import { createTestnet } from 'chord-dht';
 *
 * const net = await createTestnet(4);
 * await net.peers[0].put('greeting', 'hello');
 * const record = await net.peers[3].get('greeting');
 * await net.close();
 * ```
 *
 * @packageDocumentation
 */
export { startPeer } from './peer';
export { createTestnet } from './testnet';
export {
  ChordError,
  type ChordErrorCode,
  type ChordPeer,
  type GoneHow,
  type MoveReason,
  type PeerEvent,
  type PeerEvents,
  type PeerOptions,
  type PeerPhase,
  type PeerRef,
  type PeerStatus,
  type PutResult,
  type StopInfo,
  type StoredRecord,
  type Testnet,
  type TestnetOptions,
} from './types';
