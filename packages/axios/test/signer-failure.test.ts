import { inspect } from 'node:util'
import { withAsap } from '@asap-auth/axios'
import {
  AsapInvalidClaimsError,
  AsapInvalidKeyError,
  AsapSigningError,
  createSigner,
  createTokenProvider,
  type Signer,
} from '@asap-auth/core'
import axios from 'axios'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { createTestProvider, ISSUER, KEY_ID, keys } from './helpers/asap.js'
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

/** Returns a signer that fails with `failure`, as when a key store becomes unavailable after start-up. */
function failingSigner(failure: Error): Signer {
  const signer = createSigner({
    issuer: ISSUER,
    keyId: KEY_ID,
    privateKey: keys.pkcs8Pem,
    algorithm: 'ES256',
  })
  return {
    issuer: signer.issuer,
    keyId: signer.keyId,
    algorithm: signer.algorithm,
    expiresIn: signer.expiresIn,
    clock: signer.clock,
    audience: signer.audience,
    issue: () => Promise.reject(failure),
    sign: () => Promise.reject(failure),
  }
}

test('signing failure rejects with that error and sends nothing', async () => {
  const failure = new AsapSigningError(
    'Signing an ES256 token with key ID "orders/key-1" failed: key store unavailable',
  )
  const client = axios.create({ baseURL: billing.origin })
  const provider = createTokenProvider(failingSigner(failure))
  withAsap(client, { provider, audience: 'billing' })

  const outcome: unknown = await client.get('/x').catch((caught: unknown) => caught)

  expect(outcome).toBe(failure)
  expect(outcome).toMatchObject({ code: 'ERR_ASAP_SIGNING_FAILED' })
  expect(billing.requests).toHaveLength(0)
  expect(provider.stats().failed).toBe(1)
})

test('invalid per-request claims reject and send nothing', async () => {
  const client = axios.create({ baseURL: billing.origin })
  withAsap(client, { provider: createTestProvider(), audience: 'billing' })

  const request = client.get('/x', { asap: { claims: { exp: 'tomorrow' } } })

  await expect(request).rejects.toBeInstanceOf(AsapInvalidClaimsError)
  await expect(request).rejects.toMatchObject({
    code: 'ERR_ASAP_CLAIMS_INVALID',
    field: 'claims.exp',
  })
  expect(billing.requests).toHaveLength(0)
})

test('a bad key is rejected when withAsap is called, without key material', () => {
  const client = axios.create({ baseURL: billing.origin })
  // A PEM cut after its first two lines of Base64: real key material, but not a whole key.
  const lines = keys.pkcs8Pem.trim().split('\n')
  const badKey = [...lines.slice(0, 3), lines.at(-1)].join('\n')

  let failure: unknown
  try {
    withAsap(client, {
      provider: { issuer: ISSUER, keyId: KEY_ID, privateKey: badKey },
      audience: 'billing',
    })
  } catch (caught) {
    failure = caught
  }

  expect(failure).toBeInstanceOf(AsapInvalidKeyError)
  const body = lines[2]!
  expect(String((failure as Error).message)).not.toContain(body)
  expect(inspect(failure, { depth: 5 })).not.toContain(body)
})

test('signing works again after a failure', async () => {
  let fail = true
  const signer = createSigner({
    issuer: ISSUER,
    keyId: KEY_ID,
    privateKey: keys.pkcs8Pem,
    algorithm: 'ES256',
  })
  const flaky: Signer = {
    issuer: signer.issuer,
    keyId: signer.keyId,
    algorithm: signer.algorithm,
    expiresIn: signer.expiresIn,
    clock: signer.clock,
    audience: signer.audience,
    issue: (audience, overrides) =>
      fail
        ? Promise.reject(new AsapSigningError('key store unavailable'))
        : signer.issue(audience, overrides),
    sign: (audience, overrides) => signer.sign(audience, overrides),
  }
  const client = axios.create({ baseURL: billing.origin })
  withAsap(client, { provider: createTokenProvider(flaky), audience: 'billing' })

  await expect(client.get('/x')).rejects.toMatchObject({ code: 'ERR_ASAP_SIGNING_FAILED' })
  fail = false
  const response = await client.get('/x')

  expect(response.status).toBe(200)
  expect(billing.requests).toHaveLength(1)
  expect(billing.requests[0]!.authorizations).toHaveLength(1)
})
