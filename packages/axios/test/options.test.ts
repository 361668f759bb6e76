import { asapRequestInterceptor, withAsap } from '@asap-auth/axios'
import { AsapInvalidOptionError, AsapMissingOptionError } from '@asap-auth/core'
import axios, { type AxiosInstance } from 'axios'
import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { readRequestOptions } from '../src/options.js'
import { isReplayableBody } from '../src/replay.js'
import { resolveRequestUrl } from '../src/request-url.js'
import { createTestProvider, ISSUER, KEY_ID, keys, verifyAuthorization } from './helpers/asap.js'
import { startServer, type TestServer } from './helpers/servers.js'

let billing: TestServer

beforeAll(async () => {
  billing = await startServer()
})

afterAll(async () => {
  await billing.close()
})

beforeEach(() => {
  billing.requests.length = 0
})

describe('withAsap options', () => {
  test('signer options create a provider', async () => {
    const client = axios.create({ baseURL: billing.origin })
    withAsap(client, {
      provider: { issuer: ISSUER, privateKey: keys.dataUri(KEY_ID), algorithm: 'ES256' },
      audience: 'billing',
    })

    await client.get('/x')

    const verified = await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
    expect(verified.header.kid).toBe(KEY_ID)
  })

  test('default axios export works too', async () => {
    const provider = createTestProvider()
    const remove = withAsap(axios, { provider, audience: { [billing.origin]: 'billing' } })

    try {
      await axios.get(`${billing.origin}/x`)
    } finally {
      remove()
    }

    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
  })

  test('not an axios instance', () => {
    expect(() =>
      withAsap({} as AxiosInstance, { provider: createTestProvider(), audience: 'billing' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'instance' }))
  })

  test('retryOnUnauthorized must be a boolean', () => {
    const options = {
      provider: createTestProvider(),
      audience: { [billing.origin]: 'billing' },
      retryOnUnauthorized: 'yes' as unknown as boolean,
    }

    expect(() => withAsap(axios.create(), options)).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'retryOnUnauthorized' }),
    )
  })

  test('missing provider', () => {
    const options = { audience: { [billing.origin]: 'billing' } } as never

    expect(() => withAsap(axios.create(), options)).toThrow(AsapMissingOptionError)
  })

  test('replaceAuthorization must be a boolean', () => {
    const options = {
      provider: createTestProvider(),
      audience: { [billing.origin]: 'billing' },
      replaceAuthorization: 1 as unknown as boolean,
    }

    expect(() => withAsap(axios.create(), options)).toThrow(AsapInvalidOptionError)
  })
})

describe('asapRequestInterceptor', () => {
  test('registered by hand, signs mapped requests', async () => {
    const client = axios.create()
    client.interceptors.request.use(
      asapRequestInterceptor({
        provider: createTestProvider(),
        audience: { [billing.origin]: 'billing' },
      }),
    )

    await client.get(`${billing.origin}/x`)

    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
  })

  test('single audience string is rejected', () => {
    expect(() =>
      asapRequestInterceptor({ provider: createTestProvider(), audience: 'billing' }),
    ).toThrow(AsapInvalidOptionError)
  })
})

describe('resolveRequestUrl', () => {
  const host = fc.constantFrom('billing.test', 'invoices.test', '127.0.0.1', 'Billing.Test')
  const origin = fc
    .tuple(
      fc.constantFrom('http', 'https', 'HTTP'),
      host,
      fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    )
    .map(([scheme, name, port]) => `${scheme}://${name}${port === undefined ? '' : `:${port}`}`)
  const segment = fc.constantFrom('api', 'v1', 'accounts', 'a%20b', '')
  const path = fc
    .tuple(fc.array(segment, { maxLength: 3 }), fc.constantFrom('', '/', '//'))
    .map(([segments, tail]) => `${segments.join('/')}${tail}`)
  const url = fc.oneof(
    fc.constant(undefined),
    path,
    path.map((relative) => `/${relative}`),
    fc.tuple(origin, path).map(([base, relative]) => `${base}/${relative}`),
    fc.tuple(host, path).map(([name, relative]) => `//${name}/${relative}`),
  )

  test('agrees with axios getUri', () => {
    fc.assert(
      fc.property(
        fc.option(
          fc.tuple(origin, path).map(([base, relative]) => `${base}/${relative}`),
          { nil: undefined },
        ),
        url,
        fc.constantFrom(true, false, undefined),
        (baseURL, requested, allowAbsoluteUrls) => {
          const config = { baseURL, url: requested, allowAbsoluteUrls }
          let expected: string | undefined
          try {
            expected = new URL(axios.getUri(config)).href
          } catch {
            expected = undefined
          }

          expect(resolveRequestUrl(config)?.href).toBe(expected)
        },
      ),
    )
  })
})

describe('readRequestOptions', () => {
  test('accepts objects with only audience, subject and claims', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            audience: fc.string({ minLength: 1 }),
            subject: fc.string({ minLength: 1 }),
            claims: fc.dictionary(
              fc.string().filter((name) => name !== 'aud'),
              fc.jsonValue(),
            ),
          },
          { requiredKeys: [] },
        ),
        (options) => {
          expect(readRequestOptions(options)).toBe(options)
        },
      ),
    )
  })

  test('rejects any other key, naming it', () => {
    fc.assert(
      fc.property(
        fc.string().filter((key) => !['audience', 'subject', 'claims'].includes(key)),
        (key) => {
          expect(() => readRequestOptions({ [key]: 1 })).toThrow(
            expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: `asap.${key}` }),
          )
        },
      ),
    )
  })

  test.each([
    [undefined, undefined],
    [null, undefined],
    [false, false],
  ])('%s reads as %s', (value, expected) => {
    expect(readRequestOptions(value)).toBe(expected)
  })

  test('rejects claims.aud, pointing to asap.audience', () => {
    const read = () => readRequestOptions({ claims: { aud: 'billing', tenant: 't-1' } })
    expect(read).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'asap.claims.aud' }),
    )
    expect(read).toThrow(/Set asap\.audience instead/)
  })

  test.each(['{"aud":"ledger"}', ['tenant'], new Map([['tenant', 'acme']])])(
    'claims %o rejected',
    (claims) => {
      expect(() => readRequestOptions({ claims })).toThrow(
        expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'asap.claims' }),
      )
    },
  )

  test.each([true, 'billing', 3, ['billing']])('%j is rejected', (value) => {
    expect(() => readRequestOptions(value)).toThrow(
      expect.objectContaining({ code: 'ERR_ASAP_OPTION_INVALID', field: 'asap' }),
    )
  })
})

describe('isReplayableBody', () => {
  test.each([
    ['nothing', undefined, true],
    ['null', null, true],
    ['string', '{"a":1}', true],
    ['Buffer', Buffer.from('a'), true],
    ['Uint8Array', new Uint8Array([1]), true],
    ['ArrayBuffer', new ArrayBuffer(2), true],
    ['URLSearchParams', new URLSearchParams('a=1'), true],
    ['plain object', { a: 1 }, true],
    ['array', [1, 2], true],
    ['FormData', new FormData(), false],
    ['Blob', new Blob(['a']), true],
    ['ReadableStream', new ReadableStream(), false],
    ['class instance', new (class Payload {})(), false],
    ['number', 3, false],
  ])('%s: %s', (_name, body, expected) => {
    expect(isReplayableBody(body)).toBe(expected)
  })
})
