/**
 * undici with ASAP: the `asap()` interceptor, composed on an `Agent`, adds a token to every
 * request whose origin is in the audience map, for `request` and `fetch` alike.
 *
 * Run with `npx tsx examples/undici.ts` after `pnpm build`.
 */

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createTokenProvider } from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import { Agent, fetch, request } from 'undici'
import { startKeyRepository } from './support/key-repository.js'
import { type ServiceReply, startResourceService } from './support/services.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const repository = await startKeyRepository()
repository.publish('orders/key-1', publicKey.export({ type: 'spki', format: 'pem' }) as string)
const invoices = await startResourceService('invoices', 'invoices-service', repository.url)

const provider = createTokenProvider({ issuer: 'orders', keyId: 'orders/key-1', privateKey })
const agent = new Agent().compose(
  asap({ provider, audience: { [invoices.origin]: invoices.audience } }),
)

try {
  const response = await request(`${invoices.origin}/invoices`, { dispatcher: agent })
  const first = (await response.body.json()) as ServiceReply
  console.log(`undici.request: ${response.statusCode}, verified audience ${first.audience}`)
  assert.equal(response.statusCode, 200)

  // fetch takes the same dispatcher, and the provider hands out the cached token again.
  const fetched = await fetch(`${invoices.origin}/invoices`, { dispatcher: agent })
  const second = (await fetched.json()) as ServiceReply
  console.log(`undici.fetch: ${fetched.status}, same token as before: ${second.jti === first.jti}`)
  assert.equal(fetched.status, 200)

  // `asap: false` sends one request without a token, even to a mapped origin.
  const optedOut = await request(`${invoices.origin}/invoices`, { dispatcher: agent, asap: false })
  await optedOut.body.dump()
  console.log(`undici.request with asap: false: ${optedOut.statusCode}`)
  assert.equal(optedOut.statusCode, 401)
} finally {
  await agent.close()
  await Promise.all([invoices.close(), repository.close()])
}
