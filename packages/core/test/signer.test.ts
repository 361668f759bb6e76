import { webcrypto } from 'node:crypto'
import { inspect } from 'node:util'
import {
  type AsapAlgorithm,
  AsapInvalidAudienceError,
  AsapInvalidClaimsError,
  AsapInvalidOptionError,
  AsapKeyIdNotOwnedError,
  createSigner,
  DEFAULT_BACKDATE,
  DEFAULT_EXPIRES_IN,
  type PrivateKeyInput,
  type SignerOptions,
} from '@asap-auth/core'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  ALL_ALGORITHMS,
  findKeyMaterial,
  generateKeys,
  type TestKeys,
} from '../../../test/helpers/keys.js'
import {
  expectAsapError,
  fixedClock,
  NOW,
  NOW_MS,
  rejectionOf,
  UUID_PATTERN,
  verifyWithBoth,
} from './support.js'

const ISSUER = 'billing'
const KEY_ID = 'billing/key-1'
const URI_KEY_ID = 'billing/key+1/v2'

function importParameters(algorithm: AsapAlgorithm) {
  const hash = `SHA-${algorithm.slice(2)}`
  if (algorithm.startsWith('RS')) {
    return { name: 'RSASSA-PKCS1-v1_5', hash }
  }
  if (algorithm.startsWith('PS')) {
    return { name: 'RSA-PSS', hash }
  }
  return { name: 'ECDSA', namedCurve: `P-${algorithm === 'ES512' ? 521 : algorithm.slice(2)}` }
}

/** One way to hand the signer a key, and whether it carries the key ID. */
interface KeyForm {
  name: string
  make(keys: TestKeys): PrivateKeyInput | Promise<PrivateKeyInput>
  carriesKeyId?: boolean
}

const keyForms: KeyForm[] = [
  { name: 'PKCS#8 PEM', make: (keys) => keys.pkcs8Pem },
  { name: 'PKCS#1 or SEC1 PEM', make: (keys) => keys.traditionalPem },
  { name: 'Base64 PKCS#8 DER', make: (keys) => keys.pkcs8DerBase64 },
  { name: 'URL-safe Base64 DER', make: (keys) => keys.pkcs8DerBase64Url },
  {
    name: 'Base64 DER with line breaks',
    make: (keys) => keys.pkcs8DerBase64.replace(/.{1,76}/g, '$&\n'),
  },
  { name: 'data URI', make: (keys) => keys.dataUri(URI_KEY_ID), carriesKeyId: true },
  { name: 'JWK object', make: (keys) => ({ ...keys.jwk }) as PrivateKeyInput },
  { name: 'JWK JSON string', make: (keys) => JSON.stringify(keys.jwk) },
  { name: 'KeyObject', make: (keys) => keys.privateKey },
  {
    name: 'CryptoKey',
    make: (keys) =>
      webcrypto.subtle.importKey('pkcs8', keys.pkcs8Der, importParameters(keys.algorithm), false, [
        'sign',
      ]),
  },
  { name: 'Buffer of PEM text', make: (keys) => Buffer.from(keys.pkcs8Pem) },
  { name: 'Uint8Array of DER', make: (keys) => new Uint8Array(keys.pkcs8Der) },
  {
    name: 'Buffer of data URI text',
    make: (keys) => Buffer.from(keys.dataUri(URI_KEY_ID)),
    carriesKeyId: true,
  },
]

function signerFor(keys: TestKeys, overrides: Partial<SignerOptions> = {}) {
  return createSigner({
    issuer: ISSUER,
    keyId: KEY_ID,
    privateKey: keys.privateKey,
    algorithm: keys.algorithm,
    clock: fixedClock,
    ...overrides,
  })
}

const iat = NOW - DEFAULT_BACKDATE

describe.each(ALL_ALGORITHMS)('%s signer', (algorithm) => {
  const keys = generateKeys(algorithm)

  it.each(keyForms)('signs with a $name key', async (form) => {
    const privateKey = await form.make(keys)
    const signer = createSigner({
      issuer: ISSUER,
      keyId: form.carriesKeyId ? undefined : KEY_ID,
      privateKey,
      algorithm,
      clock: fixedClock,
    })
    const kid = form.carriesKeyId ? URI_KEY_ID : KEY_ID

    const token = await signer.sign('invoices')
    const { header, payload } = await verifyWithBoth(token, keys)

    expect(header).toEqual({ alg: algorithm, kid, typ: 'JWT' })
    expect(payload).toEqual({
      iss: ISSUER,
      sub: ISSUER,
      aud: 'invoices',
      iat,
      nbf: iat,
      exp: iat + DEFAULT_EXPIRES_IN,
      jti: expect.stringMatching(UUID_PATTERN),
    })
    expect(signer.keyId).toBe(kid)
    expect(signer.algorithm).toBe(algorithm)
  })

  it('signs for several audiences', async () => {
    const token = await signerFor(keys).sign(['invoices', 'ledger'])
    const { payload } = await verifyWithBoth(token, keys)
    expect(payload.aud).toEqual(['invoices', 'ledger'])
  })
})

describe('signer defaults', () => {
  const keys = generateKeys('RS256')

  it('uses RS256 when no algorithm is given', async () => {
    const signer = createSigner({ issuer: ISSUER, keyId: KEY_ID, privateKey: keys.pkcs8Pem })
    expect(signer.algorithm).toBe('RS256')
    expect(decodeProtectedHeader(await signer.sign('invoices')).alg).toBe('RS256')
  })

  it('exposes its settings', () => {
    const signer = signerFor(keys, { audience: ['invoices', 'ledger'] })
    expect(signer.issuer).toBe(ISSUER)
    expect(signer.keyId).toBe(KEY_ID)
    expect(signer.expiresIn).toBe(DEFAULT_EXPIRES_IN)
    expect(signer.clock).toBe(fixedClock)
    expect(signer.audience).toEqual(['invoices', 'ledger'])
    expect(Object.isFrozen(signer.audience)).toBe(true)
  })

  it('reads the real time without a clock', async () => {
    const signer = createSigner({ issuer: ISSUER, keyId: KEY_ID, privateKey: keys.privateKey })
    const before = Math.floor(Date.now() / 1000)
    const { claims } = await signer.issue('invoices')
    const after = Math.floor(Date.now() / 1000)
    expect(claims.iat).toBeGreaterThanOrEqual(before - DEFAULT_BACKDATE)
    expect(claims.iat).toBeLessThanOrEqual(after - DEFAULT_BACKDATE)
    await verifyWithBoth(await signer.sign('invoices'), keys, after)
  })

  it('sets expiresIn and backdate', async () => {
    const signer = signerFor(keys, { expiresIn: 60, backdate: 0 })
    const { payload } = await verifyWithBoth(await signer.sign('invoices'), keys)
    expect(payload).toMatchObject({ iat: NOW, nbf: NOW, exp: NOW + 60 })
  })

  it('accepts the longest lifetime', async () => {
    const signer = signerFor(keys, { expiresIn: 3600, backdate: 60 })
    const { payload } = await verifyWithBoth(await signer.sign('invoices'), keys)
    expect(payload).toMatchObject({ iat: NOW - 60, nbf: NOW - 60, exp: NOW - 60 + 3600 })
  })

  it('reads the clock for every token', async () => {
    let now = NOW_MS
    const signer = signerFor(keys, { clock: { now: () => now } })
    const first = await signer.issue('invoices')
    now += 90_000
    const second = await signer.issue('invoices')
    expect(second.claims.iat - first.claims.iat).toBe(90)
    expect(second.claims.exp - first.claims.exp).toBe(90)
  })

  it('uses the subject option', async () => {
    const signer = signerFor(keys, { subject: 'user-7' })
    expect(decodeJwt(await signer.sign('invoices')).sub).toBe('user-7')
  })

  it('uses the audience option', async () => {
    const signer = signerFor(keys, { audience: 'invoices' })
    expect(decodeJwt(await signer.sign()).aud).toBe('invoices')
    expect(decodeJwt(await signer.sign('ledger')).aud).toBe('ledger')
  })

  it('drops duplicate audiences', async () => {
    const signer = signerFor(keys)
    expect(decodeJwt(await signer.sign(['invoices', 'invoices'])).aud).toBe('invoices')
    expect(decodeJwt(await signer.sign(['a', 'b', 'a'])).aud).toEqual(['a', 'b'])
  })

  it('returns the header, claims and expiry from issue', async () => {
    const issued = await signerFor(keys).issue('invoices')
    const { header, payload } = await verifyWithBoth(issued.token, keys)
    expect(issued.header).toEqual(header)
    expect(issued.claims).toEqual(payload)
    expect(issued.expiresAt).toBe((iat + DEFAULT_EXPIRES_IN) * 1000)
  })

  it('gives 10,000 tokens 10,000 distinct jti', async () => {
    const signer = signerFor(generateKeys('ES256'), { algorithm: 'ES256' })
    const identifiers = new Set<string>()
    const tokens = new Set<string>()
    for (let index = 0; index < 10_000; index++) {
      const { token, claims } = await signer.issue('invoices')
      expect(claims.jti).toMatch(UUID_PATTERN)
      identifiers.add(claims.jti)
      tokens.add(token)
    }
    expect(identifiers.size).toBe(10_000)
    expect(tokens.size).toBe(10_000)
  })
})

describe('signer claims', () => {
  const keys = generateKeys('ES256')
  const options = { algorithm: 'ES256' as const }

  it('adds additional claims from a JSON string', async () => {
    const signer = signerFor(keys, {
      ...options,
      additionalClaims: '{"tenant":"acme","roles":["read"]}',
    })
    const { payload } = await verifyWithBoth(await signer.sign('invoices'), keys)
    expect(payload).toMatchObject({ tenant: 'acme', roles: ['read'], iss: ISSUER, sub: ISSUER })
  })

  it('lets additional claims replace the issuer', async () => {
    const signer = signerFor(keys, {
      ...options,
      issuer: 'ignored',
      keyId: 'billing/eu/key-1',
      additionalClaims: { iss: 'billing/eu' },
    })
    expect(signer.issuer).toBe('billing/eu')
    const { payload } = await verifyWithBoth(await signer.sign('invoices'), keys)
    expect(payload).toMatchObject({ iss: 'billing/eu', sub: 'billing/eu' })
  })

  it('lets additional claims replace the subject and audience', async () => {
    const signer = signerFor(keys, {
      ...options,
      subject: 'option-subject',
      additionalClaims: { sub: 'claims-subject', aud: ['x', 'y'] },
    })
    const { payload } = await verifyWithBoth(await signer.sign('ignored'), keys)
    expect(payload).toMatchObject({ sub: 'claims-subject', aud: ['x', 'y'] })
    expect(decodeJwt(await signer.sign()).aud).toEqual(['x', 'y'])
  })

  it('applies the per-call subject and claims', async () => {
    const signer = signerFor(keys, { ...options, additionalClaims: { tenant: 'acme' } })
    const token = await signer.sign('invoices', {
      subject: 'user-1',
      claims: { tenant: 'globex', scope: 'read' },
    })
    const { payload } = await verifyWithBoth(token, keys)
    expect(payload).toMatchObject({ sub: 'user-1', tenant: 'globex', scope: 'read' })
  })

  it('lets per-call claims set a shorter exp', async () => {
    const signer = signerFor(keys, options)
    const { payload } = await verifyWithBoth(
      await signer.sign('invoices', { claims: { exp: iat + 30 } }),
      keys,
    )
    expect(payload.exp).toBe(iat + 30)
  })

  it('keeps a "__proto__" claim a plain claim', async () => {
    const signer = signerFor(keys, options)
    const claims = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>
    const { claims: issued, token } = await signer.issue('invoices', { claims })
    expect(Object.getPrototypeOf(issued)).toBe(Object.prototype)
    expect((issued as Record<string, unknown>).polluted).toBeUndefined()
    const payload = decodeJwt(token)
    expect(Object.hasOwn(payload, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(payload, '__proto__')?.value).toEqual({ polluted: true })
  })

  it('ignores later changes to the additional claims object', async () => {
    const additionalClaims = { tenant: 'acme', nested: { level: 1 } }
    const signer = signerFor(keys, { ...options, additionalClaims })
    additionalClaims.tenant = 'changed'
    additionalClaims.nested.level = 2
    expect(decodeJwt(await signer.sign('invoices'))).toMatchObject({
      tenant: 'acme',
      nested: { level: 1 },
    })
  })

  it('rejects a per-call lifetime over one hour', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', { claims: { exp: iat + 3601 } }))
    expectAsapError(error, { type: AsapInvalidClaimsError, field: 'exp' })
  })

  it('rejects a per-call iat in the future', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', { claims: { iat: NOW + 1 } }))
    expectAsapError(error, { type: AsapInvalidClaimsError, field: 'iat' })
  })

  it('rejects a per-call issuer that does not own the key ID', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', { claims: { iss: 'other' } }))
    expectAsapError(error, { type: AsapKeyIdNotOwnedError, field: 'claims.iss' })
  })

  it('rejects per-call claims of the wrong type', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', { claims: { aud: 7 } }))
    expectAsapError(error, { type: AsapInvalidClaimsError, field: 'claims.aud' })
  })

  it('rejects an empty per-call subject', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', { subject: '' }))
    expectAsapError(error, { type: AsapInvalidOptionError, field: 'subject' })
  })

  it('rejects overrides that are not an object', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', 'user-1' as never))
    expectAsapError(error, { type: AsapInvalidOptionError, field: 'overrides' })
  })

  it('rejects per-call claims given as a JSON array', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() =>
      signer.sign('invoices', { claims: '[1]' as unknown as Record<string, unknown> }),
    )
    expectAsapError(error, { type: AsapInvalidClaimsError, field: 'claims' })
  })

  it('rejects per-call claims that are not JSON', async () => {
    const signer = signerFor(keys, options)
    const error = await rejectionOf(() => signer.sign('invoices', { claims: { count: BigInt(1) } }))
    expectAsapError(error, { type: AsapInvalidClaimsError, field: 'claims' })
  })
})

describe('signer audience', () => {
  const keys = generateKeys('ES256')
  const signer = signerFor(keys, { algorithm: 'ES256' })

  it.each([
    ['an empty string', ''],
    ['an empty list', []],
    ['a list with an empty string', ['invoices', '']],
    ['a number', 7],
  ])('rejects %s', async (_name, audience) => {
    const error = await rejectionOf(() => signer.sign(audience as string))
    expectAsapError(error, { type: AsapInvalidAudienceError, field: 'audience' })
  })

  it('rejects a missing audience', async () => {
    const error = await rejectionOf(() => signer.sign())
    expectAsapError(error, { type: AsapInvalidAudienceError, field: 'audience' })
  })
})

describe('signer output', () => {
  it.each(['RS256', 'ES384'] as const)('shows no %s key material', async (algorithm) => {
    const keys = generateKeys(algorithm)
    for (const privateKey of [keys.pkcs8Pem, keys.dataUri(URI_KEY_ID), keys.jwk]) {
      const signer = createSigner({
        issuer: ISSUER,
        privateKey: privateKey as PrivateKeyInput,
        keyId:
          typeof privateKey === 'string' && privateKey.startsWith('data:') ? undefined : KEY_ID,
        algorithm,
      })
      const texts = [
        inspect(signer, { depth: 10, showHidden: true }),
        JSON.stringify(signer),
        String(signer),
        inspect(await signer.issue('invoices'), { depth: 10 }),
      ]
      for (const text of texts) {
        expect(findKeyMaterial(text, keys)).toBeUndefined()
      }
      expect(JSON.parse(JSON.stringify(signer))).toEqual({
        issuer: ISSUER,
        keyId: signer.keyId,
        algorithm,
        expiresIn: DEFAULT_EXPIRES_IN,
      })
      expect(inspect(signer)).toContain(signer.keyId)
    }
  })
})
