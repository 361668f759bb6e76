import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { createSigner } from '@asap-auth/core'
import {
  AsapVerificationError,
  ASAP_VERIFICATION_ERROR_CODES as codes,
  createVerifier,
  MAX_TOKEN_LENGTH,
  type Verifier,
  type VerifierOptions,
} from '@asap-auth/verifier'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_ALGORITHMS, generateKeys, generateRsaKeys } from '../../../test/helpers/keys.js'
import { serveKeys, startServer, type TestServer } from './helpers/servers.js'
import {
  createTestClock,
  joinParts,
  makeRawRs256Token,
  makeToken,
  makeUnsecuredToken,
  type TestClock,
} from './helpers/tokens.js'

const rsa = generateKeys('RS256')
const otherRsa = generateKeys('RS256', 'other')
const keys = new Map<string, string>()
let server: TestServer
let clock: TestClock

beforeAll(async () => {
  keys.set('billing/key-1', rsa.spkiPem)
  keys.set('other/key-1', rsa.spkiPem)
  keys.set('billing/batch/key-1', rsa.spkiPem)
  keys.set('billing/weak', generateRsaKeys(1024).spkiPem)
  for (const algorithm of ALL_ALGORITHMS) {
    keys.set(`billing/${algorithm.toLowerCase()}`, generateKeys(algorithm).spkiPem)
  }
  server = await startServer(serveKeys(keys, { basePath: '/keys/' }))
})

afterAll(async () => {
  await server.close()
})

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  clock = createTestClock()
  return createVerifier({
    audience: 'invoices',
    keyRepository: `${server.origin}/keys/`,
    allowInsecureHttp: true,
    clock,
    ...options,
  })
}

/** Signs an RS256 token with `billing/key-1` and the given claim changes, at the test clock's time. */
function token(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  return makeToken({ privateKey: rsa.privateKey, claims, header, now: clock.now() })
}

async function rejection(promise: Promise<unknown>): Promise<AsapVerificationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(AsapVerificationError)
  return error as AsapVerificationError
}

describe('verify with tokens from createSigner', () => {
  for (const algorithm of ALL_ALGORITHMS) {
    it(`accepts ${algorithm}`, async () => {
      const verifier = verifierFor()
      const keyId = `billing/${algorithm.toLowerCase()}`
      const signer = createSigner({
        issuer: 'billing',
        keyId,
        privateKey: generateKeys(algorithm).pkcs8Pem,
        algorithm,
        clock,
      })
      const issued = await signer.issue('invoices')

      const result = await verifier.verify(`Bearer ${issued.token}`)

      expect(result.header).toEqual({ alg: algorithm, kid: keyId, typ: 'JWT' })
      expect(result.claims).toEqual(issued.claims)
    })
  }

  it('verifyToken accepts a bare token', async () => {
    const verifier = verifierFor()
    const signer = createSigner({
      issuer: 'billing',
      keyId: 'billing/key-1',
      privateKey: rsa.pkcs8Pem,
      clock,
    })
    const result = await verifier.verifyToken(await signer.sign('invoices'))
    expect(result.claims.iss).toBe('billing')
  })

  it('accepts any case of the Bearer scheme', async () => {
    const verifier = verifierFor()
    const jwt = await token()
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const result = await verifier.verify(`${scheme} ${jwt}`)
      expect(result.claims.aud).toBe('invoices')
    }
  })

  it('accepts one of several audiences', async () => {
    const verifier = verifierFor({ audience: ['search', 'invoices'] })
    const result = await verifier.verifyToken(await token({ aud: ['reports', 'invoices'] }))
    expect(result.claims.aud).toEqual(['reports', 'invoices'])
  })

  it('accepts a token without sub or nbf', async () => {
    const verifier = verifierFor()
    const result = await verifier.verifyToken(await token({ sub: undefined, nbf: undefined }))
    expect(result.claims.sub).toBeUndefined()
    expect(result.claims.nbf).toBeUndefined()
  })
})

describe('verify rejects the Authorization value', () => {
  it('ERR_ASAP_TOKEN_MISSING for no header', async () => {
    const verifier = verifierFor()
    for (const input of [undefined, null, '']) {
      const error = await rejection(verifier.verify(input))
      expect(error.code).toBe(codes.TOKEN_MISSING)
      expect(error.status).toBe(401)
    }
  })

  it('ERR_ASAP_TOKEN_MISSING from verifyToken', async () => {
    const verifier = verifierFor()
    for (const input of [undefined, null, '']) {
      const error = await rejection(verifier.verifyToken(input))
      expect(error.code).toBe(codes.TOKEN_MISSING)
    }
  })

  it('verify accepts a bare token, verifyAuthorizationHeader does not', async () => {
    const verifier = verifierFor()
    const before = server.paths.length
    const jwt = await token()

    await expect(verifier.verify(jwt)).resolves.toHaveProperty('claims.aud', 'invoices')
    const error = await rejection(verifier.verifyAuthorizationHeader(jwt))

    expect(error.code).toBe(codes.AUTHORIZATION_SCHEME_UNSUPPORTED)
    expect(error.status).toBe(401)
    expect(error.message).toContain('no scheme')
    expect(error.message).not.toContain(jwt.slice(0, 20))
    // Only the accepted token fetched the key; the rejected header made no request.
    expect(server.paths.length).toBe(before + 1)
  })

  it('verifyAuthorizationHeader accepts Bearer in any case', async () => {
    const verifier = verifierFor()
    const jwt = await token()
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      await expect(verifier.verifyAuthorizationHeader(`${scheme} ${jwt}`)).resolves.toHaveProperty(
        'claims.iss',
        'billing',
      )
    }
  })

  it('verify reads a lone "Bearer" as a header without a token', async () => {
    const verifier = verifierFor()
    for (const input of ['Bearer', 'bearer']) {
      const error = await rejection(verifier.verify(input))
      expect(error.code).toBe(codes.TOKEN_MALFORMED)
    }
  })

  it('ERR_ASAP_TOKEN_MALFORMED from verifyToken for a header value', async () => {
    const verifier = verifierFor()
    const jwt = await token()
    for (const input of [`Bearer ${jwt}`, `bearer ${jwt}`, ` ${jwt}`, `${jwt}\n`, `${jwt}\tx`]) {
      const error = await rejection(verifier.verifyToken(input))
      expect(error.code, JSON.stringify(input.slice(0, 10))).toBe(codes.TOKEN_MALFORMED)
      expect(error.message).toContain('whitespace')
    }
  })

  it('ERR_ASAP_AUTHORIZATION_SCHEME_UNSUPPORTED for Basic', async () => {
    const verifier = verifierFor()
    const error = await rejection(verifier.verify('Basic xyz'))
    expect(error.code).toBe(codes.AUTHORIZATION_SCHEME_UNSUPPORTED)
    expect(error.message).toContain('"Basic"')
  })

  it('ERR_ASAP_TOKEN_MALFORMED for extra spaces', async () => {
    const verifier = verifierFor()
    const jwt = await token()
    for (const input of [
      `Bearer  ${jwt}`,
      `Bearer ${jwt} `,
      ` Bearer ${jwt}`,
      `Bearer ${jwt} x`,
      'Bearer',
      'Bearer ',
    ]) {
      const error = await rejection(verifier.verify(input))
      expect(error.code).toBe(codes.TOKEN_MALFORMED)
    }
  })

  it('ERR_ASAP_TOKEN_MALFORMED for strings that are not a JWS', async () => {
    const verifier = verifierFor()
    const before = server.paths.length
    const inputs = [
      'not-a-jwt',
      'a.b',
      'a.b.c.d',
      'Bearer a.b',
      '!!!.e30.c2ln',
      `${Buffer.from('not json').toString('base64url')}.e30.c2ln`,
      joinParts([1, 2], { iss: 'billing' }),
      joinParts({ alg: 'RS256', kid: 'billing/key-1' }, 'a string'),
      joinParts({ alg: 'RS256', kid: 'billing/key-1' }, { iss: 'billing' }, ''),
      joinParts({ alg: 'RS256', kid: 'billing/key-1' }, { iss: 'billing' }, 'a+b/c='),
      'x'.repeat(MAX_TOKEN_LENGTH + 1),
    ]
    for (const input of inputs) {
      const error = await rejection(verifier.verifyToken(input))
      expect(error.code, input.slice(0, 40)).toBe(codes.TOKEN_MALFORMED)
    }
    expect(server.paths.length).toBe(before)
  })

  it('ERR_ASAP_TOKEN_MALFORMED for a crit header', async () => {
    const verifier = verifierFor()
    const jwt = makeRawRs256Token(
      { alg: 'RS256', kid: 'billing/key-1', crit: ['b64'], b64: false },
      { iss: 'billing' },
      rsa.privateKey,
    )
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.TOKEN_MALFORMED)
  })
})

describe('verify rejects the header', () => {
  it('ERR_ASAP_ALGORITHM_NOT_ALLOWED for HS256', async () => {
    const verifier = verifierFor()
    const secret = new TextEncoder().encode('a shared secret of thirty-two by')
    const jwt = await makeToken({ privateKey: secret, header: { alg: 'HS256' }, now: clock.now() })
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.ALGORITHM_NOT_ALLOWED)
    expect(error.message).toContain('"HS256"')
  })

  it('ERR_ASAP_ALGORITHM_NOT_ALLOWED for none', async () => {
    const verifier = verifierFor()
    const jwt = makeUnsecuredToken({ kid: 'billing/key-1' }, { iss: 'billing' })
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.ALGORITHM_NOT_ALLOWED)
  })

  it('ERR_ASAP_ALGORITHM_NOT_ALLOWED for EdDSA and a missing alg', async () => {
    const verifier = verifierFor()
    const { privateKey } = generateKeyPairSync('ed25519')
    const eddsa = await makeToken({ privateKey, header: { alg: 'EdDSA' }, now: clock.now() })
    const noAlg = makeRawRs256Token({ kid: 'billing/key-1' }, { iss: 'billing' }, rsa.privateKey)
    for (const jwt of [eddsa, noAlg]) {
      const error = await rejection(verifier.verifyToken(jwt))
      expect(error.code).toBe(codes.ALGORITHM_NOT_ALLOWED)
    }
  })

  it('ERR_ASAP_TOKEN_KEY_ID_INVALID for bad key IDs', async () => {
    const verifier = verifierFor()
    const before = server.paths.length
    for (const kid of [
      undefined,
      '',
      '../billing',
      '/billing/k',
      'billing//k',
      'billing/./k',
      'billing/k..1',
      'billing/k?x',
      'billing/k 1',
      'ä/k',
      42,
    ]) {
      const jwt = makeRawRs256Token({ alg: 'RS256', kid }, { iss: 'billing' }, rsa.privateKey)
      const error = await rejection(verifier.verifyToken(jwt))
      expect(error.code, String(kid)).toBe(codes.KEY_ID_INVALID)
      expect(error.field).toBe('kid')
    }
    expect(server.paths.length).toBe(before)
  })
})

describe('verify rejects the key or signature', () => {
  it('ERR_ASAP_PUBLIC_KEY_NOT_FOUND for an unknown key ID', async () => {
    const verifier = verifierFor()
    const error = await rejection(verifier.verifyToken(await token({}, { kid: 'billing/unknown' })))
    expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    expect(error.status).toBe(401)
    expect(error.keyId).toBe('billing/unknown')
    expect(error.repositories).toEqual([`${server.origin}/keys/`])
  })

  it('ERR_ASAP_PUBLIC_KEY_INVALID for a 1024-bit RSA key', async () => {
    const verifier = verifierFor()
    const error = await rejection(verifier.verifyToken(await token({}, { kid: 'billing/weak' })))
    expect(error.code).toBe(codes.PUBLIC_KEY_INVALID)
    expect(error.message).toContain('1024-bit')
  })

  it('ERR_ASAP_SIGNATURE_INVALID for another key', async () => {
    const verifier = verifierFor()
    const jwt = await makeToken({ privateKey: otherRsa.privateKey, now: clock.now() })
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.SIGNATURE_INVALID)
  })

  it('ERR_ASAP_SIGNATURE_INVALID for a changed payload', async () => {
    const verifier = verifierFor()
    const [header, , signature] = (await token()).split('.')
    const forged = Buffer.from(
      JSON.stringify({
        iss: 'billing',
        aud: 'invoices',
        iat: 1735689590,
        exp: 1735690190,
        jti: 'x',
      }),
    ).toString('base64url')
    const error = await rejection(verifier.verifyToken(`${header}.${forged}.${signature}`))
    expect(error.code).toBe(codes.SIGNATURE_INVALID)
  })

  it('ERR_ASAP_SIGNATURE_INVALID for an RSA key with ES256', async () => {
    const verifier = verifierFor()
    const jwt = await makeToken({
      privateKey: generateKeys('ES256').privateKey,
      header: { alg: 'ES256', kid: 'billing/key-1' },
      now: clock.now(),
    })
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.SIGNATURE_INVALID)
    expect(error.message).toContain('RSA key')
  })

  it('ERR_ASAP_SIGNATURE_INVALID for a P-256 key with ES384', async () => {
    const verifier = verifierFor()
    const jwt = await makeToken({
      privateKey: generateKeys('ES384').privateKey,
      header: { alg: 'ES384', kid: 'billing/es256' },
      now: clock.now(),
    })
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.SIGNATURE_INVALID)
    expect(error.message).toContain('prime256v1')
  })
})

describe('verify rejects the claims', () => {
  for (const claim of ['iss', 'exp', 'iat', 'aud', 'jti']) {
    it(`ERR_ASAP_CLAIM_MISSING without ${claim}`, async () => {
      const verifier = verifierFor()
      const error = await rejection(verifier.verifyToken(await token({ [claim]: undefined })))
      expect(error.code).toBe(codes.CLAIM_MISSING)
      expect(error.field).toBe(claim)
    })
  }

  it('ERR_ASAP_CLAIM_INVALID for wrong types', async () => {
    const verifier = verifierFor()
    const cases: [string, unknown][] = [
      ['iss', ''],
      ['iss', 7],
      ['jti', ''],
      ['sub', 5],
      ['aud', 5],
      ['aud', []],
      ['aud', ['invoices', 3]],
      ['exp', '1735690000'],
      ['iat', null],
      ['nbf', 'soon'],
    ]
    for (const [claim, value] of cases) {
      const error = await rejection(verifier.verifyToken(await token({ [claim]: value })))
      expect(error.code, `${claim}=${JSON.stringify(value)}`).toBe(codes.CLAIM_INVALID)
      expect(error.field).toBe(claim)
    }
  })

  it('ERR_ASAP_CLAIM_INVALID when exp is not after iat', async () => {
    const verifier = verifierFor()
    const iat = Math.floor(clock.now() / 1000)
    const error = await rejection(verifier.verifyToken(await token({ iat, nbf: iat, exp: iat })))
    expect(error.code).toBe(codes.CLAIM_INVALID)
    expect(error.field).toBe('exp')
  })

  it('ERR_ASAP_TOKEN_KEY_ID_NOT_OWNED for a kid under another issuer', async () => {
    const verifier = verifierFor()
    const error = await rejection(verifier.verifyToken(await token({}, { kid: 'other/key-1' })))
    expect(error.code).toBe(codes.KEY_ID_NOT_OWNED)
    expect(error.issuer).toBe('billing')
  })

  it('ERR_ASAP_AUDIENCE_MISMATCH for another audience', async () => {
    const verifier = verifierFor()
    const error = await rejection(verifier.verifyToken(await token({ aud: ['search', 'reports'] })))
    expect(error.code).toBe(codes.AUDIENCE_MISMATCH)
  })

  it('ERR_ASAP_TOKEN_EXPIRED after exp plus leeway', async () => {
    const verifier = verifierFor({ leeway: 30 })
    const jwt = await token()
    const exp = Math.floor(clock.now() / 1000) - 5 + 600

    clock.advance(exp + 30 - clock.now() / 1000)
    await expect(verifier.verifyToken(jwt)).resolves.toHaveProperty('claims.exp', exp)

    clock.advance(1)
    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.TOKEN_EXPIRED)
  })

  it('ERR_ASAP_TOKEN_NOT_YET_VALID for nbf beyond the leeway', async () => {
    const verifier = verifierFor({ leeway: 10 })
    const now = clock.now() / 1000
    await expect(verifier.verifyToken(await token({ nbf: now + 10 }))).resolves.toBeDefined()

    const error = await rejection(verifier.verifyToken(await token({ nbf: now + 11 })))
    expect(error.code).toBe(codes.TOKEN_NOT_YET_VALID)
  })

  it('ERR_ASAP_TOKEN_ISSUED_IN_FUTURE for iat beyond the leeway', async () => {
    const verifier = verifierFor({ leeway: 0 })
    const now = clock.now() / 1000
    await expect(
      verifier.verifyToken(await token({ iat: now, nbf: undefined })),
    ).resolves.toBeDefined()

    const error = await rejection(
      verifier.verifyToken(await token({ iat: now + 1, nbf: undefined })),
    )
    expect(error.code).toBe(codes.TOKEN_ISSUED_IN_FUTURE)
  })

  it('ERR_ASAP_TOKEN_LIFETIME_EXCEEDED at 3601 seconds', async () => {
    const verifier = verifierFor()
    const iat = Math.floor(clock.now() / 1000) - 5
    await expect(verifier.verifyToken(await token({ iat, exp: iat + 3600 }))).resolves.toBeDefined()

    const error = await rejection(verifier.verifyToken(await token({ iat, exp: iat + 3601 })))
    expect(error.code).toBe(codes.TOKEN_LIFETIME_EXCEEDED)
  })

  it('ERR_ASAP_TOKEN_LIFETIME_EXCEEDED over maxLifetime', async () => {
    const verifier = verifierFor({ maxLifetime: 60 })
    const iat = Math.floor(clock.now() / 1000) - 5
    await expect(verifier.verifyToken(await token({ iat, exp: iat + 60 }))).resolves.toBeDefined()

    const error = await rejection(verifier.verifyToken(await token({ iat, exp: iat + 61 })))
    expect(error.code).toBe(codes.TOKEN_LIFETIME_EXCEEDED)
  })

  it('ERR_ASAP_SUBJECT_MISMATCH when sub differs from iss', async () => {
    const verifier = verifierFor()
    const error = await rejection(verifier.verifyToken(await token({ sub: 'alice' })))
    expect(error.code).toBe(codes.SUBJECT_MISMATCH)

    const lenient = verifierFor({ subjectMustMatchIssuer: false })
    const result = await lenient.verifyToken(await token({ sub: 'alice' }))
    expect(result.claims.sub).toBe('alice')
  })

  it('ERR_ASAP_ISSUER_NOT_ALLOWED with status 403', async () => {
    // The kid is under the allowed issuer "billing", so the key is fetched and the signature
    // verified. The token's own issuer "billing/batch" is not allowed.
    const verifier = verifierFor({ allowedIssuers: ['search', 'billing'] })
    const batch = await token(
      { iss: 'billing/batch', sub: undefined },
      { kid: 'billing/batch/key-1' },
    )
    const error = await rejection(verifier.verifyToken(batch))
    expect(error.code).toBe(codes.ISSUER_NOT_ALLOWED)
    expect(error.status).toBe(403)
    expect(error.issuer).toBe('billing/batch')

    await expect(verifier.verifyToken(await token())).resolves.toBeDefined()
  })

  it('ERR_ASAP_PUBLIC_KEY_NOT_FOUND for a kid outside allowedIssuers', async () => {
    const verifier = verifierFor({ allowedIssuers: ['search', 'reports'] })
    const before = server.paths.length
    const error = await rejection(verifier.verifyToken(await token()))
    expect(error.code).toBe(codes.PUBLIC_KEY_NOT_FOUND)
    expect(error.status).toBe(401)
    expect(error.field).toBe('kid')
    expect(error.repositories).toEqual([])
    expect(server.paths.length).toBe(before)
  })

  it('ERR_ASAP_JTI_REPLAYED for a second use', async () => {
    const verifier = verifierFor({ rejectReplayedJti: true })
    const jwt = await token()
    await verifier.verifyToken(jwt)

    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.JTI_REPLAYED)
    expect(error.field).toBe('jti')
  })

  it('ERR_ASAP_JTI_REPLAYED in the last accepted millisecond', async () => {
    const verifier = verifierFor({ rejectReplayedJti: true, leeway: 30 })
    const now = clock.now() / 1000
    const jwt = await token({ iat: now - 5, nbf: now - 5, exp: now + 60 })
    // The claim check accepts the token up to and including (exp + leeway) * 1000 ms.
    clock.advance(60 + 30)
    await verifier.verifyToken(jwt)

    const error = await rejection(verifier.verifyToken(jwt))
    expect(error.code).toBe(codes.JTI_REPLAYED)
  })

  it('accepts reuse without replay protection', async () => {
    const verifier = verifierFor()
    const jwt = await token()
    await verifier.verifyToken(jwt)
    await expect(verifier.verifyToken(jwt)).resolves.toBeDefined()
  })

  it('keeps replay entries per issuer', async () => {
    const verifier = verifierFor({ rejectReplayedJti: true, subjectMustMatchIssuer: false })
    const jti = randomUUID()
    await verifier.verifyToken(await token({ jti }))
    const fromOther = await token({ jti, iss: 'other', sub: undefined }, { kid: 'other/key-1' })
    await expect(verifier.verifyToken(fromOther)).resolves.toHaveProperty('claims.iss', 'other')
  })

  it('records no jti of a rejected token', async () => {
    const verifier = verifierFor({ rejectReplayedJti: true, allowedIssuers: ['billing'] })
    const jti = randomUUID()
    await rejection(verifier.verifyToken(await token({ jti, aud: 'search' })))
    await expect(verifier.verifyToken(await token({ jti }))).resolves.toBeDefined()
  })

  it('drops the oldest jti when the replay store is full', async () => {
    const verifier = verifierFor({ rejectReplayedJti: { maxEntries: 2 } })
    const first = await token()
    await verifier.verifyToken(first)
    await verifier.verifyToken(await token())
    await verifier.verifyToken(await token())
    await expect(verifier.verifyToken(first)).resolves.toBeDefined()
  })

  it('checks claims in the protocol order', async () => {
    const verifier = verifierFor({ allowedIssuers: ['billing', 'other'] })
    const iat = Math.floor(clock.now() / 1000) - 5
    const everythingWrong = {
      sub: 'alice',
      aud: 'search',
      iat: iat + 4000,
      exp: iat + 8000,
    }
    const steps: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ ...everythingWrong, jti: undefined }, { kid: 'other/key-1' }, codes.CLAIM_MISSING],
      [everythingWrong, { kid: 'other/key-1' }, codes.KEY_ID_NOT_OWNED],
      [everythingWrong, {}, codes.AUDIENCE_MISMATCH],
      [{ ...everythingWrong, aud: 'invoices' }, {}, codes.TOKEN_ISSUED_IN_FUTURE],
      [
        { ...everythingWrong, aud: 'invoices', iat, exp: iat + 3601 },
        {},
        codes.TOKEN_LIFETIME_EXCEEDED,
      ],
      [{ ...everythingWrong, aud: 'invoices', iat, exp: iat + 60 }, {}, codes.SUBJECT_MISMATCH],
      [
        { aud: 'invoices', iss: 'billing/batch', sub: undefined },
        { kid: 'billing/batch/key-1' },
        codes.ISSUER_NOT_ALLOWED,
      ],
    ]
    for (const [claims, header, code] of steps) {
      const error = await rejection(verifier.verifyToken(await token(claims, header)))
      expect(error.code).toBe(code)
    }
  })
})

describe('verify with a key repository function', () => {
  it('accepts a PEM string, sync or async, and a KeyObject', async () => {
    clock = createTestClock()
    const sources = [() => rsa.spkiPem, async () => rsa.spkiPem, () => rsa.publicKey]
    for (const keyRepository of sources) {
      const verifier = createVerifier({ audience: 'invoices', keyRepository, clock })
      await expect(verifier.verifyToken(await token())).resolves.toHaveProperty(
        'claims.iss',
        'billing',
      )
    }
  })

  it('passes the key ID and caches the key', async () => {
    clock = createTestClock()
    const asked: string[] = []
    const verifier = createVerifier({
      audience: 'invoices',
      keyRepository: (keyId) => {
        asked.push(keyId)
        return rsa.spkiPem
      },
      clock,
    })
    for (let i = 0; i < 5; i++) {
      await verifier.verifyToken(await token())
    }
    expect(asked).toEqual(['billing/key-1'])
  })

  it('maps undefined, a bad key and a throw to coded errors', async () => {
    clock = createTestClock()
    const cases: [() => unknown, string][] = [
      [() => undefined, codes.PUBLIC_KEY_NOT_FOUND],
      [() => null, codes.PUBLIC_KEY_NOT_FOUND],
      [() => rsa.pkcs8Pem, codes.PUBLIC_KEY_INVALID],
      [() => rsa.privateKey, codes.PUBLIC_KEY_INVALID],
      [() => 42, codes.PUBLIC_KEY_INVALID],
      [
        () => {
          throw new Error('database down')
        },
        codes.KEY_REPOSITORY_UNAVAILABLE,
      ],
      [async () => Promise.reject(new Error('database down')), codes.KEY_REPOSITORY_UNAVAILABLE],
    ]
    for (const [keyRepository, code] of cases) {
      const verifier = createVerifier({
        audience: 'invoices',
        keyRepository: keyRepository as () => undefined,
        clock,
      })
      const error = await rejection(verifier.verifyToken(await token()))
      expect(error.code).toBe(code)
    }
  })
})

describe('verifier object', () => {
  it('shows its settings but no keys in inspect and JSON', async () => {
    const verifier = verifierFor({ allowedIssuers: ['billing'] })
    const { inspect } = await import('node:util')
    const shown = inspect(verifier)
    expect(shown).toContain('invoices')
    expect(shown).toContain(`${server.origin}/keys/`)
    expect(shown).not.toContain('BEGIN')
    expect(JSON.parse(JSON.stringify(verifier))).toEqual({
      audiences: ['invoices'],
      keyRepository: [`${server.origin}/keys/`],
      leeway: 30,
      maxLifetime: 3600,
      allowedIssuers: ['billing'],
      rejectReplayedJti: false,
    })
  })

  it('lists its audiences', () => {
    const verifier = verifierFor({ audience: ['invoices', 'search', 'invoices'] })
    expect(verifier.audiences).toEqual(['invoices', 'search'])
  })
})

it('signs hand-made tokens that verify', async () => {
  // Guards the helpers: a token made by hand with the default claims passes.
  const verifier = verifierFor()
  const jwt = await new SignJWT({
    iss: 'billing',
    aud: 'invoices',
    iat: clock.now() / 1000,
    exp: clock.now() / 1000 + 60,
    jti: 'j',
  })
    .setProtectedHeader({ alg: 'PS256', kid: 'billing/key-1' })
    .sign(rsa.privateKey)
  await expect(verifier.verifyToken(jwt)).resolves.toHaveProperty('header.alg', 'PS256')
})

describe('RSA-PSS-restricted keys', () => {
  const pss = generateKeyPairSync('rsa-pss', {
    modulusLength: 2048,
    hashAlgorithm: 'sha256',
    mgf1HashAlgorithm: 'sha256',
  })

  it.each([
    ['a KeyObject', () => pss.publicKey],
    ['an SPKI PEM', () => pss.publicKey.export({ format: 'pem', type: 'spki' }) as string],
  ])('PS256 verifies with %s', async (_form, publicKey) => {
    const verifier = verifierFor({ keyRepository: () => publicKey() })
    const signer = createSigner({
      issuer: 'billing',
      keyId: 'billing/pss-1',
      privateKey: pss.privateKey,
      algorithm: 'PS256',
      clock,
    })

    const result = await verifier.verifyToken(await signer.sign('invoices'))

    expect(result.header).toMatchObject({ alg: 'PS256', kid: 'billing/pss-1' })
  })

  it('RS256 with the same key is a signature error', async () => {
    const verifier = verifierFor({ keyRepository: () => pss.publicKey })
    const jwt = await makeToken({
      privateKey: rsa.privateKey,
      header: { kid: 'billing/pss-1' },
      now: clock.now(),
    })

    const error = await rejection(verifier.verifyToken(jwt))

    expect(error.code).toBe(codes.SIGNATURE_INVALID)
    expect(error.message).toContain('RSA-PSS')
  })
})

describe('broken clock', () => {
  it('rejects every token instead of skipping the time checks', async () => {
    const verifier = verifierFor()
    const jwt = await token()
    const broken = createVerifier({
      audience: 'invoices',
      keyRepository: `${server.origin}/keys/`,
      allowInsecureHttp: true,
      clock: { now: () => Number.NaN },
    })

    await expect(verifier.verifyToken(jwt)).resolves.toBeDefined()
    await expect(broken.verifyToken(jwt)).rejects.toMatchObject({
      code: 'ERR_ASAP_OPTION_INVALID',
      field: 'clock',
    })
  })
})
