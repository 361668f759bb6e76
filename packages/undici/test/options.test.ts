import { asap } from '@asap-auth/undici'
import { Agent } from 'undici'
import { describe, expect, it } from 'vitest'
import { ISSUER, KEY_ID, keys, newProvider } from './helpers/fixtures.js'

const audience = { 'https://billing.internal': 'billing' }

describe('asap()', () => {
  it('returns a named arity-2 interceptor', () => {
    const factory = asap({ provider: newProvider(), audience })
    const dispatch = () => true

    const intercept = factory(dispatch)

    expect(typeof factory).toBe('function')
    expect(intercept.name).toBe('asapInterceptor')
    expect(intercept.length).toBe(2)
  })

  it('composes onto an Agent', async () => {
    const agent = new Agent()
    const composed = agent.compose(asap({ provider: newProvider(), audience }))

    expect(typeof composed.dispatch).toBe('function')
    await agent.close()
  })

  it('creates a provider from signer options', () => {
    expect(() =>
      asap({
        provider: { issuer: ISSUER, keyId: KEY_ID, privateKey: keys.pkcs8Pem, algorithm: 'ES256' },
        audience,
      }),
    ).not.toThrow()
  })

  it('accepts an origin as a string or a URL', () => {
    const provider = newProvider()

    expect(() => asap({ provider, audience, origin: 'https://billing.internal' })).not.toThrow()
    expect(() =>
      asap({ provider, audience, origin: new URL('https://billing.internal') }),
    ).not.toThrow()
  })

  it('accepts signCrossOriginRedirects on its own', () => {
    const provider = newProvider()

    expect(() => asap({ provider, audience, signCrossOriginRedirects: true })).not.toThrow()
    expect(() =>
      asap({
        provider,
        audience,
        origin: 'https://billing.internal',
        signCrossOriginRedirects: false,
      }),
    ).not.toThrow()
  })

  const invalid: [string, Record<string, unknown>, string, string][] = [
    ['a missing provider', { audience }, 'ERR_ASAP_OPTION_MISSING', 'provider'],
    ['an empty audience map', { audience: {} }, 'ERR_ASAP_OPTION_MISSING', 'audience'],
    [
      'an audience map key with a path',
      { audience: { 'https://billing.internal/api': 'billing' } },
      'ERR_ASAP_OPTION_INVALID',
      'audience',
    ],
    ['a single audience string', { audience: 'billing' }, 'ERR_ASAP_OPTION_INVALID', 'audience'],
    [
      'replaceAuthorization that is not a boolean',
      { audience, replaceAuthorization: 'yes' },
      'ERR_ASAP_OPTION_INVALID',
      'replaceAuthorization',
    ],
    [
      'retryOnUnauthorized that is not a boolean',
      { audience, retryOnUnauthorized: 1 },
      'ERR_ASAP_OPTION_INVALID',
      'retryOnUnauthorized',
    ],
    [
      'an origin with a path',
      { audience, origin: 'https://a.internal/x' },
      'ERR_ASAP_OPTION_INVALID',
      'origin',
    ],
    [
      'an ftp origin',
      { audience, origin: 'ftp://a.internal' },
      'ERR_ASAP_OPTION_INVALID',
      'origin',
    ],
    ['an origin that is a number', { audience, origin: 42 }, 'ERR_ASAP_OPTION_INVALID', 'origin'],
    [
      'signCrossOriginRedirects that is not a boolean',
      { audience, signCrossOriginRedirects: 'yes' },
      'ERR_ASAP_OPTION_INVALID',
      'signCrossOriginRedirects',
    ],
    [
      'signCrossOriginRedirects together with origin',
      { audience, origin: 'https://billing.internal', signCrossOriginRedirects: true },
      'ERR_ASAP_OPTION_INVALID',
      'signCrossOriginRedirects',
    ],
  ]

  for (const [name, options, code, field] of invalid) {
    it(`rejects ${name} when called`, () => {
      const provider = name === 'a missing provider' ? undefined : newProvider()

      expect(() => asap({ provider, ...options } as unknown as Parameters<typeof asap>[0])).toThrow(
        expect.objectContaining({ code, field }),
      )
    })
  }
})
