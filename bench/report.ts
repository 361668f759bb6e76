/**
 * Writes one run's results as a Markdown report.
 *
 * @module
 */

import type { InstalledPackage, Machine } from './environment.js'
import type { Comparison } from './http.js'
import { WITHOUT_TOKEN } from './http-variants.js'
import type { CallRow } from './measure.js'
import type { Summary } from './stats.js'
import { checkTargets, type Results } from './targets.js'

/** Facts about the run itself, for the top of the report. */
export interface RunInfo {
  readonly command: string
  readonly quick: boolean
  readonly date: Date
  readonly machine: Machine
  readonly versions: readonly InstalledPackage[]
  /** Time the run took, in seconds. */
  readonly seconds: number
  /** The 1-minute load average at the start and at the end of the run. */
  readonly load: { readonly start: number; readonly end: number }
  /** Share of the machine's CPU time that other processes used during the run, from 0 to 1. */
  readonly otherCpuShare: number | undefined
  /** The measured source code, such as a Git commit. */
  readonly source: string
}

function format(value: number, fractionDigits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  })
}

function percent(share: number | undefined): string {
  return share === undefined ? 'an unknown share' : `${format(share * 100, 1)}%`
}

function spread(summary: Summary, fractionDigits = 0): string {
  return `${format(summary.p25, fractionDigits)}–${format(summary.p75, fractionDigits)}`
}

/** Writes a Markdown table whose first `textColumns` columns are left-aligned, the rest right-aligned. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  textColumns = 1,
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  const alignment = header.map((_, index) => (index < textColumns ? '---' : '---:'))
  return [line(header), line(alignment), ...rows.map(line)].join('\n')
}

function runSection(info: RunInfo): string {
  const { machine } = info
  return [
    `Date: ${info.date.toISOString()}. Source: ${info.source}. Command: \`${info.command}\`. Duration: ${format(info.seconds)} s. ` +
      `1-minute load average: ${format(info.load.start, 2)} at the start, ${format(info.load.end, 2)} at the end. ` +
      `Other processes used ${percent(info.otherCpuShare)} of the machine's CPU time during the run.`,
    info.quick
      ? '\n**Quick mode**: short measurements that only show the benchmark works. Do not quote these numbers.'
      : '',
    '',
    '## Machine',
    '',
    table(
      ['CPU', 'Cores', 'RAM', 'Node', 'OS'],
      [
        [
          machine.cpu,
          String(machine.cores),
          `${format(machine.memoryGiB, 1)} GiB`,
          machine.node,
          machine.os,
        ],
      ],
      5,
    ),
    '',
    '## Library versions',
    '',
    table(
      ['Package', 'Version'],
      info.versions.map((item) => [item.name, item.version]),
      2,
    ),
  ].join('\n')
}

function targetSection(results: Results): string {
  const verdict = (met: boolean | undefined) => {
    if (met === undefined) {
      return 'undecided'
    }
    return met ? 'met' : '**missed**'
  }
  return table(
    ['Target', 'Measured', 'Result'],
    checkTargets(results).map((check) => [check.target, check.measured, verdict(check.met)]),
    3,
  )
}

function callTable(rows: readonly CallRow[]): string {
  return table(
    [
      'Call',
      'Median ns',
      'p25–p75 ns',
      'Bytes allocated per call',
      'ns over baseline',
      'Bytes over baseline',
    ],
    rows.map((row) => {
      const { baseline } = row
      return [
        baseline === undefined ? `\`${row.call}\` (baseline)` : `\`${row.call}\``,
        format(row.ns.median, 1),
        spread(row.ns, 1),
        format(row.bytes),
        baseline === undefined ? '' : format(row.ns.median - baseline.ns.median, 1),
        baseline === undefined ? '' : format(row.bytes - baseline.bytes),
      ]
    }),
  )
}

function signingSection(results: Results): string {
  const rate = (summary: Summary) => `${format(summary.median)} (${spread(summary)})`
  return table(
    [
      'Algorithm',
      'Ours, key imported once',
      'jose, importPKCS8 per call',
      'jsonwebtoken, PEM per call',
      'Ours ÷ jose',
      'Ours ÷ jsonwebtoken',
    ],
    results.signing.rows.map((row) => [
      row.algorithm,
      rate(row.ours),
      rate(row.jose),
      rate(row.jsonwebtoken),
      `${format(row.ours.median / row.jose.median, 2)}×`,
      `${format(row.ours.median / row.jsonwebtoken.median, 2)}×`,
    ]),
  )
}

function httpSection(results: Results): string {
  const { budget, rows, otherCpuShare } = results.http
  const withSpread = (summary: Summary, fractionDigits: number) =>
    `${format(summary.median, fractionDigits)} (${spread(summary, fractionDigits)})`
  const comparisonCells = (comparison: Comparison | undefined) =>
    comparison === undefined
      ? ['', '']
      : [withSpread(comparison.ratio, 3), withSpread(comparison.addedCpuUs, 2)]

  return [
    `${budget.rounds} measured rounds of ${format(budget.roundMs)} ms per variant, interleaved (forward, then backward), after one warm-up round; ${budget.concurrency} requests in flight on keep-alive connections. Every cell is the median over the rounds, with p25–p75 in brackets; ratios and differences pair the variants of the same round. Other processes used ${percent(otherCpuShare)} of the machine's CPU time during this part.`,
    '',
    table(
      [
        'Client',
        'Variant',
        'Requests/s',
        'Client CPU µs per request',
        'Ratio to no token',
        'Added client CPU µs over no token',
      ],
      rows.map((row) => [
        row.client,
        row.variant,
        withSpread(row.rate, 0),
        withSpread(row.cpuUs, 1),
        ...(row.variant === WITHOUT_TOKEN ? ['', ''] : comparisonCells(row.versusWithout)),
      ]),
      2,
    ),
    '',
    'The ASAP variants against the minimal interceptor, which sets the same `Authorization` value: what the adapter adds beyond what any token interceptor costs.',
    '',
    table(
      [
        'Client',
        'Variant',
        'Ratio to minimal interceptor',
        'Added client CPU µs over minimal interceptor',
      ],
      rows
        .filter((row) => row.versusMinimal !== undefined)
        .map((row) => [row.client, row.variant, ...comparisonCells(row.versusMinimal)]),
      2,
    ),
  ].join('\n')
}

function heapSection(results: Results): string {
  const { baseline, rows, maxTokens, budget } = results.heap
  const mib = (bytes: number) => format(bytes / 2 ** 20, 2)
  return [
    `${format(budget.audiences)} audiences requested in turn, cache bound ${format(maxTokens)} tokens (the default), ES256. heapUsed after \`global.gc()\`; ${mib(baseline)} MiB before the first request.`,
    '',
    table(
      [
        'Requests',
        'heapUsed MiB',
        'Growth over the baseline MiB',
        'Cached tokens',
        'Tokens signed',
      ],
      rows.map((row) => [
        format(row.requests),
        mib(row.heapUsed),
        mib(row.heapUsed - baseline),
        format(row.cached),
        format(row.signed),
      ]),
    ),
  ].join('\n')
}

/** Renders the full report. */
export function renderReport(info: RunInfo, results: Results): string {
  return [
    '# asap-auth benchmark report',
    '',
    runSection(info),
    '',
    '## Targets',
    '',
    targetSection(results),
    '',
    '## 1. Token lookup on a warm cache',
    '',
    callTable(results.lookup.rows),
    '',
    '## 2. Signing throughput, tokens per second',
    '',
    'Median (p25–p75) of tokens per second, one token at a time.',
    '',
    signingSection(results),
    '',
    '## 3. Per-request cost of the interceptors',
    '',
    httpSection(results),
    '',
    'The interceptors alone, on a cache hit, with a stub in place of the network:',
    '',
    callTable(results.adapters.rows),
    '',
    '## 4. Heap over many audiences',
    '',
    heapSection(results),
    '',
  ].join('\n')
}
