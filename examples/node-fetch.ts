/**
 * Node's built-in `fetch` with ASAP: it sends through undici's global dispatcher, so installing
 * an `Agent` composed with `asap()` as that dispatcher signs every `fetch` call in the process to
 * a mapped origin.
 *
 * Run with `npx tsx examples/node-fetch.ts` after `pnpm build`.
 */

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createTokenProvider } from '@asap-auth/core'
import { asap } from '@asap-auth/undici'
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici'
import { startKeyRepository } from './support/key-repository.js'
import { type ServiceReply, startResourceService } from './support/services.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const repository = await startKeyRepository()
repository.publish('orders/key-1', publicKey.export({ type: 'spki', format: 'pem' }) as string)
const invoices = await startResourceService('invoices', 'invoices-service', repository.url)
const reports = await startResourceService('reports', 'reports-service', repository.url)

const provider = createTokenProvider({ issuer: 'orders', keyId: 'orders/key-1', privateKey })
const agent = new Agent().compose(
  asap({ provider, audience: { [invoices.origin]: invoices.audience } }),
)
// Every other user of the global dispatcher now goes through `agent` too, including this
// process's verifiers fetching public keys. Their origins are not mapped, so they get no token.
const previousDispatcher = getGlobalDispatcher()
setGlobalDispatcher(agent)

try {
  const signed = await fetch(`${invoices.origin}/invoices`)
  const reply = (await signed.json()) as ServiceReply
  console.log(`fetch to invoices: ${signed.status}, verified audience ${reply.audience}`)
  assert.equal(signed.status, 200)

  const unsigned = await fetch(`${reports.origin}/reports`)
  await unsigned.body?.cancel()
  console.log(`fetch to reports (not mapped): ${unsigned.status}`)
  assert.equal(unsigned.status, 401)
} finally {
  setGlobalDispatcher(previousDispatcher)
  await agent.close()
  await Promise.all([invoices.close(), reports.close(), repository.close()])
}
