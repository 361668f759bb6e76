import type { AudienceTarget } from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import { Agent, type Dispatcher, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ISSUER,
  newProvider,
  recordDispatches,
  type SeenDispatch,
  startVerifyingServer,
} from './helpers/fixtures.js'
import type { TestServer } from './helpers/server.js'

let billing: TestServer
let ledger: TestServer
let unmapped: TestServer
let agents: Dispatcher[] = []

beforeAll(async () => {
  billing = await startVerifyingServer('billing')
  ledger = await startVerifyingServer('ledger')
  unmapped = await startVerifyingServer('unmapped')
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  for (const server of [billing, ledger, unmapped]) {
    server.requests.length = 0
  }
})

afterAll(async () => {
  await Promise.all([billing.close(), ledger.close(), unmapped.close()])
})

function newAgent(): Agent {
  const agent = new Agent()
  agents.push(agent)
  return agent
}

async function get(dispatcher: Dispatcher, url: string, options: object = {}): Promise<number> {
  const response = await request(url, { dispatcher, ...options })
  await response.body.dump()
  return response.statusCode
}

describe('origin mapping', () => {
  it('each origin gets its own audience', async () => {
    const provider = newProvider()
    const dispatcher = newAgent().compose(
      asap({ provider, audience: { [billing.origin]: 'billing', [ledger.origin]: 'ledger' } }),
    )

    expect(await get(dispatcher, `${billing.origin}/1`)).toBe(200)
    expect(await get(dispatcher, `${ledger.origin}/1`)).toBe(200)
    expect(await get(dispatcher, `${billing.origin}/2`)).toBe(200)

    expect(billing.requests.map((received) => received.claims?.aud)).toEqual(['billing', 'billing'])
    expect(ledger.requests.map((received) => received.claims?.aud)).toEqual(['ledger'])
    expect(billing.requests[0]!.authorizations[0]).not.toBe(ledger.requests[0]!.authorizations[0])
    expect(provider.stats()).toMatchObject({ signed: 2, reused: 1 })
  })

  it('unmapped origin passes through untouched', async () => {
    const provider = newProvider()
    const seen: SeenDispatch[] = []
    const dispatcher = newAgent().compose(
      recordDispatches(seen),
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )
    const opts: Dispatcher.DispatchOptions = {
      origin: unmapped.origin,
      path: '/plain',
      method: 'GET',
      headers: { 'x-trace': 'abc' },
    }

    const response = await dispatcher.request(opts)
    await response.body.dump()

    expect(seen).toHaveLength(1)
    expect(seen[0]!.opts).toBe(opts)
    expect(unmapped.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(0)
  })

  it('audience function picks the audience', async () => {
    const provider = newProvider()
    const targets: AudienceTarget[] = []
    const dispatcher = newAgent().compose(
      asap({
        provider,
        audience: (target) => {
          targets.push(target)
          return target.origin === ledger.origin && target.path.startsWith('/api/')
            ? 'ledger'
            : undefined
        },
      }),
    )

    await get(dispatcher, `${ledger.origin}/api/entries?page=2`, { method: 'POST', body: 'x' })
    await get(dispatcher, `${ledger.origin}/public`)

    expect(targets).toEqual([
      { origin: ledger.origin, path: '/api/entries?page=2', method: 'POST' },
      { origin: ledger.origin, path: '/public', method: 'GET' },
    ])
    expect(ledger.requests[0]!.claims?.aud).toBe('ledger')
    expect(ledger.requests[1]!.authorizations).toEqual([])
  })

  it('500 concurrent cold requests sign once', async () => {
    const provider = newProvider()
    const dispatcher = newAgent().compose(
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )

    const statuses = await Promise.all(
      Array.from({ length: 500 }, (_, index) => get(dispatcher, `${billing.origin}/n/${index}`)),
    )

    expect(statuses.every((status) => status === 200)).toBe(true)
    expect(billing.requests).toHaveLength(500)
    expect(new Set(billing.requests.map((received) => received.authorizations[0])).size).toBe(1)
    expect(billing.requests.every((received) => received.authorizations.length === 1)).toBe(true)
    expect(provider.stats()).toMatchObject({ signed: 1, failed: 0 })
  })

  it('test server rejects a forged token', async () => {
    const dispatcher = newAgent()

    const status = await get(dispatcher, `${billing.origin}/forged`, {
      headers: { authorization: 'Bearer e30.e30.c2ln' },
    })

    expect(status).toBe(401)
    expect(billing.requests[0]!.rejection).toBeDefined()
  })

  it('test server rejects another audience', async () => {
    const provider = newProvider()
    const token = await provider.getAuthorizationHeader('ledger')

    const status = await get(newAgent(), `${billing.origin}/wrong-audience`, {
      headers: { authorization: token },
    })

    expect(status).toBe(401)
    expect(billing.requests[0]!.rejection).toMatch(/aud/)
  })
})

describe('per-request opts.asap', () => {
  it('false sends no token', async () => {
    const provider = newProvider()
    const seen: SeenDispatch[] = []
    const dispatcher = newAgent().compose(
      recordDispatches(seen),
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )

    await get(dispatcher, `${billing.origin}/opt-out`, { asap: false })

    expect(billing.requests[0]!.authorizations).toEqual([])
    expect('asap' in seen[0]!.opts).toBe(false)
    expect(provider.stats().signed).toBe(0)
  })

  it('object sets audience, subject and claims', async () => {
    const provider = newProvider()
    const seen: SeenDispatch[] = []
    const dispatcher = newAgent().compose(
      recordDispatches(seen),
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )

    await get(dispatcher, `${billing.origin}/override`, {
      asap: { audience: ['billing', 'audit'], subject: ISSUER, claims: { tenant: 't-1' } },
    })
    await get(dispatcher, `${billing.origin}/plain`)

    expect('asap' in seen[0]!.opts).toBe(false)
    expect(billing.requests[0]!.claims).toMatchObject({
      aud: ['billing', 'audit'],
      sub: ISSUER,
      tenant: 't-1',
    })
    expect(billing.requests[1]!.claims?.aud).toBe('billing')
    expect(billing.requests[1]!.claims?.tenant).toBeUndefined()
    expect(provider.stats().signed).toBe(2)
  })

  it('audience for unmapped origin fails', async () => {
    const provider = newProvider()
    const dispatcher = newAgent().compose(
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )

    const error = await request(`${unmapped.origin}/x`, {
      dispatcher,
      asap: { audience: 'unmapped' },
    }).catch((caught: unknown) => caught)

    expect(error).toMatchObject({
      name: 'AsapOriginNotMappedError',
      code: 'ERR_ASAP_ORIGIN_NOT_MAPPED',
      field: 'asap.audience',
    })
    expect(unmapped.requests).toHaveLength(0)
    expect(provider.stats().signed).toBe(0)
  })

  it('invalid value fails unsent', async () => {
    const provider = newProvider()
    const dispatcher = newAgent().compose(
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )

    const error = await request(`${billing.origin}/x`, {
      dispatcher,
      asap: true as unknown as false,
    }).catch((caught: unknown) => caught)

    expect(error).toMatchObject({ code: 'ERR_ASAP_OPTION_INVALID', field: 'asap' })
    expect(billing.requests).toHaveLength(0)
  })

  it('removed for unmapped origins too', async () => {
    const provider = newProvider()
    const seen: SeenDispatch[] = []
    const dispatcher = newAgent().compose(
      recordDispatches(seen),
      asap({ provider, audience: { [billing.origin]: 'billing' } }),
    )

    await get(dispatcher, `${unmapped.origin}/x`, { asap: { subject: ISSUER } })

    expect('asap' in seen[0]!.opts).toBe(false)
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })
})
