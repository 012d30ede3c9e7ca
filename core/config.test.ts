import test from 'ava';
import { defaultConfig, timeoutFor, validateConfig } from './config';
import type { Config } from './types';

const base = defaultConfig(8, 3);
const errorsWith = (change: Partial<Config>) => validateConfig({ ...base, ...change });

test('the default configuration is valid for every width and replication the core supports', (t) => {
  for (const bits of [8, 16, 64, 160]) {
    for (const r of [1, 3, 16]) t.deepEqual(validateConfig(defaultConfig(bits, r)), []);
  }
});

test('each bad setting gets exactly one error that names it and its value', (t) => {
  const bad: Array<[keyof Config, number]> = [
    ['bits', 7], ['bits', 161], ['bits', 8.5],
    ['replicas', 0], ['replicas', 17], ['replicas', 2.5],
    ['missLimit', 0], ['missLimit', 1.5],
    ['opAttempts', 0], ['opAttempts', 2.5],
    ['maxHops', 0], ['maxHops', 3.5],
  ];
  for (const name of ['pingInterval', 'stabilizeInterval', 'fixFingersInterval', 'replicateInterval', 'rpcTimeout', 'transferRate', 'lostTtl'] as const) {
    bad.push([name, 0], [name, -1], [name, NaN], [name, Infinity]);
  }
  for (const [name, value] of bad) {
    const errors = errorsWith({ [name]: value });
    t.is(errors.length, 1, `${name}=${value}: ${errors.join('; ')}`);
    t.true(errors[0]?.startsWith(`${name} must be`), errors[0]);
    t.true(errors[0]?.endsWith(`got ${value}`), errors[0]);
  }
});

test('the smallest and largest allowed values pass', (t) => {
  t.deepEqual(errorsWith({ replicas: 1, missLimit: 1, opAttempts: 1, maxHops: 1 }), []);
  t.deepEqual(errorsWith({ replicas: 16, bits: 160 }), []);
  t.deepEqual(errorsWith({ pingInterval: 0.001, transferRate: 0.5 }), []);
});

test('every bad setting is reported, not only the first', (t) => {
  t.is(errorsWith({ bits: 4, replicas: 0, missLimit: 0, rpcTimeout: 0, opAttempts: 0, maxHops: 0 }).length, 6);
});

test('a timeout grows with the bytes carried and the legs they travel, at transferRate bytes per ms', (t) => {
  const cfg = { ...base, rpcTimeout: 400, transferRate: 1000 };
  t.is(timeoutFor(cfg, 0), 400);
  t.is(timeoutFor(cfg, 0, 4), 400);
  t.is(timeoutFor(cfg, 5000), 405);
  t.is(timeoutFor(cfg, 5000, 2), 410);
  t.is(timeoutFor(cfg, 2000, 3), 406);
});
