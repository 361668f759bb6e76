import { AsapUrlChangedError, withAsap } from '@asap-auth/axios'
import axios from 'axios'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { createTestProvider, verifyAuthorization } from './helpers/asap.js'
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

/**
 * Creates an instance whose own interceptor runs after the ASAP one. axios runs request
 * interceptors in reverse order of registration, so the one registered first runs last.
 */
function clientWithLaterInterceptor(
  change: (config: { url?: string; headers: { delete(name: string): unknown } }) => void,
) {
  const client = axios.create({ baseURL: billing.origin })
  client.interceptors.request.use((config) => {
    change(config)
    return config
  })
  withAsap(client, { provider: createTestProvider(), audience: 'billing' })
  return client
}

test('URL changed to another origin after signing: rejected, nothing sent', async () => {
  const client = clientWithLaterInterceptor((config) => {
    config.url = `${unmapped.origin}/moved`
  })

  const request = client.get('/x')

  await expect(request).rejects.toBeInstanceOf(AsapUrlChangedError)
  await expect(request).rejects.toMatchObject({ code: 'ERR_ASAP_URL_CHANGED', field: 'url' })
  expect(unmapped.requests).toHaveLength(0)
  expect(billing.requests).toHaveLength(0)
})

test('message names both origins and no token', async () => {
  const client = clientWithLaterInterceptor((config) => {
    config.url = `${unmapped.origin}/moved?secret=1`
  })

  const error = (await client.get('/x').catch((caught: unknown) => caught)) as Error

  expect(error.message).toContain(`from origin ${billing.origin} to ${unmapped.origin}`)
  expect(error.message).not.toContain('secret')
  expect(error.message).not.toContain('Bearer')
})

test('path changed on the same origin: sent with the token', async () => {
  const client = clientWithLaterInterceptor((config) => {
    config.url = '/rewritten'
  })

  await client.get('/x')

  expect(billing.requests[0]!.url).toBe('/rewritten')
  await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
})

test('URL changed and token removed by the caller: sent without token', async () => {
  const client = clientWithLaterInterceptor((config) => {
    config.url = `${unmapped.origin}/moved`
    config.headers.delete('Authorization')
  })

  await client.get('/x')

  expect(unmapped.requests).toHaveLength(1)
  expect(unmapped.requests[0]!.authorizations).toEqual([])
})

test('re-sent config with a new unmapped URL drops the earlier token', async () => {
  const client = axios.create({ baseURL: billing.origin })
  withAsap(client, { provider: createTestProvider(), audience: 'billing' })
  const first = await client.get('/x')

  await client.request({ ...first.config, url: `${unmapped.origin}/elsewhere` })

  expect(unmapped.requests).toHaveLength(1)
  expect(unmapped.requests[0]!.authorizations).toEqual([])
})

test('re-sent config to the same origin gets a token again', async () => {
  const client = axios.create({ baseURL: billing.origin })
  withAsap(client, { provider: createTestProvider(), audience: 'billing' })
  const first = await client.get('/x')

  await client.request(first.config)

  expect(billing.requests).toHaveLength(2)
  expect(billing.requests[1]!.authorizations).toHaveLength(1)
  await verifyAuthorization(billing.requests[1]!.authorizations[0], 'billing')
})
