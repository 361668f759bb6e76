/**
 * `pnpm demo`: ASAP end to end on this machine.
 *
 * With no configuration it generates a key pair, publishes the public key in a key repository on
 * 127.0.0.1, starts two resource services that verify every request, and calls them through
 * axios, undici and Node's fetch with one shared token provider. A third service is left out of
 * the audience map, so its call carries no token and is refused. The process exits with 0 when
 * every call behaved as expected.
 *
 * With `ASAP_DEMO_TARGET_URL` set, it signs with the key from the `ASAP_*` variables instead and
 * calls that URL (see `runAgainstTarget`).
 */

import { generateKeyPairSync } from 'node:crypto'
import { withAsap } from '@asap-auth/axios'
import {
  type Audience,
  createTokenProvider,
  signerOptionsFromEnv,
  type TokenProvider,
} from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import axios from 'axios'
import { Agent, getGlobalDispatcher, setGlobalDispatcher, request as undiciRequest } from 'undici'
import { startKeyRepository } from './support/key-repository.js'
import {
  type ResourceService,
  type ServiceReply,
  startResourceService,
} from './support/services.js'

const ISSUER = 'demo-client'
const KEY_ID = 'demo-client/key-1'
const CALLS_PER_CLIENT_AND_SERVICE = 2
const ROUNDS = 2

type Client = 'axios' | 'undici' | 'fetch'

/** One call of the demo and what came back. */
interface CallResult {
  round: number
  client: Client
  service: string
  status: number
  reply: ServiceReply | undefined
}

/** Sends a GET request through one client and returns the status and the parsed body. */
type Caller = (url: string) => Promise<{ status: number; body: string }>

function createCallers(provider: TokenProvider, audience: Record<string, Audience>) {
  const axiosInstance = axios.create({ validateStatus: () => true, responseType: 'text' })
  withAsap(axiosInstance, { provider, audience })

  const agent = new Agent().compose(asap({ provider, audience }))

  const callers: Record<Client, Caller> = {
    axios: async (url) => {
      const response = await axiosInstance.get<string>(url)
      return { status: response.status, body: response.data }
    },
    undici: async (url) => {
      const response = await undiciRequest(url, { dispatcher: agent })
      return { status: response.statusCode, body: await response.body.text() }
    },
    // Node's own fetch goes through the global dispatcher, which run() replaces with `agent`.
    fetch: async (url) => {
      const response = await fetch(url)
      return { status: response.status, body: await response.text() }
    },
  }
  return { callers, agent }
}

async function call(
  round: number,
  client: Client,
  caller: Caller,
  service: ResourceService,
): Promise<CallResult> {
  const { status, body } = await caller(`${service.origin}/hello`)
  const reply = status === 200 ? (JSON.parse(body) as ServiceReply) : undefined
  return { round, client, service: service.name, status, reply }
}

function printTable(rows: readonly string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const line = (row: readonly string[]) =>
    row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')
  console.log(line(rows[0]!))
  console.log(widths.map((width) => '-'.repeat(width)).join('  '))
  for (const row of rows.slice(1)) {
    console.log(line(row))
  }
}

/** Returns `2 signings` or `1 signing`. */
function count(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`
}

/** Describes each call's token as new (first use of its `jti`) or reused. */
function tokenUse(results: readonly CallResult[]): string[] {
  const seen = new Set<string>()
  return results.map((result) => {
    const jti = result.reply?.jti
    if (jti === undefined) {
      return 'none'
    }
    const use = seen.has(jti) ? 'reused' : 'signed'
    seen.add(jti)
    return use
  })
}

async function runLocalDemo(): Promise<boolean> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const repository = await startKeyRepository()
  repository.publish(KEY_ID, publicKey.export({ type: 'spki', format: 'pem' }) as string)

  const invoices = await startResourceService('invoices', 'invoices-service', repository.url)
  const search = await startResourceService('search', 'search-service', repository.url)
  const reports = await startResourceService('reports', 'reports-service', repository.url)
  const services = [invoices, search, reports]

  const provider = createTokenProvider({ issuer: ISSUER, keyId: KEY_ID, privateKey })
  // The reports service is deliberately missing: requests to it must carry no token.
  const audience = {
    [invoices.origin]: invoices.audience,
    [search.origin]: search.audience,
  }
  const { callers, agent } = createCallers(provider, audience)
  const previousDispatcher = getGlobalDispatcher()
  setGlobalDispatcher(agent)

  console.log(`Key repository: ${repository.url} (serves ${KEY_ID})`)
  for (const service of services) {
    const mapped =
      service === reports ? 'not mapped: gets no token' : `audience ${service.audience}`
    console.log(`Service ${service.name.padEnd(8)} ${service.origin} (${mapped})`)
  }
  console.log('')

  try {
    // Round 1 starts on a cold cache: the concurrent calls share one signing per audience.
    // Round 2 finds both tokens cached.
    const results: CallResult[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const calls: Promise<CallResult>[] = []
      for (const client of Object.keys(callers) as Client[]) {
        for (const service of [invoices, search]) {
          for (let index = 0; index < CALLS_PER_CLIENT_AND_SERVICE; index++) {
            calls.push(call(round, client, callers[client], service))
          }
        }
      }
      results.push(...(await Promise.all(calls)))
    }
    results.push(await call(ROUNDS, 'axios', callers.axios, reports))

    const uses = tokenUse(results)
    printTable([
      ['round', 'client', 'service', 'status', 'verified audience', 'verified subject', 'token'],
      ...results.map((result, index) => [
        String(result.round),
        result.client,
        result.service,
        String(result.status),
        result.reply === undefined ? '-' : String(result.reply.audience),
        result.reply?.subject ?? '-',
        uses[index]!,
      ]),
    ])

    const stats = provider.stats()
    const requests = results.length - 1
    console.log('')
    console.log(
      `Provider: ${count(stats.signed, 'signing')} for ${requests} signed requests. ` +
        `${stats.reused} found a cached token, ${stats.joined} waited for a signing in progress, ` +
        `${count(stats.failed, 'signing')} failed.`,
    )

    const problems = checkLocalResults(results, services, stats.signed)
    for (const problem of problems) {
      console.error(`Unexpected: ${problem}`)
    }
    console.log(problems.length === 0 ? 'Every call behaved as expected.' : 'The demo FAILED.')
    return problems.length === 0
  } finally {
    setGlobalDispatcher(previousDispatcher)
    await agent.close()
    await Promise.all([...services.map((service) => service.close()), repository.close()])
  }
}

function checkLocalResults(
  results: readonly CallResult[],
  services: readonly ResourceService[],
  signed: number,
): string[] {
  const problems: string[] = []
  for (const result of results) {
    if (result.service === 'reports') {
      if (result.status !== 401) {
        problems.push(`the unmapped reports service answered ${result.status}, expected 401`)
      }
      continue
    }
    const service = services.find((candidate) => candidate.name === result.service)!
    if (result.status !== 200) {
      problems.push(`${result.client} to ${result.service} answered ${result.status}, expected 200`)
    } else if (result.reply?.audience !== service.audience || result.reply.subject !== ISSUER) {
      problems.push(`${result.client} to ${result.service} verified the wrong audience or subject`)
    }
  }
  const reports = services.find((service) => service.name === 'reports')!
  if (reports.hits.some((hit) => hit.hadAuthorization)) {
    problems.push('the unmapped reports service received an Authorization header')
  }
  if (signed !== 2) {
    problems.push(`the provider signed ${signed} tokens, expected 2 (one per audience)`)
  }
  return problems
}

/**
 * Calls `ASAP_DEMO_TARGET_URL` through axios, undici and fetch with a token signed by the key in
 * the `ASAP_*` variables, for the audience in `ASAP_AUDIENCE`, and prints each status.
 */
async function runAgainstTarget(target: string): Promise<boolean> {
  const options = signerOptionsFromEnv()
  const audience = options.audience
  if (audience === undefined) {
    console.error('Set ASAP_AUDIENCE to the audience of the service at ASAP_DEMO_TARGET_URL.')
    return false
  }
  const provider = createTokenProvider(options)
  const origin = new URL(target).origin
  const { callers, agent } = createCallers(provider, { [origin]: audience })
  const previousDispatcher = getGlobalDispatcher()
  setGlobalDispatcher(agent)

  try {
    const rows = [['client', 'url', 'status']]
    let ok = true
    for (const client of Object.keys(callers) as Client[]) {
      let status: string
      try {
        status = String((await callers[client](target)).status)
      } catch (error) {
        status = `failed: ${(error as Error).message}`
      }
      ok &&= /^2\d\d$/.test(status)
      rows.push([client, target, status])
    }
    printTable(rows)
    const stats = provider.stats()
    console.log(`\nProvider: ${count(stats.signed, 'signing')} for ${rows.length - 1} requests`)
    if (!ok) {
      console.log(
        'A 401 usually means a wrong ASAP_AUDIENCE, a key ID not published in the key repository, or clock skew: see "Troubleshooting a 401" in the README.',
      )
    }
    return ok
  } finally {
    setGlobalDispatcher(previousDispatcher)
    await agent.close()
  }
}

const target = process.env.ASAP_DEMO_TARGET_URL
const ok = await (target ? runAgainstTarget(target) : runLocalDemo())
process.exitCode = ok ? 0 : 1
