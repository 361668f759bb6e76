import { Writable } from 'node:stream'
import { asap } from '@asap-auth/undici'
import {
  Agent,
  Client,
  type Dispatcher,
  getGlobalDispatcher,
  Pool,
  request,
  setGlobalDispatcher,
  stream,
  fetch as undiciFetch,
} from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ISSUER,
  KEY_ID,
  newProvider,
  recordDispatches,
  type SeenDispatch,
  startVerifyingServer,
} from './helpers/fixtures.js'
import type { ReceivedRequest, TestServer } from './helpers/server.js'

let server: TestServer
const closers: (() => Promise<void>)[] = []

beforeAll(async () => {
  server = await startVerifyingServer('billing')
})

afterEach(async () => {
  for (const close of closers.splice(0)) {
    await close()
  }
  server.requests.length = 0
})

afterAll(async () => {
  await server.close()
})

function track<T extends Dispatcher>(dispatcher: T): T {
  closers.push(() => dispatcher.close())
  return dispatcher
}

function expectOneValidToken(received: ReceivedRequest | undefined): void {
  expect(received).toBeDefined()
  expect(received!.authorizations).toHaveLength(1)
  expect(received!.rejection).toBeUndefined()
  expect(received!.claims).toMatchObject({ iss: ISSUER, sub: ISSUER, aud: 'billing' })
  expect(received!.header).toMatchObject({ alg: 'ES256', kid: KEY_ID, typ: 'JWT' })
}

function composedAgent() {
  const provider = newProvider()
  const agent = track(new Agent()).compose(
    asap({ provider, audience: { [server.origin]: 'billing' } }),
  )
  return { provider, agent }
}

describe('undici entry points', () => {
  it('request() sends and reuses token', async () => {
    const { provider, agent } = composedAgent()

    const first = await request(`${server.origin}/a`, { dispatcher: agent })
    const second = await request(`${server.origin}/b`, { dispatcher: agent })

    expect(first.statusCode).toBe(200)
    expect(await first.body.json()).toEqual({ server: 'billing', aud: 'billing' })
    expect(second.statusCode).toBe(200)
    await second.body.dump()
    expect(server.requests).toHaveLength(2)
    expectOneValidToken(server.requests[0])
    expectOneValidToken(server.requests[1])
    expect(server.requests[1]!.authorizations[0]).toBe(server.requests[0]!.authorizations[0])
    expect(provider.stats().signed).toBe(1)
  })

  it('stream() sends one verified token', async () => {
    const { agent } = composedAgent()
    const chunks: Buffer[] = []

    const result = await stream<Buffer[]>(
      `${server.origin}/stream`,
      { dispatcher: agent, method: 'GET', opaque: chunks },
      ({ opaque }) =>
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            opaque.push(chunk)
            callback()
          },
        }),
    )

    expect(result.opaque).toBe(chunks)
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual({
      server: 'billing',
      aud: 'billing',
    })
    expect(server.requests).toHaveLength(1)
    expectOneValidToken(server.requests[0])
  })

  it("undici's fetch() sends one verified token", async () => {
    const { agent } = composedAgent()

    const response = await undiciFetch(`${server.origin}/fetch`, { dispatcher: agent })

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ server: 'billing', aud: 'billing' })
    expectOneValidToken(server.requests[0])
  })

  it('waits for signing only on a cold cache', async () => {
    const provider = newProvider()
    const inner: SeenDispatch[] = []
    const returned: { result: boolean; forwarded: number }[] = []
    const agent = track(new Agent()).compose(
      recordDispatches(inner),
      asap({ provider, audience: { [server.origin]: 'billing' } }),
      (dispatch) =>
        // Outermost: records what the ASAP interceptor returned and what it had forwarded by then.
        function spyInterceptor(opts, handler) {
          const result = dispatch(opts, handler)
          returned.push({ result, forwarded: inner.length })
          return result
        },
    )

    const cold = await request(`${server.origin}/cold`, { dispatcher: agent })
    await cold.body.dump()
    const cached = await request(`${server.origin}/cached`, { dispatcher: agent })
    await cached.body.dump()

    expect(returned).toEqual([
      { result: true, forwarded: 0 },
      { result: true, forwarded: 2 },
    ])
    expect(inner).toHaveLength(2)
    expectOneValidToken(server.requests[0])
    expectOneValidToken(server.requests[1])
    expect(provider.stats()).toMatchObject({ signed: 1, reused: 1 })
  })
})

describe('Pool and Client', () => {
  for (const [name, create] of [
    ['Pool', (origin: string) => new Pool(origin)],
    ['Client', (origin: string) => new Client(origin)],
  ] as const) {
    it(`${name} with origin option signs requests`, async () => {
      const provider = newProvider()
      const dispatcher = track(create(server.origin)).compose(
        asap({ provider, audience: { [server.origin]: 'billing' }, origin: server.origin }),
      )

      const direct = await dispatcher.request({ path: '/direct', method: 'GET' })
      await direct.body.dump()
      const viaRequest = await request(`${server.origin}/via-request`, { dispatcher })
      await viaRequest.body.dump()

      expect(direct.statusCode).toBe(200)
      expect(viaRequest.statusCode).toBe(200)
      expect(server.requests.map((received) => received.path)).toEqual(['/direct', '/via-request'])
      expectOneValidToken(server.requests[0])
      expectOneValidToken(server.requests[1])
    })

    it(`${name} without origin option needs opts.origin`, async () => {
      const provider = newProvider()
      const dispatcher = track(create(server.origin)).compose(
        asap({ provider, audience: { [server.origin]: 'billing' } }),
      )

      const direct = await dispatcher.request({ path: '/direct', method: 'GET' })
      await direct.body.dump()
      const named = await dispatcher.request({
        origin: server.origin,
        path: '/named',
        method: 'GET',
      })
      await named.body.dump()

      expect(server.requests[0]!.authorizations).toEqual([])
      expectOneValidToken(server.requests[1])
      expect(provider.stats().signed).toBe(1)
    })

    it(`${name} ignores a foreign opts.origin`, async () => {
      const provider = newProvider()
      const other = 'http://127.0.0.2:1'
      const dispatcher = track(create(server.origin)).compose(
        asap({
          provider,
          audience: { [server.origin]: 'billing', [other]: 'elsewhere' },
          origin: server.origin,
        }),
      )

      // A Client or Pool sends this to its own origin, whatever opts.origin names.
      const response = await dispatcher.request({ origin: other, path: '/other', method: 'GET' })
      await response.body.dump()

      expect(server.requests).toHaveLength(1)
      expect(server.requests[0]!.authorizations).toEqual([])
      expect(provider.stats().signed).toBe(0)
    })
  }

  it('factory reads a second origin argument', async () => {
    const provider = newProvider()
    const interceptor = asap({ provider, audience: { [server.origin]: 'billing' } })
    // undici 8 calls interceptor(dispatch, origin) for a Client or Pool; undici 7 cannot, so the
    // call is made here by hand.
    const client = track(new Client(server.origin)).compose((dispatch) =>
      interceptor(
        dispatch,
        // @ts-expect-error undici 7 types declare one parameter
        server.origin,
      ),
    )

    const response = await client.request({ path: '/v8', method: 'GET' })
    await response.body.dump()

    expectOneValidToken(server.requests[0])
  })
})

describe('global dispatcher', () => {
  let previous: Dispatcher

  beforeAll(() => {
    previous = getGlobalDispatcher()
  })

  afterEach(() => {
    setGlobalDispatcher(previous)
  })

  it("Node's fetch signs via setGlobalDispatcher", async () => {
    const { agent } = composedAgent()
    setGlobalDispatcher(agent)

    const response = await globalThis.fetch(`${server.origin}/node-fetch`)

    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ server: 'billing', aud: 'billing' })
    expect(server.requests).toHaveLength(1)
    expectOneValidToken(server.requests[0])
  })

  it('request() without a dispatcher uses the global one', async () => {
    const { agent } = composedAgent()
    setGlobalDispatcher(agent)

    const response = await request(`${server.origin}/global-request`)
    await response.body.dump()

    expectOneValidToken(server.requests[0])
  })

  it('restoring the previous global dispatcher stops signing', async () => {
    const { agent } = composedAgent()
    setGlobalDispatcher(agent)
    setGlobalDispatcher(previous)

    const response = await globalThis.fetch(`${server.origin}/restored`)
    await response.arrayBuffer()

    expect(server.requests[0]!.authorizations).toEqual([])
  })

  it("Node's fetch accepts init.dispatcher", async () => {
    const { agent } = composedAgent()
    // @types/node 20 types init.dispatcher with undici 6's Dispatcher, which an undici 7
    // dispatcher does not satisfy, so the init object needs a cast.
    const init = { dispatcher: agent } as unknown as RequestInit

    const response = await globalThis.fetch(`${server.origin}/node-fetch-init`, init)
    await response.arrayBuffer()

    expectOneValidToken(server.requests[0])
  })
})
