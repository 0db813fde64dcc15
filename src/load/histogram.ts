// A fixed-size log-linear latency histogram: recording is a few integer operations and no allocation.

// 128 sub-buckets per power of two keep every recorded value within 1/128 (0.8%) of the truth
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
// values up to 2^31 - 1 microseconds (about 35 minutes); larger ones are clamped
const MAX_VALUE = 0x7fffffff;
const BUCKETS = (31 - SUB_BITS + 1) * SUB + SUB;

function indexOf(v: number): number {
  if (v < 2 * SUB) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - SUB_BITS;
  return SUB * shift + (v >>> shift);
}

function lowestOf(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  return (index - SUB * shift) * 2 ** shift;
}

/** Records latencies in whole microseconds and answers percentiles, in constant memory. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumValue = 0;
  private minValue = Infinity;
  private maxValue = 0;

  /** Records one value in microseconds (fractions are rounded; negatives count as 0). */
  record(micros: number): void {
    const v = micros <= 0 ? 0 : micros >= MAX_VALUE ? MAX_VALUE : Math.round(micros);
    this.counts[indexOf(v)]!++;
    this.total++;
    this.sumValue += v;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /** How many values were recorded. */
  get count(): number {
    return this.total;
  }

  /** The largest value recorded, exactly (0 when empty). */
  get max(): number {
    return this.maxValue;
  }

  /** The smallest value recorded, exactly (0 when empty). */
  get min(): number {
    return this.total ? this.minValue : 0;
  }

  /** The sum of the recorded values (as recorded: whole microseconds). */
  get sum(): number {
    return this.sumValue;
  }

  /** The mean of the recorded values (0 when empty). */
  get mean(): number {
    return this.total ? this.sumValue / this.total : 0;
  }

  /**
   * The value at or below which `p` percent of the values lie (0 when empty): the middle of its
   * bucket, kept within the exact minimum and maximum.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const low = lowestOf(i);
        const width = lowestOf(i + 1) - low;
        const mid = low + (width - 1) / 2;
        return Math.min(this.maxValue, Math.max(this.minValue, mid));
      }
    }
    return this.maxValue;
  }

  /** Adds another histogram's values to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumValue += other.sumValue;
    if (other.total) {
      this.minValue = Math.min(this.minValue, other.minValue);
      this.maxValue = Math.max(this.maxValue, other.maxValue);
    }
  }

  /** Makes `target` an exact copy of this histogram (to tell later what was recorded since). */
  copyTo(target: LatencyHistogram): void {
    target.counts.set(this.counts);
    target.total = this.total;
    target.sumValue = this.sumValue;
    target.minValue = this.minValue;
    target.maxValue = this.maxValue;
  }

  /**
   * Calls `fn(value, count)`, in increasing order of value, for every bucket that gained values
   * since `earlier` (a copy taken with {@link copyTo}); `value` is the bucket's middle, kept within
   * the exact minimum and maximum. Costs a pass over the buckets, and nothing while recording.
   */
  forEachSince(earlier: LatencyHistogram, fn: (micros: number, count: number) => void): void {
    for (let i = 0; i < BUCKETS; i++) {
      const n = this.counts[i]! - earlier.counts[i]!;
      if (n <= 0) continue;
      const low = lowestOf(i);
      const mid = low + (lowestOf(i + 1) - low - 1) / 2;
      fn(Math.min(this.maxValue, Math.max(this.minValue, mid)), n);
    }
  }

  /** Forgets every value. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sumValue = 0;
    this.minValue = Infinity;
    this.maxValue = 0;
  }
}
