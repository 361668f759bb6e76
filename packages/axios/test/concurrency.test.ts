import { withAsap } from '@asap-auth/axios'
import axios from 'axios'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { asapResponder, createTestProvider, verifyAuthorization } from './helpers/asap.js'
import { startServer, type TestServer } from './helpers/servers.js'

let billing: TestServer

beforeAll(async () => {
  billing = await startServer(asapResponder('billing'))
})

afterAll(async () => {
  await billing.close()
})

test('200 concurrent requests on a cold cache share one signing', async () => {
  const client = axios.create({ baseURL: billing.origin })
  const provider = createTestProvider()
  withAsap(client, { provider, audience: 'billing' })

  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, index) => client.get(`/accounts/${index}`)),
  )

  expect(provider.stats().signed).toBe(1)
  expect(responses.every((response) => response.status === 200)).toBe(true)
  expect(billing.requests).toHaveLength(200)
  const tokens = new Set<string>()
  for (const request of billing.requests) {
    expect(request.authorizations).toHaveLength(1)
    const verified = await verifyAuthorization(request.authorizations[0], 'billing')
    tokens.add(verified.token)
  }
  expect(tokens.size).toBe(1)
})

test('warm cache serves later requests without signing', async () => {
  const client = axios.create({ baseURL: billing.origin })
  const provider = createTestProvider()
  withAsap(client, { provider, audience: 'billing' })

  await client.get('/first')
  await Promise.all(Array.from({ length: 20 }, () => client.get('/again')))

  expect(provider.stats().signed).toBe(1)
  expect(provider.stats().reused).toBe(20)
})
