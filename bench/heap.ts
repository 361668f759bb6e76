/**
 * Part 4: the heap after many requests over many more audiences than the token cache holds.
 *
 * @module
 */

import { createTokenProvider, DEFAULT_MAX_TOKENS } from '@asap-auth/core'
import { type KeySet, signerOptions } from './fixtures.js'

/** How long part 4 runs. */
export interface HeapBudget {
  /** Distinct audiences, requested in turn. */
  readonly audiences: number
  /** Request counts after which the heap is measured, in increasing order. The last is the total. */
  readonly checkpoints: readonly number[]
}

/** The heap at one checkpoint. */
export interface HeapRow {
  readonly requests: number
  /** `process.memoryUsage().heapUsed` after two full garbage collections, in bytes. */
  readonly heapUsed: number
  /** Tokens in the provider's cache. */
  readonly cached: number
  /** Tokens signed so far. */
  readonly signed: number
}

/** Results of part 4. */
export interface HeapResult {
  /** `heapUsed` after the provider is created, before the first request, in bytes. */
  readonly baseline: number
  readonly rows: readonly HeapRow[]
  /** The cache bound the provider used, in tokens. */
  readonly maxTokens: number
  readonly budget: HeapBudget
}

/**
 * Calls `getAuthorizationHeader` for audiences `service-0`, `service-1`, ... in turn, with the
 * default cache bound, and reads `heapUsed` after a full garbage collection at each checkpoint.
 * Once the cache is full, each call requests the least recently used audience, so every call
 * misses, signs (ES256) and evicts: the most churn the cache can see.
 *
 * @throws {Error} when node runs without `--expose-gc`.
 */
export async function benchHeap(keys: KeySet, budget: HeapBudget): Promise<HeapResult> {
  const collect = globalThis.gc
  if (collect === undefined) {
    throw new Error('The heap benchmark needs global.gc(): run node with --expose-gc.')
  }
  const heapAfterCollection = () => {
    // A second pass frees what finalizers of the first released.
    collect()
    collect()
    return process.memoryUsage().heapUsed
  }

  const provider = createTokenProvider(signerOptions(keys, 'ES256'))
  const baseline = heapAfterCollection()
  const rows: HeapRow[] = []
  let requests = 0
  for (const checkpoint of budget.checkpoints) {
    for (; requests < checkpoint; requests++) {
      await provider.getAuthorizationHeader(`service-${requests % budget.audiences}`)
    }
    const heapUsed = heapAfterCollection()
    const { cached, signed } = provider.stats()
    rows.push({ requests, heapUsed, cached, signed })
  }
  return { baseline, rows, maxTokens: DEFAULT_MAX_TOKENS, budget }
}
