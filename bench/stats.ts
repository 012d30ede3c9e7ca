/** Summary statistics the benchmarks report: medians, since the machine is shared and noisy. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
