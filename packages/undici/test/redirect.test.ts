import { asap } from '@asap-auth/undici'
import {
  Agent,
  type Dispatcher,
  getGlobalDispatcher,
  interceptors,
  request,
  setGlobalDispatcher,
  fetch as undiciFetch,
} from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { newProvider, startVerifyingServer } from './helpers/fixtures.js'
import type { Responder, TestServer } from './helpers/server.js'

/** Mapped to audience `billing`; redirects `/to-<name>` to `<server>/landing`. */
let first: TestServer
/** Mapped to audience `ledger`. */
let mapped: TestServer
/** Not mapped. */
let unmapped: TestServer
let agents: Dispatcher[] = []

const redirecting: Responder = (received, response, self) => {
  const targets: Record<string, TestServer> = {
    '/to-mapped': mapped,
    '/to-unmapped': unmapped,
    '/to-same': self,
  }
  const target = targets[received.path]
  if (target !== undefined) {
    response.writeHead(302, { location: `${target.origin}/landing` }).end('moved')
    return
  }
  response.writeHead(200).end(`landed with ${received.claims?.aud ?? 'no token'}`)
}

const denying: Responder = (_received, response) => {
  response.writeHead(401, { 'www-authenticate': 'Bearer' }).end('denied')
}

beforeAll(async () => {
  first = await startVerifyingServer('billing', redirecting)
  mapped = await startVerifyingServer('ledger')
  unmapped = await startVerifyingServer('unmapped')
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  for (const server of [first, mapped, unmapped]) {
    server.requests.length = 0
  }
  mapped.respondWith(undefined)
})

afterAll(async () => {
  await Promise.all([first.close(), mapped.close(), unmapped.close()])
})

type Order = 'redirect outermost' | 'asap outermost'

function compose(
  order: Order,
  extra: { replaceAuthorization?: boolean; signCrossOriginRedirects?: boolean } = {},
) {
  const provider = newProvider()
  const agent = new Agent()
  agents.push(agent)
  const auth = asap({
    provider,
    audience: { [first.origin]: 'billing', [mapped.origin]: 'ledger' },
    ...extra,
  })
  const redirect = interceptors.redirect({ maxRedirections: 3 })
  // The last interceptor passed to compose() is the outermost one.
  const dispatcher =
    order === 'redirect outermost' ? agent.compose(auth, redirect) : agent.compose(redirect, auth)
  return { provider, dispatcher }
}

async function follow(dispatcher: Dispatcher, path: string, options: object = {}) {
  const response = await request(`${first.origin}${path}`, { dispatcher, ...options })
  return { status: response.statusCode, body: await response.body.text() }
}

function audiences(server: TestServer): unknown[] {
  return server.requests.map((received) =>
    received.authorizations.length === 0 ? 'none' : (received.claims?.aud ?? 'invalid'),
  )
}

describe('redirect interceptor, redirect outermost', () => {
  it('cross-origin hop gets no token by default', async () => {
    const { dispatcher, provider } = compose('redirect outermost')

    const result = await follow(dispatcher, '/to-mapped')

    expect(result).toEqual({ status: 200, body: '{"server":"ledger","aud":null}' })
    expect(audiences(first)).toEqual(['billing'])
    expect(mapped.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(1)
  })

  it('signCrossOriginRedirects: hop gets its own token', async () => {
    const { dispatcher } = compose('redirect outermost', { signCrossOriginRedirects: true })

    const result = await follow(dispatcher, '/to-mapped')

    expect(result.status).toBe(200)
    expect(audiences(first)).toEqual(['billing'])
    expect(audiences(mapped)).toEqual(['ledger'])
    expect(mapped.requests[0]!.authorizations).toHaveLength(1)
    expect(mapped.requests[0]!.authorizations[0]).not.toBe(first.requests[0]!.authorizations[0])
  })

  it('unmapped hop gets no token', async () => {
    const { dispatcher } = compose('redirect outermost')

    const result = await follow(dispatcher, '/to-unmapped')

    expect(result.status).toBe(200)
    expect(audiences(first)).toEqual(['billing'])
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  it('keeps the token on a same-origin redirect', async () => {
    const { dispatcher } = compose('redirect outermost')

    const result = await follow(dispatcher, '/to-same')

    expect(result).toEqual({ status: 200, body: 'landed with billing' })
    expect(audiences(first)).toEqual(['billing', 'billing'])
  })

  it("caller's Authorization replaced across origins", async () => {
    const { dispatcher } = compose('redirect outermost', { signCrossOriginRedirects: true })

    await follow(dispatcher, '/to-mapped', { headers: { Authorization: 'Bearer caller-token' } })
    await follow(dispatcher, '/to-unmapped', { headers: { Authorization: 'Bearer caller-token' } })

    expect(first.requests.map((received) => received.authorizations)).toEqual([
      ['Bearer caller-token'],
      ['Bearer caller-token'],
    ])
    expect(audiences(mapped)).toEqual(['ledger'])
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })
})

describe('redirect interceptor, asap outermost', () => {
  it('cross-origin hop gets no token', async () => {
    const { dispatcher } = compose('asap outermost')

    const result = await follow(dispatcher, '/to-mapped')

    expect(result.status).toBe(200)
    expect(audiences(first)).toEqual(['billing'])
    expect(mapped.requests[0]!.authorizations).toEqual([])
  })

  it('unmapped hop gets no token', async () => {
    const { dispatcher } = compose('asap outermost')

    await follow(dispatcher, '/to-unmapped')

    expect(audiences(first)).toEqual(['billing'])
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  it('keeps the token on a same-origin redirect', async () => {
    const { dispatcher } = compose('asap outermost')

    const result = await follow(dispatcher, '/to-same')

    expect(result).toEqual({ status: 200, body: 'landed with billing' })
    expect(audiences(first)).toEqual(['billing', 'billing'])
  })

  it('ignores 401 from another origin', async () => {
    mapped.respondWith(denying)
    const { provider, dispatcher } = compose('asap outermost')

    const denied = await follow(dispatcher, '/to-mapped')
    const again = await follow(dispatcher, '/to-same')

    expect(denied).toEqual({ status: 401, body: 'denied' })
    expect(mapped.requests).toHaveLength(1)
    expect(again.status).toBe(200)
    expect(new Set(first.requests.map((received) => received.authorizations[0])).size).toBe(1)
    expect(provider.stats().signed).toBe(1)
  })
})

describe('fetch follows redirects itself', () => {
  function composeForFetch() {
    const provider = newProvider()
    const agent = new Agent()
    agents.push(agent)
    const dispatcher = agent.compose(
      asap({ provider, audience: { [first.origin]: 'billing', [mapped.origin]: 'ledger' } }),
    )
    return dispatcher
  }

  it("undici's fetch signs each hop", async () => {
    const dispatcher = composeForFetch()

    const toMapped = await undiciFetch(`${first.origin}/to-mapped`, { dispatcher })
    await toMapped.arrayBuffer()
    const toUnmapped = await undiciFetch(`${first.origin}/to-unmapped`, { dispatcher })
    await toUnmapped.arrayBuffer()

    expect(toMapped.status).toBe(200)
    expect(toUnmapped.status).toBe(200)
    expect(audiences(first)).toEqual(['billing', 'billing'])
    expect(audiences(mapped)).toEqual(['ledger'])
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  it("Node's fetch signs each hop", async () => {
    const previous = getGlobalDispatcher()
    setGlobalDispatcher(composeForFetch())
    try {
      const toMapped = await globalThis.fetch(`${first.origin}/to-mapped`)
      await toMapped.arrayBuffer()
      const toUnmapped = await globalThis.fetch(`${first.origin}/to-unmapped`)
      await toUnmapped.arrayBuffer()

      expect(toMapped.status).toBe(200)
      expect(toUnmapped.status).toBe(200)
    } finally {
      setGlobalDispatcher(previous)
    }
    expect(audiences(first)).toEqual(['billing', 'billing'])
    expect(audiences(mapped)).toEqual(['ledger'])
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  it("fetch drops the caller's Authorization across origins", async () => {
    const dispatcher = composeForFetch()

    const response = await undiciFetch(`${first.origin}/to-unmapped`, {
      dispatcher,
      headers: { authorization: 'Bearer caller-token' },
    })
    await response.arrayBuffer()

    expect(first.requests[0]!.authorizations).toEqual(['Bearer caller-token'])
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })
})
