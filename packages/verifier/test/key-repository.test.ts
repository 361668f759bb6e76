import type { RequestListener } from 'node:http'
import {
  AsapVerificationError,
  ASAP_VERIFICATION_ERROR_CODES as codes,
  createVerifier,
  MAX_PUBLIC_KEY_RESPONSE_BYTES,
  type Verifier,
  type VerifierOptions,
} from '@asap-auth/verifier'
import { Agent, getGlobalDispatcher, interceptors, setGlobalDispatcher } from 'undici'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import {
  closedOrigin,
  respondWithStatus,
  serveKeys,
  startServer,
  type TestServer,
} from './helpers/servers.js'
import { createTestClock, makeToken, type TestClock } from './helpers/tokens.js'

const rsa = generateKeys('RS256')
const ec = generateKeys('ES256')
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

function keyServer(options: Parameters<typeof serveKeys>[1] = {}) {
  return start(serveKeys(new Map([['billing/key-1', rsa.spkiPem]]), options))
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

function token(kid = 'billing/key-1') {
  return makeToken({ privateKey: rsa.privateKey, header: { kid }, now: clock.now() })
}

async function rejection(promise: Promise<unknown>): Promise<AsapVerificationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AsapVerificationError)
  return error as AsapVerificationError
}

describe('key repository requests', () => {
  it('sends GET <base>/<kid> with Accept application/x-pem-file', async () => {
    const server = await keyServer({ basePath: '/keys/' })
    const verifier = verifierFor(`${server.origin}/keys/`)
    await verifier.verifyToken(await token())
    expect(server.requests).toEqual([
      { method: 'GET', path: '/keys/billing/key-1', accept: 'application/x-pem-file' },
    ])
  })

  it('treats a base URL without a trailing slash the same', async () => {
    const server = await keyServer({ basePath: '/keys/' })
    const verifier = verifierFor(`${server.origin}/keys`)
    await verifier.verifyToken(await token())
    expect(server.paths).toEqual(['/keys/billing/key-1'])
  })

  it('accepts a bare origin and a URL object', async () => {
    const server = await keyServer()
    for (const base of [server.origin, new URL(server.origin)]) {
      await verifierFor(base).verifyToken(await token())
    }
    expect(server.paths).toEqual(['/billing/key-1', '/billing/key-1'])
  })

  it('accepts an EC key', async () => {
    const server = await start(serveKeys(new Map([['billing/ec', ec.spkiPem]])))
    const verifier = verifierFor(server.origin)
    const jwt = await makeToken({
      privateKey: ec.privateKey,
      header: { alg: 'ES256', kid: 'billing/ec' },
      now: clock.now(),
    })
    await expect(verifier.verifyToken(jwt)).resolves.toHaveProperty('header.alg', 'ES256')
  })
})

describe('key ID in the URL', () => {
  const hostileKeyIds = [
    '../../etc/passwd',
    'billing/../../etc/passwd',
    'a/../../b',
    '%2e%2e/%2e%2e/etc/passwd',
    'billing/%2e%2e/%2e%2e/etc/passwd',
    'billing/..%2f..%2fetc%2fpasswd',
    '..%2F..%2Fetc%2Fpasswd',
    '%252e%252e/etc',
    'billing\\..\\..\\etc',
    '/etc/passwd',
    'billing/./key-1',
    'billing/key-1?x=1',
    'billing/key-1#x',
    'http://evil.example/k',
    '//evil.example/k',
    'billing/\u2025/k',
    'billing/key-1\u0000',
  ]

  it('never requests a path outside the repository', async () => {
    const server = await keyServer({ basePath: '/keys/' })
    const verifier = verifierFor(`${server.origin}/keys/`)
    for (const kid of hostileKeyIds) {
      const error = await rejection(verifier.verifyToken(await token(kid)))
      expect(error.code, kid).toBe(codes.KEY_ID_INVALID)
    }
    expect(server.paths).toEqual([])
  })
})

describe('content checks', () => {
  it('accepts the media type with parameters and in any case', async () => {
    for (const contentType of [
      'application/x-pem-file; charset=utf-8',
      'APPLICATION/X-PEM-FILE',
      ' application/x-pem-file ;charset="us-ascii"',
    ]) {
      const server = await keyServer({ contentType })
      await expect(verifierFor(server.origin).verifyToken(await token())).resolves.toBeDefined()
    }
  })

  it('rejects another content type', async () => {
    for (const contentType of ['text/plain', 'application/json', 'application/x-pem-file-x', '']) {
      const server = await keyServer({ contentType })
      const error = await rejection(verifierFor(server.origin).verifyToken(await token()))
      expect(error.code, contentType).toBe(codes.PUBLIC_KEY_INVALID)
      expect(error.message).toContain('content type')
    }
  })

  it('rejects a body that is not one SPKI PEM', async () => {
    const bodies = [
      rsa.pkcs8Pem,
      rsa.pkcs1Pem!,
      String(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' })),
      `${rsa.spkiPem}${rsa.spkiPem}`,
      rsa.spkiPem.replace('MII', 'XXX'),
      `junk\n${rsa.spkiPem}`,
      '',
    ]
    for (const body of bodies) {
      const server = await start(serveKeys(new Map([['billing/key-1', body]])))
      const error = await rejection(verifierFor(server.origin).verifyToken(await token()))
      expect(error.code, body.slice(0, 40)).toBe(codes.PUBLIC_KEY_INVALID)
    }
  })

  it('accepts surrounding whitespace and CRLF line ends', async () => {
    const body = `\r\n${rsa.spkiPem.replaceAll('\n', '\r\n')}\r\n\r\n`
    const server = await start(serveKeys(new Map([['billing/key-1', body]])))
    await expect(verifierFor(server.origin).verifyToken(await token())).resolves.toBeDefined()
  })

  it('rejects a body over the size limit', async () => {
    const padding = ' '.repeat(MAX_PUBLIC_KEY_RESPONSE_BYTES)
    const declared = await start(
      serveKeys(new Map([['billing/key-1', `${rsa.spkiPem}${padding}`]])),
    )
    const chunked = await start((_request, response) => {
      response.setHeader('Content-Type', 'application/x-pem-file')
      response.write(rsa.spkiPem)
      response.write(padding)
      response.end()
    })
    for (const server of [declared, chunked]) {
      const error = await rejection(verifierFor(server.origin).verifyToken(await token()))
      expect(error.code).toBe(codes.PUBLIC_KEY_INVALID)
      expect(error.message).toContain(String(MAX_PUBLIC_KEY_RESPONSE_BYTES))
    }
  })

  it('does not follow redirects', async () => {
    const target = await keyServer()
    const redirecting = await start((_request, response) => {
      response.statusCode = 302
      response.setHeader('Location', `${target.origin}/billing/key-1`)
      response.end()
    })
    const error = await rejection(verifierFor(redirecting.origin).verifyToken(await token()))
    expect(error.code).toBe(codes.PUBLIC_KEY_INVALID)
    expect(error.message).toContain('302')
    expect(target.paths).toEqual([])
  })

  it('ignores a redirecting global dispatcher', async () => {
    const target = await keyServer()
    const redirecting = await start((_request, response) => {
      response.statusCode = 302
      response.setHeader('Location', `${target.origin}/billing/key-1`)
      response.end()
    })
    const previous = getGlobalDispatcher()
    const following = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }))
    setGlobalDispatcher(following)
    try {
      const error = await rejection(verifierFor(redirecting.origin).verifyToken(await token()))

      expect(error.code).toBe(codes.PUBLIC_KEY_INVALID)
      expect(target.paths).toEqual([])
    } finally {
      setGlobalDispatcher(previous)
      await following.close()
    }
  })
})

describe('several repositories', () => {
  it('moves on after a 5xx', async () => {
    const failing = await start(respondWithStatus(503))
    const working = await keyServer()
    const verifier = verifierFor([failing.origin, working.origin])
    await expect(verifier.verifyToken(await token())).resolves.toBeDefined()
    expect(failing.paths).toEqual(['/billing/key-1'])
    expect(working.paths).toEqual(['/billing/key-1'])
  })

  it('moves on after a connection error', async () => {
    const down = await closedOrigin()
    const working = await keyServer()
    const verifier = verifierFor([down, working.origin])
    await expect(verifier.verifyToken(await token())).resolves.toBeDefined()
    expect(working.paths).toEqual(['/billing/key-1'])
  })

  it('moves on after a timeout', async () => {
    const silent = await start(() => {
      // Never responds, so the verifier's timeout ends the request.
    })
    const working = await keyServer()
    const verifier = verifierFor([silent.origin, working.origin], { timeout: 200 })
    await expect(verifier.verifyToken(await token())).resolves.toBeDefined()
    expect(silent.paths).toEqual(['/billing/key-1'])
    expect(working.paths).toEqual(['/billing/key-1'])
  })

  it('moves on when the body stalls', async () => {
    const stalling = await start((_request, response) => {
      response.setHeader('Content-Type', 'application/x-pem-file')
      response.write('-----BEGIN PUBLIC KEY-----\n')
    })
    const working = await keyServer()
    const verifier = verifierFor([stalling.origin, working.origin], { timeout: 200 })
    await expect(verifier.verifyToken(await token())).resolves.toBeDefined()
    expect(working.paths).toEqual(['/billing/key-1'])
  })

  it('does not move on after a 404', async () => {
    const empty = await start(respondWithStatus(404))
    const working = await keyServer()
    const verifier = verifierFor([empty.origin, working.origin])
    const error = await rejection(verifier.verifyToken(await token()))
    expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    expect(error.repositories).toEqual([`${empty.origin}/`])
    expect(working.paths).toEqual([])
  })

  it('does not move on after a 403 or 429', async () => {
    for (const [status, code] of [
      [403, codes.PUBLIC_KEY_NOT_FOUND],
      [429, codes.KEY_REPOSITORY_UNAVAILABLE],
    ] as const) {
      const first = await start(respondWithStatus(status))
      const working = await keyServer()
      const error = await rejection(
        verifierFor([first.origin, working.origin]).verifyToken(await token()),
      )
      expect(error.code, String(status)).toBe(code)
      expect(error.message).toContain(String(status))
      expect(working.paths).toEqual([])
    }
  })

  it('names every repository tried when all fail', async () => {
    const failing = await start(respondWithStatus(500))
    const down = await closedOrigin()
    const verifier = verifierFor([failing.origin, down])
    const jwt = await token()
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.KEY_REPOSITORY_UNAVAILABLE)
    expect(error.status).toBe(401)
    expect(error.repositories).toEqual([`${failing.origin}/`, `${down}/`])
    expect(error.message).toContain(`${failing.origin}/ responded with HTTP 500`)
    expect(error.message).toContain(`${down}/ request failed`)
    expect(error.message).not.toContain(jwt)
  })
})

describe('public key cache', () => {
  it('fetches once for 100 verifications', async () => {
    const server = await keyServer()
    const verifier = verifierFor(server.origin)
    for (let i = 0; i < 100; i++) {
      await verifier.verifyToken(await token())
    }
    expect(server.paths.length).toBe(1)
  })

  it('shares one fetch among 100 concurrent verifications', async () => {
    const handler = serveKeys(new Map([['billing/key-1', rsa.spkiPem]]))
    const held: (() => void)[] = []
    const server = await start((request, response) => {
      held.push(() => handler(request, response))
    })
    const verifier = verifierFor(server.origin)
    const tokens = await Promise.all(Array.from({ length: 100 }, () => token()))

    const results = Promise.all(tokens.map((jwt) => verifier.verifyToken(jwt)))
    // Respond only once the first request has arrived, so every verification waits on it.
    await vi.waitUntil(() => held.length > 0)
    await new Promise((resolve) => setImmediate(resolve))
    for (const respond of held) {
      respond()
    }
    const verified = await results

    expect(verified.length).toBe(100)
    expect(new Set(verified.map((result) => result.claims.jti)).size).toBe(100)
    expect(server.paths.length).toBe(1)
  })

  it('shares one failed fetch among concurrent verifications', async () => {
    const server = await start(respondWithStatus(404))
    const verifier = verifierFor(server.origin)
    const tokens = await Promise.all(Array.from({ length: 20 }, () => token()))
    const errors = await Promise.all(tokens.map((jwt) => rejection(verifier.verifyToken(jwt))))
    expect(errors.map((error) => error.code)).toEqual(Array(20).fill(codes.PUBLIC_KEY_NOT_FOUND))
    expect(new Set(errors).size).toBe(20)
    expect(server.paths.length).toBe(1)
  })

  it('keeps a 404 for missingKeyCacheTtl', async () => {
    const server = await start(respondWithStatus(404))
    const verifier = verifierFor(server.origin, { missingKeyCacheTtl: 60 })
    for (let i = 0; i < 10; i++) {
      const error = await rejection(verifier.verifyToken(await token()))
      expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    }
    expect(server.paths.length).toBe(1)

    clock.advance(59)
    await rejection(verifier.verifyToken(await token()))
    expect(server.paths.length).toBe(1)

    clock.advance(1)
    await rejection(verifier.verifyToken(await token()))
    expect(server.paths.length).toBe(2)
  })

  it('finds a key published after a cached 404 expires', async () => {
    const keys = new Map<string, string>()
    const server = await start(serveKeys(keys))
    const verifier = verifierFor(server.origin)
    await rejection(verifier.verifyToken(await token()))

    keys.set('billing/key-1', rsa.spkiPem)
    await rejection(verifier.verifyToken(await token()))
    clock.advance(60)
    await expect(verifier.verifyToken(await token())).resolves.toBeDefined()
    expect(server.paths.length).toBe(2)
  })

  it('does not keep an unavailable repository', async () => {
    const server = await start(respondWithStatus(503))
    const verifier = verifierFor(server.origin)
    for (let i = 0; i < 3; i++) {
      const error = await rejection(verifier.verifyToken(await token()))
      expect(error.code).toBe(codes.KEY_REPOSITORY_UNAVAILABLE)
    }
    expect(server.paths.length).toBe(3)
  })

  it('honours Cache-Control max-age', async () => {
    const server = await keyServer({ cacheControl: 'public, max-age=120' })
    const verifier = verifierFor(server.origin)
    await verifier.verifyToken(await token())

    clock.advance(119)
    await verifier.verifyToken(await token())
    expect(server.paths.length).toBe(1)

    clock.advance(1)
    await verifier.verifyToken(await token())
    expect(server.paths.length).toBe(2)
  })

  it('keeps a key for keyCacheTtl without max-age', async () => {
    const server = await keyServer()
    const verifier = verifierFor(server.origin)
    await verifier.verifyToken(await token())

    clock.advance(3599)
    await verifier.verifyToken(await token())
    expect(server.paths.length).toBe(1)

    clock.advance(1)
    await verifier.verifyToken(await token())
    expect(server.paths.length).toBe(2)
  })

  it('caps max-age at one day', async () => {
    const server = await keyServer({ cacheControl: 'max-age=31536000' })
    const verifier = verifierFor(server.origin)
    await verifier.verifyToken(await token())

    clock.advance(86_399)
    await verifier.verifyToken(await token())
    expect(server.paths.length).toBe(1)

    clock.advance(1)
    await verifier.verifyToken(await token())
    expect(server.paths.length).toBe(2)
  })

  it('does not store a no-store response', async () => {
    const server = await keyServer({ cacheControl: 'no-store' })
    const verifier = verifierFor(server.origin)
    for (let i = 0; i < 3; i++) {
      await verifier.verifyToken(await token())
    }
    expect(server.paths.length).toBe(3)
  })

  it('drops the least recently used key when full', async () => {
    const server = await start(
      serveKeys(
        new Map([
          ['billing/key-1', rsa.spkiPem],
          ['billing/key-2', rsa.spkiPem],
        ]),
      ),
    )
    const verifier = verifierFor(server.origin, { keyCacheMaxEntries: 1 })
    await verifier.verifyToken(await token('billing/key-1'))
    await verifier.verifyToken(await token('billing/key-2'))
    await verifier.verifyToken(await token('billing/key-1'))
    expect(server.paths).toEqual(['/billing/key-1', '/billing/key-2', '/billing/key-1'])
  })
})
