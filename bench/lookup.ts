/**
 * Part 1: the cost of handing out a cached token (a warm cache).
 *
 * @module
 */

import { createTokenProvider } from '@asap-auth/core'
import { AUDIENCE, type KeySet, signerOptions } from './fixtures.js'
import { type CallRow, type MeasureBudget, measureCalls } from './measure.js'

/** Results of part 1. */
export interface LookupResult {
  readonly rows: readonly CallRow[]
}

const SECOND_AUDIENCE = 'bench-audit'

/** The call whose time the lookup target applies to. */
export const WARM_LOOKUP_CALL = 'await getAuthorizationHeader(audience)'

/**
 * Measures `getToken`, `getAuthorizationHeader` and `peekAuthorizationHeader` on a warm cache,
 * for a plain audience string, a list of two audiences and a per-call subject, next to two
 * baselines: awaiting an already resolved promise (the least any async call costs in this loop)
 * and a `Map#get` (the least a synchronous lookup costs).
 *
 * @throws {Error} when a measured call signed a token, because then the cache was not warm.
 */
export async function benchLookup(keys: KeySet, budget: MeasureBudget): Promise<LookupResult> {
  const provider = createTokenProvider(signerOptions(keys, 'ES256'))
  const pair = [AUDIENCE, SECOND_AUDIENCE]
  const subject = { subject: 'bench-user' }

  const header = await provider.getAuthorizationHeader(AUDIENCE)
  await provider.getAuthorizationHeader(pair)
  await provider.getAuthorizationHeader(AUDIENCE, subject)
  const warmSignings = provider.stats().signed
  const map = new Map([[AUDIENCE, header]])

  const syncBaseline = 'map.get(audience)'
  const asyncBaseline = 'await Promise.resolve(header)'
  const rows = await measureCalls(
    [
      { call: syncBaseline, run: () => map.get(AUDIENCE) },
      {
        call: 'peekAuthorizationHeader(audience)',
        run: () => provider.peekAuthorizationHeader(AUDIENCE),
        baseline: syncBaseline,
      },
      { call: asyncBaseline, run: () => Promise.resolve(header) },
      {
        call: 'await getToken(audience)',
        run: () => provider.getToken(AUDIENCE),
        baseline: asyncBaseline,
      },
      {
        call: WARM_LOOKUP_CALL,
        run: () => provider.getAuthorizationHeader(AUDIENCE),
        baseline: asyncBaseline,
      },
      {
        call: 'await getAuthorizationHeader([audience, other])',
        run: () => provider.getAuthorizationHeader(pair),
        baseline: asyncBaseline,
      },
      {
        call: 'await getAuthorizationHeader(audience, { subject })',
        run: () => provider.getAuthorizationHeader(AUDIENCE, subject),
        baseline: asyncBaseline,
      },
    ],
    budget,
  )

  const signed = provider.stats().signed - warmSignings
  if (signed !== 0) {
    throw new Error(
      `The warm-cache benchmark signed ${signed} tokens; every call should hit the cache.`,
    )
  }
  return { rows }
}
