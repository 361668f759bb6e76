/**
 * axios with ASAP: `withAsap` adds a token to every request whose origin is in the audience map,
 * and `config.asap` changes the token of a single request.
 *
 * Run with `npx tsx examples/axios.ts` after `pnpm build`.
 */

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { withAsap } from '@asap-auth/axios'
import { createTokenProvider } from '@asap-auth/core'
import { type AsapRequest, createAsapMiddleware, createVerifier } from '@asap-auth/verifier'
import axios from 'axios'
import { startKeyRepository } from './support/key-repository.js'
import { type ServiceReply, startResourceService } from './support/services.js'

// The client service `orders` signs with a new key, published in a local key repository.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const repository = await startKeyRepository()
repository.publish('orders/key-1', publicKey.export({ type: 'spki', format: 'pem' }) as string)

const invoices = await startResourceService('invoices', 'invoices-service', repository.url)
const reports = await startResourceService('reports', 'reports-service', repository.url)

// A service that accepts tokens made on behalf of a user: verifiers reject a `sub` that differs
// from `iss` unless `subjectMustMatchIssuer` is false.
const requireAsap = createAsapMiddleware(
  createVerifier({
    audience: 'people-service',
    keyRepository: repository.url,
    allowInsecureHttp: true, // the local repository has no TLS
    subjectMustMatchIssuer: false,
  }),
)
const people = createServer((request, response) => {
  void requireAsap(request, response, (error?: unknown) => {
    const subject = (request as AsapRequest).asap?.claims.sub
    response.writeHead(error === undefined ? 200 : 500).end(JSON.stringify({ subject }))
  })
})
await new Promise<void>((resolve) => people.listen(0, '127.0.0.1', resolve))
const peopleOrigin = `http://127.0.0.1:${(people.address() as AddressInfo).port}`

const provider = createTokenProvider({ issuer: 'orders', keyId: 'orders/key-1', privateKey })
const client = axios.create({ validateStatus: () => true })
// The reports service is left out of the map, so requests to it carry no token.
withAsap(client, {
  provider,
  audience: { [invoices.origin]: invoices.audience, [peopleOrigin]: 'people-service' },
})

try {
  const signed = await client.get<ServiceReply>(`${invoices.origin}/invoices`)
  console.log(`invoices: ${signed.status}, verified audience ${signed.data.audience}`)
  assert.equal(signed.status, 200)

  // No token goes to an unmapped origin, so the reports service rejects the request.
  const unsigned = await client.get(`${reports.origin}/reports`)
  console.log(`reports: ${unsigned.status}, sent a token: ${reports.hits[0]?.hadAuthorization}`)
  assert.equal(unsigned.status, 401)

  // `config.asap` sets the subject, audience or extra claims of this request's token only.
  const onBehalf = await client.get<{ subject: string }>(`${peopleOrigin}/me`, {
    asap: { subject: 'user-42' },
  })
  console.log(`people: ${onBehalf.status}, verified subject ${onBehalf.data.subject}`)
  assert.equal(onBehalf.data.subject, 'user-42')
} finally {
  people.closeAllConnections()
  people.close()
  await Promise.all([invoices.close(), reports.close(), repository.close()])
}
