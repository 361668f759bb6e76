import { asap } from '@asap-auth/undici'
import { Agent, type Dispatcher, interceptors, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { newProvider, startVerifyingServer } from './helpers/fixtures.js'
import type { Responder, TestServer } from './helpers/server.js'

let server: TestServer
let agents: Dispatcher[] = []
const revoked = new Set<string>()

const revoking: Responder = (received, response) => {
  if (revoked.has(received.authorizations[0] ?? '')) {
    response.writeHead(401, { 'content-type': 'text/plain' }).end('revoked')
    return
  }
  response
    .writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' })
    .end(`ok ${server.requests.length}`)
}

beforeAll(async () => {
  server = await startVerifyingServer('billing', revoking)
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  revoked.clear()
  server.requests.length = 0
})

afterAll(async () => {
  await server.close()
})

function newAgent(): Agent {
  const agent = new Agent()
  agents.push(agent)
  return agent
}

async function get(dispatcher: Dispatcher, url = `${server.origin}/resource`) {
  const response = await request(url, { dispatcher })
  return { status: response.statusCode, body: await response.body.text() }
}

describe('composition with responseError()', () => {
  it('responseError() outside: 401 retried', async () => {
    const provider = newProvider()
    const dispatcher = newAgent().compose(
      asap({ provider, audience: { [server.origin]: 'billing' } }),
      interceptors.responseError(),
    )
    await get(dispatcher)
    revoked.add(server.requests[0]!.authorizations[0]!)

    const result = await get(dispatcher)

    expect(result).toEqual({ status: 200, body: 'ok 3' })
    expect(provider.stats().signed).toBe(2)
  })

  it('responseError() inside: 401 hidden', async () => {
    const provider = newProvider()
    const dispatcher = newAgent().compose(
      interceptors.responseError(),
      asap({ provider, audience: { [server.origin]: 'billing' } }),
    )
    await get(dispatcher)
    revoked.add(server.requests[0]!.authorizations[0]!)

    const error = await get(dispatcher).catch((caught: unknown) => caught)
    const next = await get(dispatcher).catch((caught: unknown) => caught)

    expect(error).toMatchObject({ name: 'ResponseError', statusCode: 401 })
    expect(next).toMatchObject({ name: 'ResponseError', statusCode: 401 })
    expect(server.requests).toHaveLength(3)
    expect(provider.stats().signed).toBe(1)
  })
})

describe('composition with dns()', () => {
  // The dns interceptor replaces a host name in opts.origin with an IP address. `localhost` is
  // resolved over IPv4 only, so it reaches the server on 127.0.0.1.
  const dns = () => interceptors.dns({ dualStack: false, affinity: 4 })

  function localhostOrigin(): string {
    return server.origin.replace('127.0.0.1', 'localhost')
  }

  it('dns() inside: request signed', async () => {
    const origin = localhostOrigin()
    const dispatcher = newAgent().compose(
      dns(),
      asap({ provider: newProvider(), audience: { [origin]: 'billing' } }),
    )

    const result = await get(dispatcher, `${origin}/dns`)

    expect(result.status).toBe(200)
    expect(server.requests[0]!.claims?.aud).toBe('billing')
  })

  it('dns() outside: no token for IP origin', async () => {
    const origin = localhostOrigin()
    const dispatcher = newAgent().compose(
      asap({ provider: newProvider(), audience: { [origin]: 'billing' } }),
      dns(),
    )

    const result = await get(dispatcher, `${origin}/dns`)

    expect(result.status).toBe(200)
    expect(server.requests[0]!.authorizations).toEqual([])
  })
})

describe('composition with cache()', () => {
  it('cache() inside: signed response not cached', async () => {
    const dispatcher = newAgent().compose(
      interceptors.cache(),
      asap({ provider: newProvider(), audience: { [server.origin]: 'billing' } }),
    )

    await get(dispatcher)
    const second = await get(dispatcher)

    expect(second).toEqual({ status: 200, body: 'ok 2' })
    expect(server.requests).toHaveLength(2)
  })

  it('cache() outside: signed response cached', async () => {
    const dispatcher = newAgent().compose(
      asap({ provider: newProvider(), audience: { [server.origin]: 'billing' } }),
      interceptors.cache(),
    )

    await get(dispatcher)
    const second = await get(dispatcher)

    expect(second).toEqual({ status: 200, body: 'ok 1' })
    expect(server.requests).toHaveLength(1)
  })
})

describe('the chain the README recommends', () => {
  it('recommended chain signs and retries', async () => {
    const origin = server.origin.replace('127.0.0.1', 'localhost')
    const dispatcher = newAgent().compose(
      interceptors.dns({ dualStack: false, affinity: 4 }),
      asap({ provider: newProvider(), audience: { [origin]: 'billing' } }),
      interceptors.responseError(),
      interceptors.redirect({ maxRedirections: 3 }),
    )
    await get(dispatcher, `${origin}/chain`)
    revoked.add(server.requests[0]!.authorizations[0]!)

    const result = await get(dispatcher, `${origin}/chain`)

    expect(result).toEqual({ status: 200, body: 'ok 3' })
    expect(server.requests.map((received) => received.authorizations.length)).toEqual([1, 1, 1])
    expect(server.requests[2]!.claims?.aud).toBe('billing')
  })
})

describe('onResponseStarted', () => {
  it('reaches the handler of signed and unsigned requests', async () => {
    const agent = newAgent().compose(
      asap({ provider: newProvider(), audience: { [server.origin]: 'billing' } }),
    )
    const started: string[] = []

    const send = (setting: false | undefined) =>
      new Promise<void>((resolve, reject) => {
        agent.dispatch(
          { origin: server.origin, path: '/', method: 'GET', asap: setting },
          {
            onRequestStart: () => {},
            onResponseStart: () => {},
            onResponseData: () => {},
            onResponseStarted: () => started.push(setting === false ? 'unsigned' : 'signed'),
            onResponseEnd: () => resolve(),
            onResponseError: (_controller, error) => reject(error),
          },
        )
      })
    await send(undefined)
    await send(false)

    expect(started).toEqual(['signed', 'unsigned'])
    expect(server.requests[0]!.authorizations).toHaveLength(1)
    expect(server.requests[1]!.authorizations).toEqual([])
  })
})
