/**
 * Simulator speed and memory at 1,000 and 10,000 peers (100,000 with --peers), codec off and
 * on, each run beside the yardstick measured in the same process right before it: a plain
 * typed-array event loop doing the minimum a Chord peer must per event (baseline-loop.ts). The
 * machine is shared and noisy; the ratio of the two moves far less than either figure does.
 *
 * What is timed is the protocol's run: the fingers' warm-up and the faulty phase (churn, loss,
 * puts and gets), not the checks at rest afterwards (the ideal ring's fingers, every key read
 * back), whose cost is the checkers', not the simulator's. Reported, as medians of --runs
 * runs: events per second; virtual peer-seconds per wall second (peers x virtual s / wall s, the
 * figure a ring size can be compared on); times real time (virtual / wall); and bytes per peer,
 * the growth of the resident set during the first run of a size over the peers (a resident set
 * does not shrink, so later runs in the process would show little growth: that one is not a median).
 *
 * Run: npm run build && node dist/bench/sim-throughput.js [--peers 1000,10000] [--runs 3] [--duration 5000] [--codec both|off|on]
 */
import { Command, Option } from 'commander';
import { integer } from '../cli/parse';
import { performance } from 'node:perf_hooks';
import { generateScenario } from '../sim/generate';
import { scheduleScenario } from '../sim/ops';
import { World } from '../sim/world';
import { baselineEventsPerSec } from './baseline-loop';
import { median } from './stats';

interface Sample {
  readonly eventsPerSec: number;
  readonly baselinePerSec: number;
  readonly peerSecondsPerSec: number;
  readonly timesRealTime: number;
  readonly bytesPerPeer: number;
}

function measure(peers: number, duration: number, codec: boolean): Sample {
  const scenario = generateScenario({ seed: 'bench', peers, bits: 160, replicas: 3, loss: 0.02, churn: 0.5, duration, lookups: 200, records: 100, useCodec: codec, settleLimit: 20_000 });
  const baselinePerSec = baselineEventsPerSec(peers, 2_000_000);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const start = performance.now();
  const world = new World(scenario, { onProgress: () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)) });
  scheduleScenario(world, scenario);
  world.runUntil(scenario.faultsUntil);
  const wallMs = performance.now() - start;
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  return {
    eventsPerSec: (world.events * 1000) / wallMs,
    baselinePerSec,
    peerSecondsPerSec: (peers * world.now) / wallMs,
    timesRealTime: world.now / wallMs,
    bytesPerPeer: (rssPeak - rssBefore) / peers,
  };
}

const o = new Command('sim-throughput')
  .option('--peers <list>', 'ring sizes, comma-separated', '1000,10000')
  .option('--runs <n>', 'runs per configuration (the median is reported)', integer(1, 99), 3)
  .option('--duration <ms>', 'virtual ms of the faulty phase', integer(0, 1e9), 5_000)
  .addOption(new Option('--codec <which>', 'messages as objects, as bytes, or both').choices(['both', 'off', 'on']).default('both'))
  .parse()
  .opts<{ peers: string; runs: number; duration: number; codec: 'both' | 'off' | 'on' }>();

const codecs = o.codec === 'both' ? [false, true] : [o.codec === 'on'];
console.log('  peers  codec   events/s   baseline ev/s   ratio    peer-s/s   x real time   bytes/peer');
for (const peers of o.peers.split(',').map(Number)) {
  for (const codec of codecs) {
    const samples = Array.from({ length: o.runs }, () => measure(peers, o.duration, codec));
    const m = (f: (s: Sample) => number) => median(samples.map(f));
    const firstRunBytes = samples[0].bytesPerPeer;
    console.log([
      String(peers).padStart(7), (codec ? 'on' : 'off').padStart(5),
      Math.round(m((s) => s.eventsPerSec)).toString().padStart(10),
      Math.round(m((s) => s.baselinePerSec)).toString().padStart(15),
      m((s) => s.eventsPerSec / s.baselinePerSec).toFixed(4).padStart(7),
      Math.round(m((s) => s.peerSecondsPerSec)).toString().padStart(10),
      m((s) => s.timesRealTime).toFixed(3).padStart(13),
      Math.round(firstRunBytes).toString().padStart(12),
    ].join(' '));
  }
}
