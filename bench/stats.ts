/**
 * Order statistics for benchmark samples.
 *
 * @module
 */

/** The spread of a set of samples: minimum, quartiles and maximum, in the samples' unit. */
export interface Summary {
  readonly min: number
  readonly p25: number
  readonly median: number
  readonly p75: number
  readonly max: number
}

/** Returns the `q` quantile (0 to 1) of sorted values, interpolating linearly between ranks. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const weight = position - lower
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight
}

/**
 * Summarizes `values`.
 *
 * @throws {RangeError} when `values` is empty.
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    throw new RangeError('Cannot summarize an empty list of samples.')
  }
  const sorted = [...values].sort((a, b) => a - b)
  return {
    min: sorted[0]!,
    p25: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    max: sorted[sorted.length - 1]!,
  }
}

/**
 * Converts a summary of durations into a summary of rates: `scale / value` for each statistic.
 * A long duration is a low rate, so the quartiles swap places.
 */
export function toRate(durations: Summary, scale: number): Summary {
  return {
    min: scale / durations.max,
    p25: scale / durations.p75,
    median: scale / durations.median,
    p75: scale / durations.p25,
    max: scale / durations.min,
  }
}
