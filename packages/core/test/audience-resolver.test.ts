import { generateKeyPairSync } from 'node:crypto'
import {
  AsapInvalidOptionError,
  AsapMissingOptionError,
  AsapOriginNotMappedError,
  createAudienceResolver,
  createTokenProvider,
  isTokenProvider,
  normalizeOrigin,
  resolveAdapterOptions,
  resolveRequestAudience,
} from '@asap-auth/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const signerOptions = {
  issuer: 'billing',
  keyId: 'billing/key-1',
  privateKey,
  algorithm: 'ES256' as const,
}

describe('normalizeOrigin', () => {
  it.each([
    ['https://billing.internal', 'https://billing.internal'],
    ['https://billing.internal/', 'https://billing.internal'],
    ['https://billing.internal:443', 'https://billing.internal'],
    ['HTTPS://Billing.Internal:8443', 'https://billing.internal:8443'],
    ['http://127.0.0.1:80', 'http://127.0.0.1'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
  ])('normalises %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected)
  })

  it.each([
    'billing.internal',
    'https://billing.internal/api',
    'https://billing.internal?x=1',
    'https://billing.internal#top',
    'https://user:secret@billing.internal',
    'ftp://billing.internal',
    'file:///etc/passwd',
    '',
  ])('rejects %j', (input) => {
    const normalize = () => normalizeOrigin(input, 'audience')

    expect(normalize).toThrow(AsapInvalidOptionError)
    expect(normalize).toThrow(expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID' }))
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.webUrl({ withFragments: false, withQueryParameters: false }), (url) => {
        const origin = new URL(url).origin
        expect(normalizeOrigin(origin)).toBe(origin)
        expect(normalizeOrigin(normalizeOrigin(origin))).toBe(origin)
      }),
    )
  })
})

describe('createAudienceResolver', () => {
  it('maps origins from an object', () => {
    const resolver = createAudienceResolver({
      'https://billing.internal:8443': 'billing',
      'http://127.0.0.1:3000': ['search', 'index'],
    })

    expect(resolver.resolve('https://billing.internal:8443', '/', 'GET')).toBe('billing')
    expect(resolver.resolve('http://127.0.0.1:3000', '/', 'GET')).toEqual(['search', 'index'])
    expect(resolver.resolve('https://billing.internal', '/', 'GET')).toBeUndefined()
    expect(resolver.resolve('https://evil.example', '/', 'GET')).toBeUndefined()
  })

  it('maps origins from a Map', () => {
    const resolver = createAudienceResolver(new Map([['https://billing.internal', 'billing']]))

    expect(resolver.resolve('https://billing.internal', '/', 'GET')).toBe('billing')
  })

  it('matches other spellings of a mapped origin', () => {
    const resolver = createAudienceResolver({ 'https://billing.internal': 'billing' })

    expect(resolver.resolve('HTTPS://BILLING.internal:443', '/', 'GET')).toBe('billing')
    expect(resolver.resolve('not a url', '/', 'GET')).toBeUndefined()
  })

  it('never matches a host that only shares a prefix or suffix', () => {
    const resolver = createAudienceResolver({ 'https://billing.internal': 'billing' })

    fc.assert(
      fc.property(fc.domain(), (host) => {
        fc.pre(host !== 'billing.internal')
        expect(resolver.resolve(`https://${host}`, '/', 'GET')).toBeUndefined()
        expect(resolver.resolve(`https://billing.internal.${host}`, '/', 'GET')).toBeUndefined()
        expect(resolver.resolve(`https://${host}.billing.internal`, '/', 'GET')).toBeUndefined()
      }),
    )
    expect(resolver.resolve('http://billing.internal', '/', 'GET')).toBeUndefined()
    expect(resolver.resolve('https://billing.internal:444', '/', 'GET')).toBeUndefined()
  })

  it('binds a single audience to the default origin', () => {
    const resolver = createAudienceResolver('billing', 'https://billing.internal:8443/api/v1')

    expect(resolver.resolve('https://billing.internal:8443', '/api/v1/x', 'GET')).toBe('billing')
    expect(resolver.resolve('https://other.internal:8443', '/', 'GET')).toBeUndefined()
  })

  it('rejects a single audience with no origin', () => {
    expect(() => createAudienceResolver('billing')).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'audience' }),
    )
  })

  it('asks a function with origin, path and method', () => {
    const seen: unknown[] = []
    const resolver = createAudienceResolver((target) => {
      seen.push(target)
      return target.path.startsWith('/admin') ? undefined : 'billing'
    })

    expect(resolver.resolve('https://billing.internal', '/invoices', 'POST')).toBe('billing')
    expect(resolver.resolve('https://billing.internal', '/admin', 'GET')).toBeUndefined()
    expect(seen).toEqual([
      { origin: 'https://billing.internal', path: '/invoices', method: 'POST' },
      { origin: 'https://billing.internal', path: '/admin', method: 'GET' },
    ])
  })

  it('rejects an invalid audience returned by a function', () => {
    const resolver = createAudienceResolver(() => 42 as never)

    expect(() => resolver.resolve('https://billing.internal', '/', 'GET')).toThrow(
      AsapInvalidOptionError,
    )
  })

  it.each([
    ['an empty map', {}, AsapMissingOptionError],
    ['a path in an origin', { 'https://billing.internal/api': 'billing' }, AsapInvalidOptionError],
    ['an empty audience', { 'https://billing.internal': '' }, AsapInvalidOptionError],
    ['an empty audience list', { 'https://billing.internal': [] }, AsapInvalidOptionError],
    [
      'one origin spelled twice',
      { 'https://billing.internal': 'a', 'https://BILLING.internal:443': 'b' },
      AsapInvalidOptionError,
    ],
    ['a number', 42, AsapMissingOptionError],
  ])('rejects %s', (_name, option, errorClass) => {
    expect(() => createAudienceResolver(option as never)).toThrow(errorClass)
  })
})

describe('resolveRequestAudience', () => {
  const resolver = createAudienceResolver({ 'https://billing.internal': 'billing' })

  it('returns the mapped audience', () => {
    expect(resolveRequestAudience(resolver, 'https://billing.internal', '/', 'GET')).toBe('billing')
  })

  it('lets a request override the audience of a mapped origin', () => {
    const audience = resolveRequestAudience(resolver, 'https://billing.internal', '/', 'GET', {
      audience: 'billing-admin',
    })

    expect(audience).toBe('billing-admin')
  })

  it('rejects an audience override for an unmapped origin', () => {
    const resolve = () =>
      resolveRequestAudience(resolver, 'https://evil.example', '/', 'GET', { audience: 'billing' })

    expect(resolve).toThrow(AsapOriginNotMappedError)
    expect(resolve).toThrow(expect.objectContaining({ code: 'ERR_ASAP_ORIGIN_NOT_MAPPED' }))
  })
})

describe('resolveAdapterOptions', () => {
  it('creates a provider from signer options', () => {
    const resolved = resolveAdapterOptions({
      provider: signerOptions,
      audience: { 'https://billing.internal': 'billing' },
    })

    expect(isTokenProvider(resolved.provider)).toBe(true)
    expect(resolved.provider.signer.keyId).toBe('billing/key-1')
    expect(resolved.replaceAuthorization).toBe(false)
  })

  it('uses a given provider as is', () => {
    const provider = createTokenProvider(signerOptions)

    const resolved = resolveAdapterOptions({
      provider,
      audience: { 'https://billing.internal': 'billing' },
      replaceAuthorization: true,
    })

    expect(resolved.provider).toBe(provider)
    expect(resolved.replaceAuthorization).toBe(true)
  })

  it.each([
    ['provider', { audience: { 'https://a.internal': 'a' } }, 'ERR_ASAP_OPTION_MISSING'],
    ['audience', { provider: signerOptions }, 'ERR_ASAP_OPTION_MISSING'],
    [
      'replaceAuthorization',
      { provider: signerOptions, audience: { 'https://a.internal': 'a' }, replaceAuthorization: 1 },
      'ERR_ASAP_OPTION_INVALID',
    ],
    ['options', null, 'ERR_ASAP_OPTION_INVALID'],
  ])('rejects a bad %s', (field, options, code) => {
    expect(() => resolveAdapterOptions(options as never)).toThrow(
      expect.objectContaining({ code, field }),
    )
  })

  it('reports a bad key from signer options at once', () => {
    expect(() =>
      resolveAdapterOptions({
        provider: { ...signerOptions, keyId: 'other/key-1' },
        audience: { 'https://a.internal': 'a' },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_ASAP_KEY_ID_NOT_OWNED' }))
  })
})

describe('unmapped origin memory', () => {
  it('stays correct past its bound', () => {
    const resolver = createAudienceResolver({ 'https://billing.internal:8443': 'billing' })

    for (let port = 1; port <= 600; port++) {
      expect(resolver.resolve(`https://other.internal:${port}`, '/', 'GET')).toBeUndefined()
      expect(resolver.resolve(`https://other.internal:${port}`, '/', 'GET')).toBeUndefined()
    }

    expect(resolver.resolve('https://billing.internal:8443', '/', 'GET')).toBe('billing')
    expect(resolver.resolve('HTTPS://Billing.Internal:8443', '/', 'GET')).toBe('billing')
    expect(resolver.resolve('https://billing.internal:8444', '/', 'GET')).toBeUndefined()
  })
})
