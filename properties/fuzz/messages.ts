/** What the campaign's main thread and its workers say to each other (structured-clone data). */
import type { CaseStats, ShrunkFailure } from './case';
import type { Shard } from './plan';

export interface PlanData {
  readonly seed: string;
  readonly shard: Shard;
  readonly generators: readonly string[];
  readonly determinism: number;
}

export type ToWorker =
  | {
      readonly type: 'start';
      readonly plan: PlanData;
      readonly worker: number;
      readonly workers: number;
      /** This worker's first position in the shard (a replacement worker goes on where its slot stopped). */
      readonly from: number;
      /** Scenarios in the shard, null to go on until told to stop. */
      readonly runs: number | null;
      readonly shrinkMs: number;
    }
  | { readonly type: 'shrink-answer'; readonly id: number; readonly shrink: boolean }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'begin'; readonly worker: number; readonly j: number; readonly g: number; readonly generator: string; readonly seed: number }
  | { readonly type: 'case'; readonly worker: number; readonly g: number; readonly stats: CaseStats }
  | { readonly type: 'ask-shrink'; readonly worker: number; readonly id: number; readonly signature: string }
  | { readonly type: 'failure'; readonly worker: number; readonly g: number; readonly failure: ShrunkFailure }
  | { readonly type: 'done'; readonly worker: number };
