/**
 * Configuration from `ASAP_*` environment variables, with the private key as a data URI that
 * carries its own key ID, as ASAP tooling exports it.
 *
 * Run with `npx tsx examples/env-data-uri.ts` after `pnpm build`.
 */

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createTokenProvider, signerOptionsFromEnv } from '@asap-auth/core'
import { startKeyRepository } from './support/key-repository.js'
import { type ServiceReply, startResourceService } from './support/services.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const repository = await startKeyRepository()
repository.publish('orders/key-1', publicKey.export({ type: 'spki', format: 'pem' }) as string)
const invoices = await startResourceService('invoices', 'invoices-service', repository.url)

// data:application/pkcs8;kid=<percent-encoded key ID>;base64,<PKCS#8 DER>. encodeURIComponent
// writes `/` as %2F and `+` as %2B, which matters because some tools read a bare `+` as a space.
const der = privateKey.export({ type: 'pkcs8', format: 'der' })
const dataUriPrefix = `data:application/pkcs8;kid=${encodeURIComponent('orders/key-1')};base64,`

// A deployment sets these variables in its environment. This example passes a plain object to
// signerOptionsFromEnv, which reads process.env when given none.
const env = {
  ASAP_ISSUER: 'orders',
  ASAP_PRIVATE_KEY: dataUriPrefix + der.toString('base64'),
  ASAP_AUDIENCE: 'invoices-service',
}
console.log(`ASAP_PRIVATE_KEY=${dataUriPrefix}…`)

// No ASAP_KEY_ID: the key ID comes from the data URI. The key is read here, once.
const options = signerOptionsFromEnv(env)
console.log(`issuer ${options.issuer}, key ID ${options.keyId}, audience ${options.audience}`)
const provider = createTokenProvider(options)

try {
  // Without an audience argument the provider signs for ASAP_AUDIENCE.
  const response = await fetch(`${invoices.origin}/invoices`, {
    headers: { authorization: await provider.getAuthorizationHeader() },
  })
  const reply = (await response.json()) as ServiceReply
  console.log(`invoices: ${response.status}, verified audience ${reply.audience}`)
  assert.equal(response.status, 200)
} finally {
  await Promise.all([invoices.close(), repository.close()])
}
