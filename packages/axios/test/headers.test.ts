import { inspect } from 'node:util'
import { REDACTED_TOKEN, withAsap } from '@asap-auth/axios'
import axios, {
  AxiosError,
  AxiosHeaders,
  type AxiosRequestConfig,
  type CreateAxiosDefaults,
} from 'axios'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createTestProvider, verifyAuthorization } from './helpers/asap.js'
import { sendJson, startServer, type TestServer } from './helpers/servers.js'

let billing: TestServer

beforeAll(async () => {
  billing = await startServer((request, response) => {
    sendJson(response, request.url.startsWith('/fail') ? 500 : 200, { ok: true })
  })
})

afterAll(async () => {
  await billing.close()
})

beforeEach(() => {
  billing.requests.length = 0
})

interface HeaderCase {
  readonly name: string
  readonly defaults?: CreateAxiosDefaults
  readonly config: () => AxiosRequestConfig
}

const callerHeader = 'Bearer caller-token'

const withCallerHeader: readonly HeaderCase[] = [
  {
    name: 'plain object, lower case',
    config: () => ({ headers: { authorization: callerHeader } }),
  },
  {
    name: 'plain object, upper case',
    config: () => ({ headers: { AUTHORIZATION: callerHeader } }),
  },
  {
    name: 'AxiosHeaders',
    config: () => ({ headers: new AxiosHeaders({ Authorization: callerHeader }) }),
  },
  {
    name: 'instance defaults, common',
    defaults: { headers: { common: { Authorization: callerHeader } } },
    config: () => ({}),
  },
  {
    name: 'instance defaults and call in different case',
    defaults: { headers: { authorization: 'Bearer default-token' } },
    config: () => ({ headers: { Authorization: callerHeader } }),
  },
]

function clientFor(testCase: HeaderCase, replaceAuthorization?: boolean) {
  const client = axios.create({ baseURL: billing.origin, ...testCase.defaults })
  const provider = createTestProvider()
  withAsap(client, { provider, audience: 'billing', replaceAuthorization })
  return { client, provider }
}

describe('existing Authorization', () => {
  test.each(withCallerHeader)('kept by default: $name', async (testCase) => {
    const { client, provider } = clientFor(testCase)

    await client.get('/x', testCase.config())

    expect(billing.requests).toHaveLength(1)
    expect(billing.requests[0]!.authorizations).toEqual([callerHeader])
    expect(provider.stats().signed).toBe(0)
  })

  test.each(withCallerHeader)('replaced with replaceAuthorization: $name', async (testCase) => {
    const { client, provider } = clientFor(testCase, true)

    await client.get('/x', testCase.config())

    expect(billing.requests).toHaveLength(1)
    expect(billing.requests[0]!.authorizations).toHaveLength(1)
    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
    expect(provider.stats().signed).toBe(1)
  })

  test('Authorization false sends no header by default', async () => {
    const { client, provider } = clientFor({ name: 'false', config: () => ({}) })

    await client.get('/x', { headers: { Authorization: false } })

    expect(billing.requests[0]!.authorizations).toEqual([])
    expect(provider.stats().signed).toBe(0)
  })

  test('Authorization false is replaced with replaceAuthorization', async () => {
    const { client } = clientFor({ name: 'false', config: () => ({}) }, true)

    await client.get('/x', { headers: { Authorization: false } })

    expect(billing.requests[0]!.authorizations).toHaveLength(1)
    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
  })

  test('auth option is kept by default', async () => {
    const { client } = clientFor({ name: 'auth', config: () => ({}) })

    await client.get('/x', { auth: { username: 'user', password: 'secret' } })

    const basic = `Basic ${Buffer.from('user:secret').toString('base64')}`
    expect(billing.requests[0]!.authorizations).toEqual([basic])
  })

  test('auth option is replaced with replaceAuthorization', async () => {
    const { client } = clientFor({ name: 'auth', config: () => ({}) }, true)

    await client.get('/x', { auth: { username: 'user', password: 'secret' } })

    expect(billing.requests[0]!.authorizations).toHaveLength(1)
    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
  })

  test('credentials in the URL win even with replaceAuthorization', async () => {
    const { client, provider } = clientFor({ name: 'url', config: () => ({}) }, true)
    const url = billing.origin.replace('http://', 'http://user:secret@')

    await client.get(`${url}/x`)

    const basic = `Basic ${Buffer.from('user:secret').toString('base64')}`
    expect(billing.requests[0]!.authorizations).toEqual([basic])
    expect(provider.stats().signed).toBe(0)
  })
})

describe('header forms without Authorization', () => {
  const forms: readonly HeaderCase[] = [
    { name: 'no headers', config: () => ({}) },
    { name: 'plain object', config: () => ({ headers: { 'X-Trace': '1', accept: 'text/plain' } }) },
    { name: 'AxiosHeaders', config: () => ({ headers: new AxiosHeaders({ 'X-Trace': '1' }) }) },
    {
      name: 'instance defaults',
      defaults: { headers: { common: { 'X-Trace': '1' } } },
      config: () => ({}),
    },
  ]

  test.each(forms)('one token: $name', async (testCase) => {
    const { client } = clientFor(testCase)

    await client.get('/x', testCase.config())

    expect(billing.requests[0]!.authorizations).toHaveLength(1)
    await verifyAuthorization(billing.requests[0]!.authorizations[0], 'billing')
  })
})

describe('token kept out of logs', () => {
  test('AxiosError toJSON, inspect and message hide the token', async () => {
    const { client } = clientFor({ name: 'error', config: () => ({}) })

    const error: unknown = await client.get('/fail').catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(AxiosError)
    const axiosError = error as AxiosError
    const token = billing.requests[0]!.authorizations[0]!.slice('Bearer '.length)
    await verifyAuthorization(`Bearer ${token}`, 'billing')
    expect(axiosError.config?.redact).toEqual(['authorization'])
    expect(JSON.stringify(axiosError)).not.toContain(token)
    expect(inspect(axiosError, { depth: 10 })).not.toContain(token)
    expect(inspect(axiosError, { depth: 10 })).toContain(REDACTED_TOKEN)
    expect(inspect(axiosError.response, { depth: 10 })).not.toContain(token)
    expect(inspect(axiosError.config, { depth: 10 })).not.toContain(token)
    expect(inspect(axiosError.config?.headers, { depth: 10 })).not.toContain(token)
    expect(inspect(axiosError.request, { depth: 3 })).not.toContain(token)
    expect(axiosError.message).not.toContain(token)
    expect(String(axiosError.stack)).not.toContain(token)
  })

  test('inspect of a response hides the token', async () => {
    const { client } = clientFor({ name: 'response', config: () => ({}) })

    const response = await client.get('/x')

    const token = billing.requests[0]!.authorizations[0]!.slice('Bearer '.length)
    expect(inspect(response, { depth: 10 })).not.toContain(token)
    expect(inspect(response)).not.toContain(token)
  })

  test('caller redact list is extended, not replaced', async () => {
    const { client } = clientFor({ name: 'redact', config: () => ({}) })

    const response = await client.get('/x', { redact: ['x-api-key'] })

    expect(response.config.redact).toEqual(['x-api-key', 'authorization'])
  })
})
