import type { RequestListener, ServerResponse } from 'node:http'
import {
  AsapVerificationError,
  ASAP_VERIFICATION_ERROR_CODES as codes,
  createVerifier,
  DEFAULT_MAX_CONCURRENT_KEY_FETCHES,
  MAX_KEY_ID_LENGTH,
  type Verifier,
  type VerifierOptions,
} from '@asap-auth/verifier'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { serveKeys, startServer, type TestServer } from './helpers/servers.js'
import { createTestClock, joinParts, makeToken, type TestClock } from './helpers/tokens.js'

const rsa = generateKeys('RS256')
const servers: TestServer[] = []
let clock: TestClock

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(handler: RequestListener): Promise<TestServer> {
  const server = await startServer(handler)
  servers.push(server)
  return server
}

function verifierFor(
  keyRepository: VerifierOptions['keyRepository'],
  options: Partial<VerifierOptions> = {},
): Verifier {
  clock = createTestClock()
  return createVerifier({
    audience: 'invoices',
    keyRepository,
    allowInsecureHttp: true,
    clock,
    ...options,
  })
}

function token(kid = 'billing/key-1', claims: Record<string, unknown> = {}) {
  return makeToken({ privateKey: rsa.privateKey, header: { kid }, claims, now: clock.now() })
}

/** Builds an unsigned token with a made-up key ID, as anyone on the network can send. */
function forgedToken(kid: string, issuer: string): string {
  return joinParts({ alg: 'RS256', kid }, { iss: issuer })
}

async function rejection(promise: Promise<unknown>): Promise<AsapVerificationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AsapVerificationError)
  return error as AsapVerificationError
}

/** A key server that also records how many requests for unknown keys were open at once. */
interface FloodServer {
  readonly server: TestServer
  /** The maximum number of requests for unknown keys open at the same time. */
  peak(): number
}

/**
 * Starts a key server that serves `billing/key-1` at once and delays the requests for other
 * key IDs. When `batch` requests are waiting, or all that remain of `expected`, it waits 20 ms and then
 * responds to them all with 404. A verifier without a limit sends more requests in those 20 ms, so
 * the peak shows it. With a limit, the peak equals the limit exactly.
 */
async function startFloodServer(expected: number, batch: number): Promise<FloodServer> {
  const serveKnownKey = serveKeys(new Map([['billing/key-1', rsa.spkiPem]]))
  const heldResponses: ServerResponse[] = []
  let respondedCount = 0
  let peak = 0
  let responding = false

  const server = await start((request, response) => {
    if (request.url === '/billing/key-1') {
      serveKnownKey(request, response)
      return
    }
    heldResponses.push(response)
    peak = Math.max(peak, heldResponses.length)
    if (responding || heldResponses.length < Math.min(batch, expected - respondedCount)) {
      return
    }
    responding = true
    setTimeout(() => {
      responding = false
      for (const waiting of heldResponses.splice(0)) {
        respondedCount++
        waiting.statusCode = 404
        waiting.end('not found')
      }
    }, 20)
  })
  return { server, peak: () => peak }
}

describe('concurrent key fetches', () => {
  it('stay at the default limit during a flood', async () => {
    const flood = await startFloodServer(200, DEFAULT_MAX_CONCURRENT_KEY_FETCHES)
    const verifier = verifierFor(flood.server.origin)
    const forged = Array.from({ length: 200 }, (_, i) => forgedToken(`billing/k${i}`, 'billing'))

    const errors = await Promise.all(forged.map((jwt) => rejection(verifier.verifyToken(jwt))))

    expect(DEFAULT_MAX_CONCURRENT_KEY_FETCHES).toBe(16)
    expect(new Set(errors.map((error) => error.code))).toEqual(
      new Set([codes.PUBLIC_KEY_NOT_FOUND]),
    )
    expect(flood.server.paths.length).toBe(200)
    expect(flood.peak()).toBe(16)
  })

  it('stay at maxConcurrentKeyFetches', async () => {
    const flood = await startFloodServer(50, 3)
    const verifier = verifierFor(flood.server.origin, { maxConcurrentKeyFetches: 3 })
    const forged = Array.from({ length: 50 }, (_, i) => forgedToken(`billing/k${i}`, 'billing'))

    await Promise.all(forged.map((jwt) => rejection(verifier.verifyToken(jwt))))

    expect(flood.server.paths.length).toBe(50)
    expect(flood.peak()).toBe(3)
  })

  it('fail a lookup that waits longer than timeout', async () => {
    let answerSlowKey: (pem: string) => void = () => undefined
    const requestedKeyIds: string[] = []
    const verifier = verifierFor(
      (keyId) => {
        requestedKeyIds.push(keyId)
        if (keyId === 'billing/slow') {
          return new Promise<string>((resolve) => {
            answerSlowKey = resolve
          })
        }
        return rsa.spkiPem
      },
      { maxConcurrentKeyFetches: 1, timeout: 100 },
    )
    const slow = verifier.verifyToken(await token('billing/slow'))

    const error = await rejection(verifier.verifyToken(await token()))
    expect(error.code).toBe(codes.KEY_REPOSITORY_UNAVAILABLE)
    expect(error.status).toBe(401)
    expect(error.keyId).toBe('billing/key-1')
    expect(error.message).toContain('waited 100 ms')
    expect(error.message).toContain('maxConcurrentKeyFetches')
    expect(requestedKeyIds).toEqual(['billing/slow'])

    answerSlowKey(rsa.spkiPem)
    await expect(slow).resolves.toHaveProperty('header.kid', 'billing/slow')
    // The wait was not cached as a failure, so the key is requested now.
    await expect(verifier.verifyToken(await token())).resolves.toHaveProperty('claims.iss')
    expect(requestedKeyIds).toEqual(['billing/slow', 'billing/key-1'])
  })
})

describe('not-found cache', () => {
  it('keeps found keys through a flood of unknown key IDs', async () => {
    const flood = await startFloodServer(100, 4)
    const verifier = verifierFor(flood.server.origin, {
      keyCacheMaxEntries: 10,
      maxConcurrentKeyFetches: 4,
    })
    await verifier.verifyToken(await token())

    const forged = Array.from({ length: 100 }, (_, i) => forgedToken(`billing/k${i}`, 'billing'))
    await Promise.all(forged.map((jwt) => rejection(verifier.verifyToken(jwt))))
    await verifier.verifyToken(await token())

    const knownKeyRequests = flood.server.paths.filter((path) => path === '/billing/key-1')
    expect(knownKeyRequests.length).toBe(1)
    expect(flood.server.paths.length).toBe(101)
  })

  it('drops the least recently used entry past missingKeyCacheMaxEntries', async () => {
    const server = await start(serveKeys(new Map([['billing/key-1', rsa.spkiPem]])))
    const verifier = verifierFor(server.origin, { missingKeyCacheMaxEntries: 2 })
    await verifier.verifyToken(await token())

    for (const kid of ['billing/a', 'billing/b', 'billing/c', 'billing/a', 'billing/c']) {
      const error = await rejection(verifier.verifyToken(await token(kid)))
      expect(error.code, kid).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    }
    await verifier.verifyToken(await token())

    expect(server.paths).toEqual([
      '/billing/key-1',
      '/billing/a',
      '/billing/b',
      '/billing/c',
      '/billing/a',
    ])
  })
})

describe('allowedIssuers before the key lookup', () => {
  it('requests no key outside the allowed issuers', async () => {
    const server = await start(serveKeys(new Map([['billing/key-1', rsa.spkiPem]])))
    const verifier = verifierFor(server.origin, { allowedIssuers: ['billing', 'reports'] })
    const forged = Array.from({ length: 500 }, (_, i) => forgedToken(`stranger/k${i}`, 'stranger'))

    const errors = await Promise.all(forged.map((jwt) => rejection(verifier.verifyToken(jwt))))

    for (const [index, error] of errors.entries()) {
      expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
      expect(error.status).toBe(401)
      expect(error.keyId).toBe(`stranger/k${index}`)
      expect(error.repositories).toEqual([])
    }
    expect(errors[0]?.message).toContain('not under an allowed issuer')
    expect(server.paths).toEqual([])

    await expect(verifier.verifyToken(await token())).resolves.toHaveProperty('claims.iss')
    expect(server.paths).toEqual(['/billing/key-1'])
  })

  it('rejects a real token of another issuer with 401', async () => {
    const server = await start(serveKeys(new Map([['stranger/key-1', rsa.spkiPem]])))
    const verifier = verifierFor(server.origin, { allowedIssuers: ['billing'] })
    const jwt = await token('stranger/key-1', { iss: 'stranger', sub: undefined })

    const error = await rejection(verifier.verifyToken(jwt))

    expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    expect(error.status).toBe(401)
    expect(server.paths).toEqual([])
  })

  it('compares whole key ID segments', async () => {
    const server = await start(serveKeys(new Map()))
    const verifier = verifierFor(server.origin, { allowedIssuers: ['billing'] })
    for (const kid of [
      'billingx/key-1',
      'billin/key-1',
      'Billing/key-1',
      'billing',
      'x/billing/k',
    ]) {
      const error = await rejection(verifier.verifyToken(forgedToken(kid, 'billing')))
      expect(error.code, kid).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    }
    expect(server.paths).toEqual([])

    for (const kid of ['billing/key-2', 'billing/batch/key-1']) {
      await rejection(verifier.verifyToken(forgedToken(kid, 'billing')))
    }
    expect(server.paths).toEqual(['/billing/key-2', '/billing/batch/key-1'])
  })

  it('checks a key repository function the same way', async () => {
    const requestedKeyIds: string[] = []
    const verifier = verifierFor(
      (keyId) => {
        requestedKeyIds.push(keyId)
        return rsa.spkiPem
      },
      { allowedIssuers: ['billing'] },
    )
    const error = await rejection(verifier.verifyToken(forgedToken('stranger/k1', 'stranger')))
    expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    expect(requestedKeyIds).toEqual([])
  })
})

describe('key ID length', () => {
  it(`accepts ${MAX_KEY_ID_LENGTH} characters and no more`, async () => {
    expect(MAX_KEY_ID_LENGTH).toBe(1024)
    const server = await start(serveKeys(new Map()))
    const verifier = verifierFor(server.origin)
    const longest = `billing/${'k'.repeat(MAX_KEY_ID_LENGTH - 'billing/'.length)}`

    const notFound = await rejection(verifier.verifyToken(forgedToken(longest, 'billing')))
    expect(notFound.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    expect(server.paths).toEqual([`/${longest}`])

    for (const kid of [`${longest}k`, `billing/${'k'.repeat(10_000)}`]) {
      const error = await rejection(verifier.verifyToken(forgedToken(kid, 'billing')))
      expect(error.code).toBe(codes.KEY_ID_INVALID)
      expect(error.field).toBe('kid')
      expect(error.message).toContain(`${kid.length} characters`)
      expect(error.message).toContain(String(MAX_KEY_ID_LENGTH))
      expect(error.message.length).toBeLessThan(400)
    }
    expect(server.paths.length).toBe(1)
  })
})

describe('renewal of a known key during a flood', () => {
  it('waits ahead of made-up key IDs', async () => {
    const requested: string[] = []
    const held: Array<() => void> = []
    let holding = true
    const verifier = verifierFor(
      (keyId) => {
        requested.push(keyId)
        if (keyId === 'billing/key-1' || !holding) {
          return keyId === 'billing/key-1' ? rsa.spkiPem : undefined
        }
        return new Promise<undefined>((resolve) => held.push(() => resolve(undefined)))
      },
      { maxConcurrentKeyFetches: 1, keyCacheTtl: 60 },
    )
    await verifier.verifyToken(await token())
    clock.advance(61)

    const forged = Array.from({ length: 5 }, (_, i) =>
      rejection(verifier.verifyToken(forgedToken(`billing/f${i}`, 'billing'))),
    )
    await vi.waitFor(() => expect(requested).toHaveLength(2))
    const renewal = verifier.verifyToken(await token())
    held.shift()!()

    await expect(renewal).resolves.toHaveProperty('claims.iss', 'billing')
    expect(requested.slice(0, 3)).toEqual(['billing/key-1', 'billing/f0', 'billing/key-1'])

    holding = false
    for (const release of held.splice(0)) {
      release()
    }
    const errors = await Promise.all(forged)
    expect(errors.map((error) => error.code)).toEqual(Array(5).fill(codes.PUBLIC_KEY_NOT_FOUND))
  })
})
