/**
 * Per-call time (through mitata) and per-call heap allocation of a function, and tables of such
 * calls compared with a baseline call.
 *
 * @module
 */

import { GCProfiler } from 'node:v8'
import { measure } from 'mitata'
import { type Summary, summarize } from './stats.js'

/** How long each measurement runs. */
export interface MeasureBudget {
  /** CPU time mitata spends sampling one function, in milliseconds. */
  readonly timeMs: number
}

/**
 * Measures the time one call of `call` takes, in nanoseconds. A call that returns a promise is
 * awaited, so its time includes the promise resolution and the hop back to the caller.
 */
export async function nsPerCall(call: () => unknown, budget: MeasureBudget): Promise<Summary> {
  const stats = await measure(call, { min_cpu_time: budget.timeMs * 1e6 })
  return summarize(stats.samples)
}

/** Calls per allocation trial at first; halved after each trial that a collection spoiled. */
const ALLOCATION_CALLS = 1000
const ALLOCATION_TRIALS = 9
const MAX_ALLOCATION_ATTEMPTS = 50

async function repeat(call: () => unknown, calls: number, isAsync: boolean): Promise<void> {
  if (isAsync) {
    for (let i = 0; i < calls; i++) {
      await call()
    }
  } else {
    for (let i = 0; i < calls; i++) {
      call()
    }
  }
}

/**
 * Measures the heap bytes one call of `call` allocates: the growth of `heapUsed` over a run of
 * calls that starts right after a full garbage collection, divided by the number of calls, as
 * the median of 9 trials. A trial during which any collection ran is discarded, because the
 * collection freed part of what the calls allocated, and the next trial makes half as many
 * calls. A promise that `call` returns is awaited, and the loop's own `await` is counted too, so
 * compare async calls with an async baseline.
 *
 * @throws {Error} when node runs without `--expose-gc`, or when 50 trials did not give 9 readings.
 */
export async function bytesPerCall(call: () => unknown): Promise<number> {
  const collect = globalThis.gc
  if (collect === undefined) {
    throw new Error('bytesPerCall needs global.gc(): run node with --expose-gc.')
  }
  const isAsync = call() instanceof Promise
  const profiler = new GCProfiler()
  const perCall: number[] = []
  let calls = ALLOCATION_CALLS

  for (let attempt = 0; perCall.length < ALLOCATION_TRIALS; attempt++) {
    if (attempt === MAX_ALLOCATION_ATTEMPTS) {
      throw new Error(
        `Garbage collections spoiled ${attempt - perCall.length} of ${attempt} allocation trials. Measure on a machine with more free memory.`,
      )
    }
    collect()
    profiler.start()
    const before = process.memoryUsage().heapUsed
    await repeat(call, calls, isAsync)
    const after = process.memoryUsage().heapUsed
    if (profiler.stop().statistics.length > 0) {
      calls = Math.max(1, Math.floor(calls / 2))
      continue
    }
    perCall.push((after - before) / calls)
  }
  return summarize(perCall).median
}

/** A call to measure. */
export interface CallCase {
  /** The call, written as code. */
  readonly call: string
  readonly run: () => unknown
  /** The `call` of the baseline this call is compared with; unset for a baseline. */
  readonly baseline?: string | undefined
}

/** One measured call. */
export interface CallRow {
  /** The call, written as code. */
  readonly call: string
  /** Time per call, in nanoseconds. */
  readonly ns: Summary
  /** Heap bytes allocated per call, the median of several trials. */
  readonly bytes: number
  /** The baseline row this call is compared with, or `undefined` for a baseline. */
  readonly baseline: CallRow | undefined
}

/**
 * Measures the time and allocation of each case, in order.
 *
 * @throws {Error} when a case names a baseline that no earlier case measured.
 */
export async function measureCalls(
  cases: readonly CallCase[],
  budget: MeasureBudget,
): Promise<CallRow[]> {
  const rows: CallRow[] = []
  for (const { call, run, baseline } of cases) {
    const baselineRow =
      baseline === undefined ? undefined : rows.find((row) => row.call === baseline)
    if (baseline !== undefined && baselineRow === undefined) {
      throw new Error(
        `The case ${call} names the baseline ${baseline}, which was not measured before it.`,
      )
    }
    const ns = await nsPerCall(run, budget)
    const bytes = await bytesPerCall(run)
    rows.push({ call, ns, bytes, baseline: baselineRow })
  }
  return rows
}
