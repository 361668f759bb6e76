import { Readable } from 'node:stream'
import { withAsap } from '@asap-auth/axios'
import axios, { AxiosError } from 'axios'
import { afterEach, describe, expect, test } from 'vitest'
import { createTestProvider, verifyAuthorization } from './helpers/asap.js'
import { type Responder, sendJson, startServer, type TestServer } from './helpers/servers.js'

const servers: TestServer[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function serve(respond: Responder): Promise<TestServer> {
  const server = await startServer(respond)
  servers.push(server)
  return server
}

/** Returns a billing receiver that rejects the first token it receives, as if it had been revoked. */
function rejectingFirstToken(): Responder {
  let rejected: string | undefined
  return async (request, response) => {
    const verified = await verifyAuthorization(request.authorizations[0], 'billing')
    rejected ??= verified.token
    if (verified.token === rejected) {
      response.setHeader('www-authenticate', 'Bearer')
      sendJson(response, 401, { error: 'token revoked' })
      return
    }
    sendJson(response, 200, { body: request.body })
  }
}

const alwaysUnauthorized: Responder = (_request, response) => {
  response.setHeader('www-authenticate', 'Bearer')
  sendJson(response, 401, { error: 'no' })
}

function createClient(server: TestServer, retryOnUnauthorized?: boolean) {
  const client = axios.create({ baseURL: server.origin })
  const provider = createTestProvider()
  withAsap(client, { provider, audience: 'billing', retryOnUnauthorized })
  return { client, provider }
}

async function tokensSeen(server: TestServer): Promise<string[]> {
  const tokens: string[] = []
  for (const request of server.requests) {
    expect(request.authorizations).toHaveLength(1)
    tokens.push((await verifyAuthorization(request.authorizations[0], 'billing')).token)
  }
  return tokens
}

describe('401 retry', () => {
  test('401 then 200: one retry with a new token', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client, provider } = createClient(billing)

    const response = await client.get('/x')

    expect(response.status).toBe(200)
    expect(billing.requests).toHaveLength(2)
    const [first, second] = await tokensSeen(billing)
    expect(second).not.toBe(first)
    expect(provider.stats().signed).toBe(2)
  })

  test('401 twice: the 401 is returned after exactly one retry', async () => {
    const billing = await serve(alwaysUnauthorized)
    const { client, provider } = createClient(billing)

    const error: unknown = await client.get('/x').catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AxiosError)
    expect((error as AxiosError).response?.status).toBe(401)
    expect(billing.requests).toHaveLength(2)
    expect(provider.stats().signed).toBe(2)
  })

  test('JSON body is sent again unchanged', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client } = createClient(billing)

    const response = await client.post('/invoices', { total: 12, lines: ['a', 'b'] })

    expect(response.status).toBe(200)
    expect(billing.requests).toHaveLength(2)
    expect(billing.requests[0]!.body).toBe('{"total":12,"lines":["a","b"]}')
    expect(billing.requests[1]!.body).toBe(billing.requests[0]!.body)
    expect(billing.requests[1]!.headers['content-type']).toBe('application/json')
  })

  test.each([
    ['string', () => 'plain text'],
    ['Buffer', () => Buffer.from('bytes')],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: '2' })],
    ['Blob', () => new Blob(['blob bytes'])],
  ])('%s body is sent again', async (_name, body) => {
    const billing = await serve(rejectingFirstToken())
    const { client } = createClient(billing)

    const response = await client.post('/upload', body())

    expect(response.status).toBe(200)
    expect(billing.requests).toHaveLength(2)
    expect(billing.requests[1]!.body).toBe(billing.requests[0]!.body)
  })

  test('stream body is not retried', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client } = createClient(billing)

    const error: unknown = await client
      .post('/upload', Readable.from([Buffer.from('chunk')]))
      .catch((caught: unknown) => caught)

    expect((error as AxiosError).response?.status).toBe(401)
    expect(billing.requests).toHaveLength(1)
    expect(billing.requests[0]!.body).toBe('chunk')
  })

  test('FormData body is not retried', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client } = createClient(billing)
    const form = new FormData()
    form.append('field', 'value')

    const error: unknown = await client.post('/upload', form).catch((caught: unknown) => caught)

    expect((error as AxiosError).response?.status).toBe(401)
    expect(billing.requests).toHaveLength(1)
  })

  test('retryOnUnauthorized false returns the first 401', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client } = createClient(billing, false)

    const error: unknown = await client.get('/x').catch((caught: unknown) => caught)

    expect((error as AxiosError).response?.status).toBe(401)
    expect(billing.requests).toHaveLength(1)
  })

  test('validateStatus that accepts 401 still gets the retry', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client } = createClient(billing)

    const response = await client.get('/x', { validateStatus: () => true })

    expect(response.status).toBe(200)
    expect(billing.requests).toHaveLength(2)
  })

  test('401 to the caller own header is not retried', async () => {
    const billing = await serve(alwaysUnauthorized)
    const { client, provider } = createClient(billing)

    const error: unknown = await client
      .get('/x', { headers: { Authorization: 'Bearer caller' } })
      .catch((caught: unknown) => caught)

    expect((error as AxiosError).response?.status).toBe(401)
    expect(billing.requests).toHaveLength(1)
    expect(provider.stats().signed).toBe(0)
  })

  test('200 concurrent 401s cause one new signing', async () => {
    const billing = await serve(rejectingFirstToken())
    const { client, provider } = createClient(billing)

    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, index) => client.get(`/accounts/${index}`)),
    )

    expect(responses.every((response) => response.status === 200)).toBe(true)
    expect(billing.requests).toHaveLength(400)
    expect(provider.stats().signed).toBe(2)
    const tokens = await tokensSeen(billing)
    expect(new Set(tokens).size).toBe(2)
  })

  test('removing withAsap stops signing and retrying', async () => {
    const billing = await serve(alwaysUnauthorized)
    const client = axios.create({ baseURL: billing.origin })
    const provider = createTestProvider()
    const remove = withAsap(client, { provider, audience: 'billing' })

    remove()
    remove()
    const error: unknown = await client.get('/x').catch((caught: unknown) => caught)

    expect((error as AxiosError).response?.status).toBe(401)
    expect(billing.requests).toHaveLength(1)
    expect(billing.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(0)
  })
})
