import { asapRequestInterceptor, withAsap } from '@asap-auth/axios'
import { AsapInvalidOptionError, signerOptionsFromEnv } from '@asap-auth/core'
import axios from 'axios'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createTestProvider, ISSUER, KEY_ID, keys, verifyAuthorization } from './helpers/asap.js'
import { startServer, type TestServer } from './helpers/servers.js'

const MERGED_NAMES =
  'issuer, keyId, privateKey, algorithm, subject, audience, expiresIn, backdate, additionalClaims, clock, cache, max, refreshMargin, refreshAhead'

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

/** Calls `action`, expects an AsapInvalidOptionError for `field`, and returns its message. */
function optionError(action: () => unknown, field: string): string {
  let thrown: unknown
  try {
    action()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(AsapInvalidOptionError)
  expect((thrown as AsapInvalidOptionError).code).toBe('ERR_ASAP_OPTION_INVALID')
  expect((thrown as AsapInvalidOptionError).field).toBe(field)
  return (thrown as Error).message
}

describe('withAsap option names', () => {
  test('misspelled retryOnUnauthorized', () => {
    const options = {
      provider: createTestProvider(),
      audience: 'billing',
      retryOnUnauthorised: false,
    }

    const message = optionError(
      () => withAsap(axios.create({ baseURL: billing.origin }), options as never),
      'retryOnUnauthorised',
    )

    expect(message).toBe(
      '"retryOnUnauthorised" is not an option of withAsap. Did you mean "retryOnUnauthorized"? Known options: provider, audience, replaceAuthorization, retryOnUnauthorized.',
    )
  })

  test('option of the undici adapter only', () => {
    const options = { provider: createTestProvider(), audience: 'billing', origin: billing.origin }

    const message = optionError(
      () => withAsap(axios.create({ baseURL: billing.origin }), options as never),
      'origin',
    )

    expect(message).toBe(
      '"origin" is not an option of withAsap. Known options: provider, audience, replaceAuthorization, retryOnUnauthorized.',
    )
  })

  test('misspelled option in signer options given as provider', () => {
    const provider = {
      issuer: ISSUER,
      privateKey: keys.dataUri(KEY_ID),
      algorithm: 'ES256',
      expiresin: 60,
    }

    const message = optionError(
      () =>
        withAsap(axios.create({ baseURL: billing.origin }), {
          provider: provider as never,
          audience: 'billing',
        }),
      'provider.expiresin',
    )

    expect(message).toBe(
      `"expiresin" is not an option of provider (signer and token provider options). Did you mean "expiresIn"? Known options: ${MERGED_NAMES}.`,
    )
  })

  test('signer and provider options given as provider', async () => {
    const client = axios.create({ baseURL: billing.origin })
    withAsap(client, {
      provider: {
        issuer: ISSUER,
        keyId: KEY_ID,
        privateKey: keys.pkcs8Pem,
        algorithm: 'ES256',
        expiresIn: 600,
        cache: false,
      },
      audience: 'billing',
    })

    await client.get('/one')
    await client.get('/two')

    const [first, second] = billing.requests.map((request) => request.authorizations[0])
    const verified = await verifyAuthorization(first, 'billing')
    expect(verified.payload.exp! - verified.payload.iat!).toBe(600)
    await verifyAuthorization(second, 'billing')
    expect(second).not.toBe(first)
  })

  test('signer options from the environment given as provider', async () => {
    const provider = signerOptionsFromEnv({
      ASAP_ISSUER: ISSUER,
      ASAP_KEY_ID: KEY_ID,
      ASAP_PRIVATE_KEY: keys.pkcs8Pem,
      ASAP_ALGORITHM: 'ES256',
      ASAP_AUDIENCE: 'billing',
    })
    const client = axios.create({ baseURL: billing.origin })
    withAsap(client, { provider, audience: 'billing' })

    await client.get('/x')

    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
  })
})

describe('asapRequestInterceptor option names', () => {
  test('option of withAsap only', () => {
    const options = {
      provider: createTestProvider(),
      audience: { [billing.origin]: 'billing' },
      retryOnUnauthorized: false,
    }

    const message = optionError(
      () => asapRequestInterceptor(options as never),
      'retryOnUnauthorized',
    )

    expect(message).toBe(
      '"retryOnUnauthorized" is not an option of the ASAP adapter. Known options: provider, audience, replaceAuthorization.',
    )
  })
})
