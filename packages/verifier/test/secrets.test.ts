import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { inspect, promisify } from 'node:util'
import { AsapVerificationError, createVerifier } from '@asap-auth/verifier'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { serveKeys, startServer, type TestServer } from './helpers/servers.js'
import { createTestClock, makeToken } from './helpers/tokens.js'

const rsa = generateKeys('RS256')
const other = generateKeys('RS256', 'other')
let server: TestServer

beforeAll(async () => {
  server = await startServer(serveKeys(new Map([['billing/key-1', rsa.spkiPem]])))
})
afterAll(async () => {
  await server.close()
})

/** The signature part of a token: the one piece that only its holder can produce. */
const signatureOf = (token: string) => token.split('.')[2]!

describe('errors never contain the token', () => {
  it('in message, inspect or JSON for every failure', async () => {
    const clock = createTestClock()
    const verifier = createVerifier({
      audience: 'invoices',
      keyRepository: server.origin,
      allowInsecureHttp: true,
      allowedIssuers: ['billing'],
      rejectReplayedJti: true,
      clock,
    })
    const now = clock.now()
    const make = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      makeToken({ privateKey: rsa.privateKey, claims, header, now })
    const tokens = [
      await make({ aud: 'search' }),
      await make({ sub: 'alice' }),
      await make({ jti: undefined }),
      await make({ exp: now / 1000 - 4000, iat: now / 1000 - 4500, nbf: undefined }),
      await make({}, { kid: 'billing/missing' }),
      await makeToken({ privateKey: other.privateKey, now }),
    ]
    const replayed = await make({})
    await verifier.verifyToken(replayed)
    tokens.push(replayed)

    for (const token of tokens) {
      const error = await verifier.verify(`Bearer ${token}`).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(AsapVerificationError)
      const shown = [
        (error as Error).message,
        (error as Error).stack ?? '',
        inspect(error, { depth: 5 }),
        JSON.stringify(error),
      ].join('\n')
      expect(shown).not.toContain(signatureOf(token))
      expect(shown).not.toContain(token)
    }
  })
})

describe('a header without a scheme', () => {
  it('is rejected without quoting the token', async () => {
    const clock = createTestClock()
    const verifier = createVerifier({
      audience: 'invoices',
      keyRepository: server.origin,
      allowInsecureHttp: true,
      clock,
    })
    const token = await makeToken({ privateKey: rsa.privateKey, now: clock.now() })

    const error = await verifier.verifyAuthorizationHeader(token).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AsapVerificationError)
    const shown = [(error as Error).message, inspect(error, { depth: 5 }), JSON.stringify(error)]
    for (const text of shown) {
      expect(text).not.toContain(token.split('.')[0]!.slice(0, 16))
      expect(text).not.toContain(signatureOf(token))
    }
  })
})

describe('debug log', () => {
  it('names kid and codes but never a token', async () => {
    const script = fileURLToPath(new URL('./fixtures/debug-log.ts', import.meta.url))
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', script],
      { cwd: root, env: { ...process.env, NODE_DEBUG: 'asap' } },
    )
    const tokens = JSON.parse(stdout) as string[]

    expect(stderr).toContain('accepted token kid=billing/key-1 iss=billing')
    expect(stderr).toContain('ERR_ASAP_AUDIENCE_MISMATCH kid=billing/key-1')
    expect(stderr).toContain('ERR_ASAP_SIGNATURE_INVALID')
    expect(stderr).toContain('ERR_ASAP_PUBLIC_KEY_NOT_FOUND kid=billing/missing')
    expect(stderr).toContain('ERR_ASAP_TOKEN_EXPIRED')
    expect(stderr).toContain('ERR_ASAP_JTI_REPLAYED')
    for (const token of tokens) {
      expect(stderr).not.toContain(signatureOf(token))
    }
  })
})
