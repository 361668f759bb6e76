import { asap } from '@asap-auth/undici'
import {
  Agent,
  type Dispatcher,
  request,
  Headers as UndiciHeaders,
  fetch as undiciFetch,
} from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { newProvider, startVerifyingServer } from './helpers/fixtures.js'
import type { ReceivedRequest, TestServer } from './helpers/server.js'

type Pair = [string, string]
type Form = 'object' | 'flat array' | 'Map' | 'Headers' | 'generator' | 'array of pairs'

const FORMS: readonly Form[] = [
  'object',
  'flat array',
  'Map',
  'Headers',
  'generator',
  'array of pairs',
]

/** Builds request headers of the given form from name/value pairs. */
function buildHeaders(form: Form, pairs: readonly Pair[]): Dispatcher.DispatchOptions['headers'] {
  switch (form) {
    case 'object':
      return Object.fromEntries(pairs)
    case 'flat array':
      return pairs.flat()
    case 'Map':
      return new Map(pairs)
    case 'Headers':
      return new Headers([...pairs]) as unknown as Dispatcher.DispatchOptions['headers']
    case 'generator':
      return (function* () {
        yield* pairs
      })()
    case 'array of pairs':
      return pairs.map((pair) => [...pair]) as unknown as Dispatcher.DispatchOptions['headers']
  }
}

let server: TestServer
let agents: Dispatcher[] = []

beforeAll(async () => {
  server = await startVerifyingServer('billing')
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  server.requests.length = 0
})

afterAll(async () => {
  await server.close()
})

function compose(replaceAuthorization?: boolean) {
  const provider = newProvider()
  const agent = new Agent()
  agents.push(agent)
  const dispatcher = agent.compose(
    asap({
      provider,
      audience: { [server.origin]: 'billing' },
      ...(replaceAuthorization === undefined ? {} : { replaceAuthorization }),
    }),
  )
  return { provider, dispatcher }
}

async function send(
  dispatcher: Dispatcher,
  headers: Dispatcher.DispatchOptions['headers'],
): Promise<ReceivedRequest> {
  const response = await request(`${server.origin}/headers`, { dispatcher, headers })
  await response.body.dump()
  expect(server.requests).toHaveLength(1)
  return server.requests[0]!
}

function headerValue(received: ReceivedRequest, name: string): string[] {
  const values: string[] = []
  for (let i = 0; i < received.rawHeaders.length; i += 2) {
    if (received.rawHeaders[i]!.toLowerCase() === name) {
      values.push(received.rawHeaders[i + 1]!)
    }
  }
  return values
}

describe('header forms', () => {
  it('absent headers get one token', async () => {
    const { dispatcher } = compose()

    const received = await send(dispatcher, undefined)

    expect(received.authorizations).toHaveLength(1)
    expect(received.claims?.aud).toBe('billing')
  })

  it('null headers get one token', async () => {
    const { dispatcher } = compose()

    const received = await send(dispatcher, null)

    expect(received.authorizations).toHaveLength(1)
    expect(received.claims?.aud).toBe('billing')
  })

  for (const form of FORMS) {
    it(`${form} without Authorization gets token`, async () => {
      const { dispatcher } = compose()

      const received = await send(
        dispatcher,
        buildHeaders(form, [
          ['x-trace', 'abc'],
          ['Accept', 'application/json'],
        ]),
      )

      expect(received.authorizations).toHaveLength(1)
      expect(received.rejection).toBeUndefined()
      expect(received.claims?.aud).toBe('billing')
      expect(headerValue(received, 'x-trace')).toEqual(['abc'])
      expect(headerValue(received, 'accept')).toEqual(['application/json'])
    })

    for (const name of ['authorization', 'Authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn']) {
      it(`${form} keeps caller's "${name}"`, async () => {
        const { provider, dispatcher } = compose()

        const received = await send(
          dispatcher,
          buildHeaders(form, [
            ['x-trace', 'abc'],
            [name, 'Bearer caller-token'],
          ]),
        )

        expect(received.authorizations).toEqual(['Bearer caller-token'])
        expect(headerValue(received, 'x-trace')).toEqual(['abc'])
        expect(provider.stats().signed).toBe(0)
      })

      it(`${form} replaces caller's "${name}"`, async () => {
        const { provider, dispatcher } = compose(true)

        const received = await send(
          dispatcher,
          buildHeaders(form, [
            [name, 'Bearer caller-token'],
            ['x-trace', 'abc'],
          ]),
        )

        expect(received.authorizations).toHaveLength(1)
        expect(received.authorizations[0]).not.toBe('Bearer caller-token')
        expect(received.claims?.aud).toBe('billing')
        expect(headerValue(received, 'x-trace')).toEqual(['abc'])
        expect(provider.stats().signed).toBe(1)
      })
    }
  }

  it('two caller Authorization headers replaced', async () => {
    const { dispatcher } = compose(true)

    const received = await send(dispatcher, [
      'Authorization',
      'Bearer one',
      'x-trace',
      'abc',
      'authorization',
      'Bearer two',
    ])

    expect(received.authorizations).toHaveLength(1)
    expect(received.claims?.aud).toBe('billing')
  })

  it('undefined Authorization counts as absent', async () => {
    const { dispatcher } = compose()

    const received = await send(dispatcher, {
      Authorization: undefined,
    } as unknown as Dispatcher.DispatchOptions['headers'])

    expect(received.authorizations).toHaveLength(1)
    expect(received.claims?.aud).toBe('billing')
  })

  it('list header value passed on', async () => {
    const { dispatcher } = compose()

    const received = await send(dispatcher, { 'x-list': ['a', 'b'] })

    expect(received.authorizations).toHaveLength(1)
    expect(headerValue(received, 'x-list')).toEqual(['a', 'b'])
  })

  it("never mutates the caller's headers", async () => {
    const { dispatcher } = compose(true)
    const object = { 'x-trace': 'abc', Authorization: 'Bearer caller-token' }
    const list = ['x-trace', 'abc', 'authorization', 'Bearer caller-token']
    const map = new Map([['x-trace', 'abc']])
    const pairs: Pair[] = [['x-trace', 'abc']]

    for (const headers of [object, list, map, pairs]) {
      const response = await request(`${server.origin}/mutation`, {
        dispatcher,
        headers: headers as Dispatcher.DispatchOptions['headers'],
      })
      await response.body.dump()
    }

    expect(object).toEqual({ 'x-trace': 'abc', Authorization: 'Bearer caller-token' })
    expect(Object.keys(object)).toEqual(['x-trace', 'Authorization'])
    expect(list).toEqual(['x-trace', 'abc', 'authorization', 'Bearer caller-token'])
    expect([...map]).toEqual([['x-trace', 'abc']])
    expect(pairs).toEqual([['x-trace', 'abc']])
    expect(server.requests.map((received) => received.authorizations.length)).toEqual([1, 1, 1, 1])
  })

  it('odd-length header list fails unsent', async () => {
    const { provider, dispatcher } = compose()

    await expect(
      request(`${server.origin}/odd`, { dispatcher, headers: ['x-trace'] }),
    ).rejects.toMatchObject({ code: 'UND_ERR_INVALID_ARG', message: 'headers array must be even' })

    expect(server.requests).toHaveLength(0)
    expect(provider.stats().signed).toBe(0)
  })

  it('iterable entry not a pair fails', async () => {
    const { dispatcher } = compose()
    const headers = new Set(['x-trace']) as unknown as Dispatcher.DispatchOptions['headers']

    await expect(request(`${server.origin}/bad`, { dispatcher, headers })).rejects.toMatchObject({
      name: 'AsapInvalidOptionError',
      code: 'ERR_ASAP_OPTION_INVALID',
      field: 'headers',
    })
    expect(server.requests).toHaveLength(0)
  })

  it("fetch keeps the caller's Authorization by default", async () => {
    const { provider, dispatcher } = compose()

    const response = await undiciFetch(`${server.origin}/fetch`, {
      dispatcher,
      headers: { Authorization: 'Bearer caller-token', 'x-trace': 'abc' },
    })
    await response.arrayBuffer()

    expect(server.requests[0]!.authorizations).toEqual(['Bearer caller-token'])
    expect(provider.stats().signed).toBe(0)
  })

  it("fetch replaces caller's Authorization", async () => {
    const { dispatcher } = compose(true)

    const response = await undiciFetch(`${server.origin}/fetch`, {
      dispatcher,
      headers: new UndiciHeaders({ authorization: 'Bearer caller-token' }),
    })

    expect(response.status).toBe(200)
    expect(server.requests[0]!.authorizations).toHaveLength(1)
    expect(server.requests[0]!.claims?.aud).toBe('billing')
  })
})
