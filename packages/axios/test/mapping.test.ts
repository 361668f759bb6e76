import { withAsap } from '@asap-auth/axios'
import { AsapInvalidOptionError } from '@asap-auth/core'
import axios from 'axios'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { asapResponder, createTestProvider, verifyAuthorization } from './helpers/asap.js'
import { startServer, type TestServer } from './helpers/servers.js'

let billing: TestServer
let invoices: TestServer
let unmapped: TestServer

beforeAll(async () => {
  billing = await startServer(asapResponder('billing'))
  invoices = await startServer(asapResponder('invoices'))
  unmapped = await startServer()
})

afterAll(async () => {
  await Promise.all([billing.close(), invoices.close(), unmapped.close()])
})

function clearRequests(): void {
  for (const server of [billing, invoices, unmapped]) {
    server.requests.length = 0
  }
}

describe('origin map', () => {
  test('each mapped origin gets its audience, the unmapped one nothing', async () => {
    clearRequests()
    const client = axios.create()
    const provider = createTestProvider()
    withAsap(client, {
      provider,
      audience: { [billing.origin]: 'billing', [invoices.origin]: 'invoices' },
    })

    const [toBilling, toInvoices, toUnmapped] = await Promise.all([
      client.get(`${billing.origin}/accounts?page=2`),
      client.post(`${invoices.origin}/invoices`, { total: 12 }),
      client.get(`${unmapped.origin}/public`),
    ])

    expect(toBilling.status).toBe(200)
    expect(toBilling.data.aud).toBe('billing')
    expect(toInvoices.status).toBe(200)
    expect(toInvoices.data.aud).toBe('invoices')
    expect(toUnmapped.status).toBe(200)

    expect(billing.requests).toHaveLength(1)
    expect(invoices.requests).toHaveLength(1)
    expect(unmapped.requests).toHaveLength(1)
    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
    await verifyAuthorization(invoices.requests[0]!.authorizations[0], 'invoices')
    expect(unmapped.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(2)
  })

  test('origin spelled with default port and upper case matches', async () => {
    clearRequests()
    const client = axios.create()
    const spelled = billing.origin.replace('http://', 'HTTP://')
    withAsap(client, { provider: createTestProvider(), audience: { [spelled]: 'billing' } })

    const response = await client.get(`${billing.origin}/x`)

    expect(response.data.aud).toBe('billing')
  })

  test('audience function sees origin, path and method', async () => {
    clearRequests()
    const client = axios.create()
    const seen: unknown[] = []
    withAsap(client, {
      provider: createTestProvider(),
      audience: (target) => {
        seen.push(target)
        return target.origin === invoices.origin ? 'invoices' : undefined
      },
    })

    await client.put(`${invoices.origin}/invoices/7?draft=1`, { total: 3 })
    await client.get(`${unmapped.origin}/other`)

    expect(seen).toEqual([
      { origin: invoices.origin, path: '/invoices/7?draft=1', method: 'PUT' },
      { origin: unmapped.origin, path: '/other', method: 'GET' },
    ])
    await verifyAuthorization(invoices.requests[0]!.authorizations[0], 'invoices')
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })
})

describe('baseURL', () => {
  test('single audience string binds to the baseURL origin only', async () => {
    clearRequests()
    const client = axios.create({ baseURL: `${billing.origin}/api/v1/` })
    withAsap(client, { provider: createTestProvider(), audience: 'billing' })

    const relative = await client.get('/accounts')
    const absolute = await client.get(`${unmapped.origin}/elsewhere`)

    expect(relative.data.aud).toBe('billing')
    expect(billing.requests[0]!.url).toBe('/api/v1/accounts')
    expect(absolute.status).toBe(200)
    expect(unmapped.requests[0]!.url).toBe('/elsewhere')
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  test('allowAbsoluteUrls false joins an absolute url to baseURL', async () => {
    clearRequests()
    const client = axios.create({ baseURL: billing.origin, allowAbsoluteUrls: false })
    const provider = createTestProvider()
    withAsap(client, { provider, audience: { [billing.origin]: 'billing' } })

    // axios joins the two, so the request goes to the billing server with an odd path.
    const response = await client.get(`${unmapped.origin}/x`)

    expect(response.data.aud).toBe('billing')
    expect(unmapped.requests).toHaveLength(0)
    expect(billing.requests).toHaveLength(1)
    expect(billing.requests[0]!.url).toBe(`/${unmapped.origin}/x`)
  })

  test('absolute url to unmapped origin wins over baseURL and gets no token', async () => {
    clearRequests()
    const client = axios.create({ baseURL: billing.origin })
    withAsap(client, { provider: createTestProvider(), audience: 'billing' })

    await client.get(`${unmapped.origin}/x`)

    expect(billing.requests).toHaveLength(0)
    expect(unmapped.requests[0]!.authorizations).toEqual([])
  })

  test('single audience string without baseURL is rejected at set-up', () => {
    const client = axios.create()

    expect(() => withAsap(client, { provider: createTestProvider(), audience: 'billing' })).toThrow(
      AsapInvalidOptionError,
    )
  })

  test('single audience string with relative baseURL is rejected at set-up', () => {
    const client = axios.create({ baseURL: '/api' })

    expect(() => withAsap(client, { provider: createTestProvider(), audience: 'billing' })).toThrow(
      AsapInvalidOptionError,
    )
  })
})
