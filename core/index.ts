/** The pure Chord peer: the one API that every driver uses. */
export { initState, step } from './step';
export { defaultConfig, validateConfig } from './config';
export * from './types';
export * from './id';
export { encode, decode, WIRE_VERSION, DEFAULT_MAX_BYTES, type Decoded, type Envelope } from './codec';
