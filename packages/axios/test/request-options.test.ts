import { withAsap } from '@asap-auth/axios'
import { AsapInvalidOptionError, AsapOriginNotMappedError } from '@asap-auth/core'
import axios from 'axios'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createTestProvider, ISSUER, verifyAuthorization } from './helpers/asap.js'
import { startServer, type TestServer } from './helpers/servers.js'

let billing: TestServer
let unmapped: TestServer

beforeAll(async () => {
  billing = await startServer()
  unmapped = await startServer()
})

afterAll(async () => {
  await Promise.all([billing.close(), unmapped.close()])
})

beforeEach(() => {
  billing.requests.length = 0
  unmapped.requests.length = 0
})

function createClient(defaults: Parameters<typeof axios.create>[0] = {}) {
  const client = axios.create({ baseURL: billing.origin, ...defaults })
  const provider = createTestProvider()
  withAsap(client, { provider, audience: 'billing' })
  return { client, provider }
}

describe('config.asap', () => {
  test('false sends the request without a token', async () => {
    const { client, provider } = createClient()

    await client.get('/x', { asap: false })

    expect(billing.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(0)
  })

  test('false in instance defaults, object per call turns it back on', async () => {
    const { client } = createClient({ asap: false })

    await client.get('/off')
    await client.get('/on', { asap: { subject: 'user-1' } })

    expect(billing.requests[0]!.authorizations).toEqual([])
    const verified = await verifyAuthorization(billing.requests[1]!.authorizations[0], 'billing')
    expect(verified.payload.sub).toBe('user-1')
  })

  test('subject and claims go into the token', async () => {
    const { client } = createClient()

    await client.get('/x', { asap: { subject: 'user-7', claims: { tenant: 'acme' } } })

    const verified = await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
    expect(verified.payload.sub).toBe('user-7')
    expect(verified.payload.tenant).toBe('acme')
    expect(verified.payload.iss).toBe(ISSUER)
  })

  test('instance default claims merge with per-call claims', async () => {
    const { client } = createClient({ asap: { claims: { tenant: 'acme' } } })

    await client.get('/x', { asap: { subject: 'user-2', claims: { region: 'eu' } } })

    const verified = await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
    expect(verified.payload.sub).toBe('user-2')
    expect(verified.payload.tenant).toBe('acme')
    expect(verified.payload.region).toBe('eu')
  })

  test('different subjects get different cached tokens', async () => {
    const { client, provider } = createClient()

    await client.get('/a', { asap: { subject: 'user-1' } })
    await client.get('/b', { asap: { subject: 'user-2' } })
    await client.get('/c', { asap: { subject: 'user-1' } })

    expect(provider.stats().signed).toBe(2)
    const subjects = await Promise.all(
      billing.requests.map(async (request) => {
        const verified = await verifyAuthorization(request.authorizations[0], 'billing')
        return verified.payload.sub
      }),
    )
    expect(subjects).toEqual(['user-1', 'user-2', 'user-1'])
  })

  test('audience override on a mapped origin', async () => {
    const { client } = createClient()

    await client.get('/x', { asap: { audience: ['billing', 'billing-v2'] } })

    const verified = await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing-v2')
    expect(verified.payload.aud).toEqual(['billing', 'billing-v2'])
  })

  test('audience override on an unmapped origin rejects and sends nothing', async () => {
    const { client, provider } = createClient()

    const request = client.get(`${unmapped.origin}/x`, { asap: { audience: 'unmapped' } })

    await expect(request).rejects.toBeInstanceOf(AsapOriginNotMappedError)
    await expect(request).rejects.toMatchObject({ code: 'ERR_ASAP_ORIGIN_NOT_MAPPED' })
    expect(unmapped.requests).toHaveLength(0)
    expect(provider.stats().signed).toBe(0)
  })

  test('invalid value rejects and sends nothing', async () => {
    const { client } = createClient()

    const request = client.get('/x', { asap: true as unknown as false })

    await expect(request).rejects.toBeInstanceOf(AsapInvalidOptionError)
    await expect(request).rejects.toMatchObject({ code: 'ERR_ASAP_OPTION_INVALID', field: 'asap' })
    expect(billing.requests).toHaveLength(0)
  })

  test('unknown key rejects and sends nothing', async () => {
    const { client } = createClient()

    const request = client.get('/x', { asap: { audiences: 'billing' } as never })

    await expect(request).rejects.toMatchObject({
      code: 'ERR_ASAP_OPTION_INVALID',
      field: 'asap.audiences',
    })
    expect(billing.requests).toHaveLength(0)
  })

  test('claims.aud rejects and sends nothing, to mapped and unmapped origins', async () => {
    const { client, provider } = createClient()

    const mapped = client.get('/x', { asap: { claims: { aud: 'billing' } } })
    const other = client.get(`${unmapped.origin}/x`, { asap: { claims: { aud: 'billing' } } })

    for (const request of [mapped, other]) {
      await expect(request).rejects.toBeInstanceOf(AsapInvalidOptionError)
      await expect(request).rejects.toMatchObject({
        code: 'ERR_ASAP_OPTION_INVALID',
        field: 'asap.claims.aud',
      })
    }
    expect(billing.requests).toHaveLength(0)
    expect(unmapped.requests).toHaveLength(0)
    expect(provider.stats().signed).toBe(0)
  })
})
