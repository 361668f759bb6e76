import { AsapInvalidOptionError, signerOptionsFromEnv } from '@asap-auth/core'
import { type AsapInterceptorOptions, asap } from '@asap-auth/undici'
import { Agent, type Dispatcher, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ISSUER, KEY_ID, keys, newProvider, startVerifyingServer } from './helpers/fixtures.js'
import type { TestServer } from './helpers/server.js'

const MERGED_NAMES =
  'issuer, keyId, privateKey, algorithm, subject, audience, expiresIn, backdate, additionalClaims, clock, cache, max, refreshMargin, refreshAhead'
const INTERCEPTOR_NAMES =
  'provider, audience, replaceAuthorization, retryOnUnauthorized, origin, signCrossOriginRedirects'

let billing: TestServer
let agents: Dispatcher[] = []

beforeAll(async () => {
  billing = await startVerifyingServer('billing')
})

afterEach(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  agents = []
  billing.requests.length = 0
})

afterAll(async () => {
  await billing.close()
})

function signedAgent(options: AsapInterceptorOptions): Dispatcher {
  const agent = new Agent()
  agents.push(agent)
  return agent.compose(asap(options))
}

async function get(dispatcher: Dispatcher, path: string): Promise<number> {
  const response = await request(`${billing.origin}${path}`, { dispatcher })
  await response.body.dump()
  return response.statusCode
}

/** Calls `asap(options)`, expects an AsapInvalidOptionError for `field`, and returns its message. */
function optionError(options: Record<string, unknown>, field: string): string {
  let thrown: unknown
  try {
    asap(options as unknown as AsapInterceptorOptions)
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(AsapInvalidOptionError)
  expect((thrown as AsapInvalidOptionError).code).toBe('ERR_ASAP_OPTION_INVALID')
  expect((thrown as AsapInvalidOptionError).field).toBe(field)
  return (thrown as Error).message
}

describe('asap() option names', () => {
  const audience = { 'https://billing.internal': 'billing' }

  it('rejects a misspelled retryOnUnauthorized', () => {
    const message = optionError(
      { provider: newProvider(), audience, retryOnUnauthorised: false },
      'retryOnUnauthorised',
    )

    expect(message).toBe(
      `"retryOnUnauthorised" is not an option of asap. Did you mean "retryOnUnauthorized"? Known options: ${INTERCEPTOR_NAMES}.`,
    )
  })

  it('rejects an option name in the wrong case', () => {
    const message = optionError(
      { provider: newProvider(), audience, Origin: 'https://billing.internal' },
      'Origin',
    )

    expect(message).toBe(
      `"Origin" is not an option of asap. Did you mean "origin"? Known options: ${INTERCEPTOR_NAMES}.`,
    )
  })

  it('rejects a misspelled option in signer options given as provider', () => {
    const provider = { issuer: ISSUER, keyId: KEY_ID, privateKey: keys.pkcs8Pem, algoritm: 'ES256' }

    const message = optionError({ provider, audience }, 'provider.algoritm')

    expect(message).toBe(
      `"algoritm" is not an option of provider (signer and token provider options). Did you mean "algorithm"? Known options: ${MERGED_NAMES}.`,
    )
  })

  it('signs with signer and provider options given as provider', async () => {
    const dispatcher = signedAgent({
      provider: {
        issuer: ISSUER,
        keyId: KEY_ID,
        privateKey: keys.pkcs8Pem,
        algorithm: 'ES256',
        cache: false,
      },
      audience: { [billing.origin]: 'billing' },
      retryOnUnauthorized: false,
    })

    expect(await get(dispatcher, '/one')).toBe(200)
    expect(await get(dispatcher, '/two')).toBe(200)

    const [first, second] = billing.requests
    expect(first!.claims?.aud).toBe('billing')
    expect(second!.claims?.aud).toBe('billing')
    expect(second!.claims?.jti).not.toBe(first!.claims?.jti)
  })

  it('signs with signer options from the environment given as provider', async () => {
    const provider = signerOptionsFromEnv({
      ASAP_ISSUER: ISSUER,
      ASAP_KEY_ID: KEY_ID,
      ASAP_PRIVATE_KEY: keys.pkcs8Pem,
      ASAP_ALGORITHM: 'ES256',
      ASAP_AUDIENCE: 'billing',
    })
    const dispatcher = signedAgent({ provider, audience: { [billing.origin]: 'billing' } })

    expect(await get(dispatcher, '/x')).toBe(200)
    expect(billing.requests[0]!.claims?.iss).toBe(ISSUER)
  })
})
