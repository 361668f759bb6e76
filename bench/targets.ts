/**
 * The performance targets of the project, checked against one run's results.
 *
 * @module
 */

import type { AdapterResult } from './adapters.js'
import type { HeapResult } from './heap.js'
import type { HttpResult, HttpRow } from './http.js'
import { CACHED_VARIANT, SIGNING_VARIANT } from './http-variants.js'
import { type LookupResult, WARM_LOOKUP_CALL } from './lookup.js'
import type { SigningResult } from './signing.js'

/** One target and whether this run met it. */
export interface TargetCheck {
  readonly target: string
  readonly measured: string
  /** `undefined` when this run cannot decide, for example because a cost is below the noise. */
  readonly met: boolean | undefined
}

/** Everything one run measured. */
export interface Results {
  readonly lookup: LookupResult
  readonly signing: SigningResult
  readonly http: HttpResult
  readonly adapters: AdapterResult
  readonly heap: HeapResult
}

const MIN_THROUGHPUT_RATIO = 0.97
const MIN_COST_RATIO = 100
const MAX_LOOKUP_NS = 1000
/** Heap growth allowed from the first to the last checkpoint, as a share of the full cache's size. */
const MAX_HEAP_GROWTH_SHARE = 0.1

function findRow(http: HttpResult, client: HttpRow['client'], variant: string): HttpRow {
  const row = http.rows.find(
    (candidate) => candidate.client === client && candidate.variant === variant,
  )
  if (row === undefined) {
    throw new Error(`Part 3 has no row for ${client} ${variant}.`)
  }
  return row
}

function lookupTarget(results: Results): TargetCheck {
  const row = results.lookup.rows.find((candidate) => candidate.call === WARM_LOOKUP_CALL)
  if (row === undefined) {
    throw new Error(`Part 1 has no row for ${WARM_LOOKUP_CALL}.`)
  }
  return {
    target: 'Warm `getAuthorizationHeader` under 1 µs per call',
    measured: `${row.ns.median.toFixed(0)} ns (median)`,
    met: row.ns.median < MAX_LOOKUP_NS,
  }
}

function throughputTarget(results: Results, client: HttpRow['client']): TargetCheck {
  const ratio = findRow(results.http, client, CACHED_VARIANT).versusWithout.ratio.median
  return {
    target: `${client} with the interceptor at least 97% of the requests per second without it`,
    measured: `${(ratio * 100).toFixed(1)}% (median of per-round ratios)`,
    met: ratio >= MIN_THROUGHPUT_RATIO,
  }
}

function microCostTarget(results: Results): TargetCheck {
  const lookup = results.lookup.rows.find((candidate) => candidate.call === WARM_LOOKUP_CALL)!
  const rs256 = results.signing.rows.find((row) => row.algorithm === 'RS256')
  if (rs256 === undefined) {
    throw new Error('Part 2 has no RS256 row.')
  }
  const ratio = rs256.oursNs.median / lookup.ns.median
  return {
    target: 'A cached token at least 100 times cheaper than an RS256 signing (calls alone)',
    measured: `${ratio.toFixed(0)}× (RS256 sign ${(rs256.oursNs.median / 1000).toFixed(0)} µs ÷ lookup ${lookup.ns.median.toFixed(0)} ns)`,
    met: ratio >= MIN_COST_RATIO,
  }
}

function httpCostTarget(results: Results, client: HttpRow['client']): TargetCheck {
  const cached = findRow(results.http, client, CACHED_VARIANT).versusWithout.addedCpuUs.median
  const signing = findRow(results.http, client, SIGNING_VARIANT).versusWithout.addedCpuUs.median
  const target = `${client}: the caching interceptor adds at least 100 times less client CPU per request than signing every request`
  if (cached <= 0) {
    return {
      target,
      measured: `signing adds ${signing.toFixed(0)} µs of client CPU per request, the cached token ${cached.toFixed(2)} µs: below this run's noise, no ratio`,
      met: undefined,
    }
  }
  const ratio = signing / cached
  return {
    target,
    measured: `${ratio.toFixed(0)}× (${signing.toFixed(0)} µs ÷ ${cached.toFixed(2)} µs of client CPU added per request)`,
    met: ratio >= MIN_COST_RATIO,
  }
}

function heapTarget(results: Results): TargetCheck {
  const { baseline, rows } = results.heap
  const first = rows[0]!
  const last = rows[rows.length - 1]!
  const cacheSize = first.heapUsed - baseline
  const growth = last.heapUsed - first.heapUsed
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2)
  return {
    target: `Heap flat from ${first.requests.toLocaleString('en-US')} to ${last.requests.toLocaleString('en-US')} requests (growth under 10% of the full cache's size)`,
    measured: `${mib(growth)} MiB growth; the full cache takes ${mib(cacheSize)} MiB`,
    met: growth < cacheSize * MAX_HEAP_GROWTH_SHARE,
  }
}

/** Checks every target against `results`. */
export function checkTargets(results: Results): TargetCheck[] {
  return [
    lookupTarget(results),
    throughputTarget(results, 'undici'),
    throughputTarget(results, 'axios'),
    microCostTarget(results),
    httpCostTarget(results, 'undici'),
    httpCostTarget(results, 'axios'),
    heapTarget(results),
  ]
}
