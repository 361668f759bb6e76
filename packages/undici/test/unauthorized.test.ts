import { Readable } from 'node:stream'
import { asap } from '@asap-auth/undici'
import { Agent, type Dispatcher, request, fetch as undiciFetch } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { newProvider, startVerifyingServer } from './helpers/fixtures.js'
import { recordingHandler } from './helpers/handler.js'
import type { Responder, TestServer } from './helpers/server.js'

let server: TestServer
let agents: Dispatcher[] = []
/** Tokens the server rejects with 401, as full `Authorization` values. */
const revoked = new Set<string>()

/** Responds with 401 to revoked tokens, otherwise with 200, the method and the body received. */
const revokingResponder: Responder = (received, response) => {
  const authorization = received.authorizations[0]
  if (authorization !== undefined && revoked.has(authorization)) {
    response.writeHead(401, { 'www-authenticate': 'Bearer' }).end('revoked token')
    return
  }
  response.writeHead(200).end(`ok ${received.method} ${received.body}`)
}

/** Responds to every request with 401 and a body naming the attempt. */
const denyingResponder: Responder = (_received, response, self) => {
  response.writeHead(401, { 'www-authenticate': 'Bearer' }).end(`denied ${self.requests.length}`)
}

beforeAll(async () => {
  server = await startVerifyingServer('billing')
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  revoked.clear()
  server.requests.length = 0
  server.respondWith(undefined)
})

afterAll(async () => {
  await server.close()
})

function compose(retryOnUnauthorized?: boolean) {
  const provider = newProvider()
  const agent = new Agent()
  agents.push(agent)
  const dispatcher = agent.compose(
    asap({
      provider,
      audience: { [server.origin]: 'billing' },
      ...(retryOnUnauthorized === undefined ? {} : { retryOnUnauthorized }),
    }),
  )
  return { provider, dispatcher }
}

async function call(
  dispatcher: Dispatcher,
  options: Partial<Dispatcher.RequestOptions> = {},
): Promise<{ status: number; body: string }> {
  const response = await request(`${server.origin}/resource`, { dispatcher, ...options })
  return { status: response.statusCode, body: await response.body.text() }
}

/** Sends one request so the provider caches a token, then revokes that token at the server. */
async function warmAndRevoke(dispatcher: Dispatcher): Promise<string> {
  await call(dispatcher)
  const first = server.requests[0]!.authorizations[0]!
  revoked.add(first)
  server.requests.length = 0
  return first
}

describe('401 responses', () => {
  it('GET retried once, 401 body dropped', async () => {
    server.respondWith(revokingResponder)
    const { provider, dispatcher } = compose()
    const rejected = await warmAndRevoke(dispatcher)

    const result = await call(dispatcher)

    expect(result).toEqual({ status: 200, body: 'ok GET ' })
    expect(server.requests.map((received) => received.authorizations)).toEqual([
      [rejected],
      [expect.any(String)],
    ])
    expect(server.requests[1]!.authorizations[0]).not.toBe(rejected)
    expect(server.requests[1]!.claims?.aud).toBe('billing')
    expect(provider.stats().signed).toBe(2)
  })

  it('retry at most once', async () => {
    server.respondWith(denyingResponder)
    const { provider, dispatcher } = compose()

    const result = await call(dispatcher)

    expect(result).toEqual({ status: 401, body: 'denied 2' })
    expect(server.requests).toHaveLength(2)
    const [first, second] = server.requests.map((received) => received.authorizations)
    expect(first).toHaveLength(1)
    expect(second).toHaveLength(1)
    expect(second![0]).not.toBe(first![0])
    expect(provider.stats().signed).toBe(2)
  })

  it('token dropped without retry', async () => {
    server.respondWith(denyingResponder)
    const { provider, dispatcher } = compose(false)

    const first = await call(dispatcher)
    const second = await call(dispatcher)

    expect(first).toEqual({ status: 401, body: 'denied 1' })
    expect(second).toEqual({ status: 401, body: 'denied 2' })
    expect(server.requests[1]!.authorizations[0]).not.toBe(server.requests[0]!.authorizations[0])
    expect(provider.stats().signed).toBe(2)
  })

  it('do not retry a POST', async () => {
    server.respondWith(revokingResponder)
    const { provider, dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const result = await call(dispatcher, { method: 'POST', body: 'payload' })
    const next = await call(dispatcher)

    expect(result).toEqual({ status: 401, body: 'revoked token' })
    expect(next).toEqual({ status: 200, body: 'ok GET ' })
    expect(server.requests).toHaveLength(2)
    expect(provider.stats().signed).toBe(2)
  })

  it('PUT with string body retried', async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const result = await call(dispatcher, { method: 'PUT', body: 'payload' })

    expect(result).toEqual({ status: 200, body: 'ok PUT payload' })
    expect(server.requests.map((received) => received.body)).toEqual(['payload', 'payload'])
  })

  it('retry a PUT with a Buffer body', async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const result = await call(dispatcher, { method: 'PUT', body: Buffer.from('bytes') })

    expect(result).toEqual({ status: 200, body: 'ok PUT bytes' })
    expect(server.requests).toHaveLength(2)
  })

  it('do not retry a stream body', async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const result = await call(dispatcher, { method: 'PUT', body: Readable.from(['str', 'eam']) })

    expect(result).toEqual({ status: 401, body: 'revoked token' })
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]!.body).toBe('stream')
  })

  it('do not retry an async iterable body', async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)
    async function* chunks() {
      yield 'a'
      yield 'b'
    }

    const result = await call(dispatcher, {
      method: 'PUT',
      body: chunks() as unknown as Dispatcher.DispatchOptions['body'],
    })

    expect(result).toEqual({ status: 401, body: 'revoked token' })
    expect(server.requests).toHaveLength(1)
  })

  it('follow an explicit idempotent flag', async () => {
    server.respondWith(denyingResponder)
    const { dispatcher } = compose()

    await call(dispatcher, { method: 'POST', body: 'x', idempotent: true })
    const afterPost = server.requests.length
    await call(dispatcher, { method: 'GET', idempotent: false })

    expect(afterPost).toBe(2)
    expect(server.requests).toHaveLength(3)
  })

  it('handler sees two starts, one response', async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)
    const handler = recordingHandler()

    dispatcher.dispatch({ origin: server.origin, path: '/raw', method: 'GET' }, handler)
    const events = await handler.done

    expect(events.calls.filter((name) => name !== 'onResponseData')).toEqual([
      'onRequestStart',
      'onRequestStart',
      'onResponseStart',
      'onResponseEnd',
    ])
    expect(events.statusCode).toBe(200)
    expect(events.body).toBe('ok GET ')
  })

  it('concurrent 401s sign once', async () => {
    server.respondWith(revokingResponder)
    const { provider, dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const results = await Promise.all(Array.from({ length: 20 }, () => call(dispatcher)))

    expect(results.every((result) => result.status === 200)).toBe(true)
    expect(server.requests).toHaveLength(40)
    expect(provider.stats().signed).toBe(2)
  })

  it('fetch GET retried, POST not', async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const get = await undiciFetch(`${server.origin}/fetch`, { dispatcher })
    const getBody = await get.text()
    const afterGet = server.requests.length
    revoked.add(server.requests[1]!.authorizations[0]!)
    const post = await undiciFetch(`${server.origin}/fetch`, {
      dispatcher,
      method: 'POST',
      body: 'x',
    })
    const postBody = await post.text()

    expect([get.status, getBody]).toEqual([200, 'ok GET '])
    expect(afterGet).toBe(2)
    expect([post.status, postBody]).toEqual([401, 'revoked token'])
    expect(server.requests).toHaveLength(3)
  })

  it("retry a GET from Node's built-in fetch", async () => {
    server.respondWith(revokingResponder)
    const { dispatcher } = compose()
    await warmAndRevoke(dispatcher)

    const response = await globalThis.fetch(`${server.origin}/node-fetch`, {
      dispatcher,
    } as unknown as RequestInit)

    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok GET ')
    expect(server.requests).toHaveLength(2)
  })
})
