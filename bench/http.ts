/**
 * Part 3: the per-request cost of the interceptors, as requests per second to a local HTTP
 * server and as client CPU time per request, for the variants of `http-variants.ts`.
 *
 * @module
 */

import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createTokenProvider } from '@asap-auth/core'
import { measureOtherCpu } from './environment.js'
import { AUDIENCE, type KeySet, signerOptions } from './fixtures.js'
import {
  CACHED_VARIANT,
  createAxiosVariant,
  createUndiciVariant,
  MINIMAL_INTERCEPTOR_VARIANT,
  SIGNING_VARIANT,
  type Variant,
  variantPlans,
  WITHOUT_TOKEN,
} from './http-variants.js'
import { type Summary, summarize } from './stats.js'

/** How long part 3 runs. */
export interface HttpBudget {
  /** Measured rounds per variant; one unmeasured warm-up round runs first. */
  readonly rounds: number
  /** Length of one round of one variant, in milliseconds. */
  readonly roundMs: number
  /** Requests in flight at once, each on its own keep-alive connection. */
  readonly concurrency: number
}

/** One variant measured against another, round by round. */
export interface Comparison {
  /** This variant's requests per second divided by the other's in the same round. */
  readonly ratio: Summary
  /** Client CPU time per request minus the other's in the same round, in microseconds. */
  readonly addedCpuUs: Summary
}

/** Results of one variant of one client. Every summary is taken over the rounds. */
export interface HttpRow {
  readonly client: 'undici' | 'axios'
  readonly variant: string
  /** Requests per second. */
  readonly rate: Summary
  /**
   * CPU time of the client process per request (user and system, all threads), in microseconds.
   * The server runs in another process and is not counted.
   */
  readonly cpuUs: Summary
  /** Compared with the client that sends no token. */
  readonly versusWithout: Comparison
  /** Compared with the minimal interceptor; only for the ASAP variants. */
  readonly versusMinimal: Comparison | undefined
}

/** Results of part 3. */
export interface HttpResult {
  readonly rows: readonly HttpRow[]
  readonly budget: HttpBudget
  /** Share of the machine's CPU time that other processes used during part 3, from 0 to 1. */
  readonly otherCpuShare: number | undefined
}

interface Server {
  readonly origin: string
  stop(): Promise<void>
}

async function startServer(): Promise<Server> {
  const child = fork(new URL('./http-server.ts', import.meta.url), [], { stdio: 'inherit' })
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`The benchmark HTTP server exited with code ${code} before it listened.`)
    }),
  ])) as [{ port: number }]
  return {
    origin: `http://127.0.0.1:${message.port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return
      }
      const exited = once(child, 'exit')
      if (child.connected) {
        child.disconnect()
      } else {
        child.kill()
      }
      await exited
    },
  }
}

/** The outcome of one round of one variant. */
interface Round {
  /** Requests per second. */
  readonly rate: number
  /** Client CPU time per request, in microseconds. */
  readonly cpuUs: number
}

/** Sends requests from `budget.concurrency` loops for one round. */
async function runRound(variant: Variant, budget: HttpBudget): Promise<Round> {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const deadline = start + budget.roundMs
  let completed = 0
  const loop = async () => {
    while (performance.now() < deadline) {
      await variant.send()
      completed++
    }
  }
  await Promise.all(Array.from({ length: budget.concurrency }, loop))
  const cpu = process.cpuUsage(cpuStart)
  return {
    rate: completed / ((performance.now() - start) / 1000),
    cpuUs: (cpu.user + cpu.system) / completed,
  }
}

/** Sends one request per variant and checks that the server saw the expected header. */
async function checkVariants(client: string, variants: readonly Variant[]): Promise<void> {
  for (const variant of variants) {
    const seen = await variant.send()
    const expected = variant.authorized ? 'present' : 'absent'
    if (seen !== expected) {
      throw new Error(
        `${client} ${variant.name}: the server saw the Authorization header ${seen ?? 'unreported'}, expected ${expected}.`,
      )
    }
  }
}

/**
 * Returns the order in which the variants run in `round`. Rounds alternate between forward and
 * backward (A, B, C, C, B, A, ...), so that no variant always runs right after the same one.
 */
function roundOrder(count: number, round: number): number[] {
  const forward = Array.from({ length: count }, (_, index) => index)
  return round % 2 === 0 ? forward : forward.reverse()
}

/**
 * Runs the variants in interleaved rounds, so that a drift of the machine's speed affects every
 * variant alike. Each variant is compared with the one that sends no token, and the ASAP
 * variants also with the minimal interceptor, round by round.
 */
async function compareVariants(
  client: HttpRow['client'],
  variants: readonly Variant[],
  budget: HttpBudget,
): Promise<HttpRow[]> {
  await checkVariants(client, variants)
  const rounds: Round[][] = variants.map(() => [])
  for (let round = 0; round <= budget.rounds; round++) {
    for (const index of roundOrder(variants.length, round)) {
      // Start each round with an empty young generation, so that no round pays for the garbage
      // of the round before.
      globalThis.gc?.()
      const result = await runRound(variants[index]!, budget)
      // Round 0 warms up the JIT, the connections and the token cache; it is not reported.
      if (round > 0) {
        rounds[index]!.push(result)
      }
    }
  }

  const compare = (own: readonly Round[], other: readonly Round[]): Comparison => ({
    ratio: summarize(own.map((round, i) => round.rate / other[i]!.rate)),
    addedCpuUs: summarize(own.map((round, i) => round.cpuUs - other[i]!.cpuUs)),
  })
  const roundsOf = (name: string) => rounds[variants.findIndex((variant) => variant.name === name)]!
  const without = roundsOf(WITHOUT_TOKEN)
  const minimal = roundsOf(MINIMAL_INTERCEPTOR_VARIANT)
  return variants.map((variant, index) => {
    const own = rounds[index]!
    const isAsap = variant.name === CACHED_VARIANT || variant.name === SIGNING_VARIANT
    return {
      client,
      variant: variant.name,
      rate: summarize(own.map((round) => round.rate)),
      cpuUs: summarize(own.map((round) => round.cpuUs)),
      versusWithout: compare(own, without),
      versusMinimal: isAsap ? compare(own, minimal) : undefined,
    }
  })
}

/**
 * Measures undici and axios against a keep-alive HTTP server in a child process. Tokens are
 * RS256: a shared provider with the default cache, and a provider with `cache: false` that signs
 * for every request.
 */
export async function benchHttp(keys: KeySet, budget: HttpBudget): Promise<HttpResult> {
  const otherCpu = measureOtherCpu()
  const server = await startServer()
  const cached = createTokenProvider(signerOptions(keys, 'RS256'))
  const uncached = createTokenProvider(signerOptions(keys, 'RS256'), { cache: false })
  const header = await cached.getAuthorizationHeader(AUDIENCE)
  const rows: HttpRow[] = []
  try {
    for (const [client, create] of [
      ['undici', createUndiciVariant],
      ['axios', createAxiosVariant],
    ] as const) {
      const plans = variantPlans(cached, uncached, header)
      const variants = plans.map((plan) => create(server.origin, plan))
      try {
        rows.push(...(await compareVariants(client, variants, budget)))
      } finally {
        await Promise.all(variants.map((variant) => variant.close()))
      }
    }
  } finally {
    await server.stop()
  }
  return { rows, budget, otherCpuShare: otherCpu() }
}
