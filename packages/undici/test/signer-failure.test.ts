import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import {
  AsapInvalidClaimsError,
  AsapSigningError,
  createSigner,
  createTokenProvider,
  type IssuedToken,
  type Signer,
} from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import {
  Agent,
  type Dispatcher,
  getGlobalDispatcher,
  Pool,
  request,
  setGlobalDispatcher,
  stream,
  fetch as undiciFetch,
} from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ISSUER, KEY_ID, keys, startVerifyingServer } from './helpers/fixtures.js'
import { recordingHandler } from './helpers/handler.js'
import type { TestServer } from './helpers/server.js'

/** How the test signer behaves on the next call to `issue`. */
type SignerMode = 'sign' | 'fail' | 'hold'

/**
 * Creates a real ES256 signer whose `issue` can be made to fail, as a broken key store or HSM
 * would, or to wait until `release()` is called.
 */
function controllableSigner() {
  const real = createSigner({
    issuer: ISSUER,
    keyId: KEY_ID,
    privateKey: keys.pkcs8Pem,
    algorithm: 'ES256',
  })
  const state = { mode: 'sign' as SignerMode, release: () => {} }
  const issue = (...args: Parameters<Signer['issue']>): Promise<IssuedToken> => {
    if (state.mode === 'fail') {
      return Promise.reject(
        new AsapSigningError(`Signing with key ID "${KEY_ID}" failed: the key store is offline.`),
      )
    }
    if (state.mode === 'hold') {
      return new Promise<void>((resolve) => {
        state.release = resolve
      }).then(() => real.issue(...args))
    }
    return real.issue(...args)
  }
  const signer: Signer = {
    ...real,
    issue,
    sign: async (...args) => (await issue(...args)).token,
  }
  return { signer, state }
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
  server.respondWith(undefined)
})

afterAll(async () => {
  await server.close()
})

function compose(mode: SignerMode = 'fail') {
  const { signer, state } = controllableSigner()
  state.mode = mode
  const provider = createTokenProvider(signer)
  const agent = new Agent()
  agents.push(agent)
  const dispatcher = agent.compose(asap({ provider, audience: { [server.origin]: 'billing' } }))
  return { provider, dispatcher, state }
}

function expectSigningError(error: unknown): void {
  expect(error).toBeInstanceOf(AsapSigningError)
  expect(error).toMatchObject({ name: 'AsapSigningError', code: 'ERR_ASAP_SIGNING_FAILED' })
}

describe('signer failure', () => {
  it('request() rejects, nothing sent', async () => {
    const { provider, dispatcher } = compose()

    const error = await request(`${server.origin}/x`, { dispatcher }).catch((caught) => caught)

    expectSigningError(error)
    expect(server.requests).toHaveLength(0)
    expect(provider.stats()).toMatchObject({ signed: 0, failed: 1 })
  })

  it('stream() rejects, nothing sent', async () => {
    const { dispatcher } = compose()

    const error = await stream(
      `${server.origin}/x`,
      { dispatcher, method: 'GET' },
      () =>
        new Writable({
          write(_chunk, _encoding, callback) {
            callback()
          },
        }),
    ).catch((caught) => caught)

    expectSigningError(error)
    expect(server.requests).toHaveLength(0)
  })

  it("undici's fetch rejects with cause", async () => {
    const { dispatcher } = compose()

    const error = await undiciFetch(`${server.origin}/x`, { dispatcher }).catch((caught) => caught)

    expect(error).toBeInstanceOf(TypeError)
    expectSigningError((error as Error).cause)
    expect(server.requests).toHaveLength(0)
  })

  it("Node's fetch rejects with cause", async () => {
    const { dispatcher } = compose()
    const previous = getGlobalDispatcher()
    setGlobalDispatcher(dispatcher)

    const error = await globalThis
      .fetch(`${server.origin}/x`)
      .catch((caught) => caught)
      .finally(() => setGlobalDispatcher(previous))

    expect(error).toBeInstanceOf(TypeError)
    expectSigningError((error as Error).cause)
    expect(server.requests).toHaveLength(0)
  })

  it('composed Pool rejects, nothing sent', async () => {
    const { signer } = controllableSigner()
    const failing: Signer = {
      ...signer,
      issue: () =>
        Promise.reject(new AsapSigningError('Signing failed: the key store is offline.')),
    }
    const pool = new Pool(server.origin)
    agents.push(pool)
    const dispatcher = pool.compose(
      asap({
        provider: createTokenProvider(failing),
        audience: { [server.origin]: 'billing' },
        origin: server.origin,
      }),
    )

    const error = await dispatcher
      .request({ path: '/x', method: 'GET' })
      .catch((caught: unknown) => caught)

    expectSigningError(error)
    expect(server.requests).toHaveLength(0)
  })

  it('dispatch() calls only onResponseError, with a controller', async () => {
    const { dispatcher } = compose()
    const handler = recordingHandler()

    const result = dispatcher.dispatch(
      { origin: server.origin, path: '/x', method: 'GET' },
      handler,
    )
    const events = await handler.done

    expect(result).toBe(true)
    expect(events.calls).toEqual(['onResponseError'])
    expect(events.controllers[0]).toMatchObject({ aborted: false, paused: false, reason: null })
    expectSigningError(events.error)
    expect(server.requests).toHaveLength(0)
  })

  it('invalid per-request claims fail unsent', async () => {
    const { provider, dispatcher } = compose('sign')

    const error = await request(`${server.origin}/x`, {
      dispatcher,
      asap: { claims: { exp: 1 } },
    }).catch((caught) => caught)

    expect(error).toBeInstanceOf(AsapInvalidClaimsError)
    expect(error).toMatchObject({ code: 'ERR_ASAP_CLAIMS_INVALID' })
    expect(server.requests).toHaveLength(0)
    expect(provider.stats().signed).toBe(0)
  })

  it('requests succeed again once the signer recovers', async () => {
    const { provider, dispatcher, state } = compose()

    const error = await request(`${server.origin}/x`, { dispatcher }).catch((caught) => caught)
    state.mode = 'sign'
    const response = await request(`${server.origin}/y`, { dispatcher })
    await response.body.dump()

    expectSigningError(error)
    expect(response.statusCode).toBe(200)
    expect(server.requests.map((received) => received.path)).toEqual(['/y'])
    expect(server.requests[0]!.claims?.aud).toBe('billing')
    expect(provider.stats()).toMatchObject({ signed: 1, failed: 1 })
  })

  it('failed re-signing after 401 reported', async () => {
    const { dispatcher, state } = compose('sign')
    await (await request(`${server.origin}/warm`, { dispatcher })).body.dump()
    server.respondWith((_received, response) => {
      response.writeHead(401, { 'www-authenticate': 'Bearer' }).end('denied')
    })
    state.mode = 'fail'

    const error = await request(`${server.origin}/x`, { dispatcher }).catch((caught) => caught)

    expectSigningError(error)
    expect(server.requests.map((received) => received.path)).toEqual(['/warm', '/x'])
  })

  it('abort during signing sends nothing', async () => {
    const { dispatcher, state } = compose('hold')
    const abort = new AbortController()

    const pending = request(`${server.origin}/x`, { dispatcher, signal: abort.signal })
    abort.abort()
    state.release()
    const error = await pending.catch((caught) => caught)

    expect(error).toMatchObject({ name: 'AbortError' })
    expect(server.requests).toHaveLength(0)
  })

  it('errors carry neither the token nor the key', async () => {
    const { dispatcher, state } = compose('sign')
    const warm = await request(`${server.origin}/warm`, { dispatcher })
    await warm.body.dump()
    const token = server.requests[0]!.authorizations[0]!.slice('Bearer '.length)
    state.mode = 'fail'

    const errors = [
      await request(`${server.origin}/x`, { dispatcher, asap: { subject: ISSUER } }).catch(
        (caught) => caught,
      ),
      await request(`${server.origin}/x`, { dispatcher, asap: { claims: { exp: 1 } } }).catch(
        (caught) => caught,
      ),
    ]

    const keyBody = keys.pkcs8Pem.split('\n')[1]!
    for (const error of errors) {
      const printed = `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`
      expect(error).toBeInstanceOf(Error)
      expect(printed).not.toContain(token)
      expect(printed).not.toContain(keyBody)
    }
  })
})
