/**
 * Entry point of `pnpm bench [--quick]`: runs the four benchmarks, prints a Markdown report to
 * stdout and, for a full run, writes it to bench/results/latest.md. Progress goes to stderr. The
 * process exits with code 1 on any error.
 *
 * The packages are imported from their built `dist`, so run `pnpm build` first (`pnpm bench`
 * does).
 *
 * @module
 */

import { spawn } from 'node:child_process'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { constants, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { benchAdapters } from './adapters.js'
import { describeMachine, describeSource, libraryVersions, measureOtherCpu } from './environment.js'
import { generateKeys } from './fixtures.js'
import { benchHeap, type HeapBudget } from './heap.js'
import { benchHttp, type HttpBudget } from './http.js'
import { benchLookup } from './lookup.js'
import type { MeasureBudget } from './measure.js'
import { renderReport } from './report.js'
import { benchSigning } from './signing.js'

const USAGE = 'Usage: pnpm bench [--quick]'

interface Budgets {
  readonly measure: MeasureBudget
  readonly http: HttpBudget
  readonly heap: HeapBudget
}

/** Quick mode runs every code path with few iterations, for CI. */
const QUICK: Budgets = {
  measure: { timeMs: 10 },
  http: { rounds: 2, roundMs: 100, concurrency: 16 },
  heap: { audiences: 10_000, checkpoints: [1_000, 5_000, 10_000] },
}

const FULL: Budgets = {
  measure: { timeMs: 500 },
  http: { rounds: 20, roundMs: 250, concurrency: 16 },
  heap: { audiences: 10_000, checkpoints: [10_000, 50_000, 100_000] },
}

function parseArguments(args: readonly string[]): { quick: boolean } {
  let quick = false
  for (const arg of args) {
    if (arg === '--quick') {
      quick = true
    } else {
      throw new Error(`Unknown argument ${JSON.stringify(arg)}. ${USAGE}`)
    }
  }
  return { quick }
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`)
}

async function writeAtomically(url: URL, text: string): Promise<void> {
  const path = fileURLToPath(url)
  await mkdir(fileURLToPath(new URL('.', url)), { recursive: true })
  await writeFile(`${path}.tmp`, text)
  await rename(`${path}.tmp`, path)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const { quick } = parseArguments(args)
  const budgets = quick ? QUICK : FULL
  const started = performance.now()
  const loadAtStart = loadavg()[0]!
  const otherCpu = measureOtherCpu()
  const date = new Date()
  const versions = libraryVersions()
  const source = describeSource()

  progress('generating keys')
  const keys = generateKeys()
  progress('1/4 token lookup on a warm cache')
  const lookup = await benchLookup(keys, budgets.measure)
  progress('2/4 signing throughput')
  const signing = await benchSigning(keys, budgets.measure)
  progress('3/4 interceptors against a local HTTP server')
  const http = await benchHttp(keys, budgets.http)
  const adapters = await benchAdapters(keys, budgets.measure)
  progress('4/4 heap over many audiences')
  const heap = await benchHeap(keys, budgets.heap)

  const command = process.env.npm_lifecycle_event === 'bench' ? 'pnpm bench' : 'tsx bench/run.ts'
  const report = renderReport(
    {
      command: [command, ...args].join(' '),
      quick,
      date,
      machine: describeMachine(),
      versions,
      seconds: (performance.now() - started) / 1000,
      load: { start: loadAtStart, end: loadavg()[0]! },
      otherCpuShare: otherCpu(),
      source,
    },
    { lookup, signing, http, adapters, heap },
  )
  process.stdout.write(report)
  if (!quick) {
    await writeAtomically(new URL('./results/latest.md', import.meta.url), report)
    progress('wrote bench/results/latest.md')
  }
}

if (globalThis.gc === undefined) {
  // The allocation and heap measurements need global.gc(), so restart with --expose-gc.
  const child = spawn(
    process.execPath,
    [...process.execArgv, '--expose-gc', process.argv[1]!, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  )
  child.on('exit', (code, signal) => {
    // A child killed by a signal exits the way shells report it: 128 plus the signal number.
    process.exitCode = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0))
  })
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: failed: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exitCode = 1
  })
}
