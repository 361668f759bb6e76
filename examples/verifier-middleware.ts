/**
 * The receiving side: a `node:http` server protected by `createAsapMiddleware`. A request with a
 * valid token reaches the handler, which reads the verified claims from `request.asap`. Any other
 * request gets 401 with a `WWW-Authenticate` challenge and never reaches the handler.
 *
 * The middleware has Express's `(req, res, next)` shape, so in an Express 5 app the same verifier
 * goes in `app.use(createAsapMiddleware(verifier))`.
 *
 * Run with `npx tsx examples/verifier-middleware.ts` after `pnpm build`.
 */

import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSigner } from '@asap-auth/core'
import { type AsapRequest, createAsapMiddleware, createVerifier } from '@asap-auth/verifier'
import { startKeyRepository } from './support/key-repository.js'

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const repository = await startKeyRepository()
repository.publish('orders/key-1', publicKey.export({ type: 'spki', format: 'pem' }) as string)

// `allowInsecureHttp` because the local repository has no TLS. Use an https: one in production.
const verifier = createVerifier({
  audience: 'invoices-service',
  keyRepository: repository.url,
  allowInsecureHttp: true,
})
const requireAsap = createAsapMiddleware(verifier)

const server = createServer((request, response) => {
  void requireAsap(request, response, (error?: unknown) => {
    if (error !== undefined) {
      response.writeHead(500).end()
      return
    }
    const { claims } = (request as AsapRequest).asap!
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ issuer: claims.iss, audience: claims.aud }))
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/invoices`

function challenge(response: Response): string {
  return `WWW-Authenticate: ${response.headers.get('www-authenticate')}`
}

try {
  const signer = createSigner({ issuer: 'orders', keyId: 'orders/key-1', privateKey })
  const token = await signer.sign('invoices-service')
  const signed = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  console.log(`signed request: ${signed.status} ${await signed.text()}`)
  assert.equal(signed.status, 200)

  // Without a token the challenge is a bare `Bearer`. A token that fails verification, here one
  // for another audience, adds `error="invalid_token"`.
  const unsigned = await fetch(url)
  await unsigned.body?.cancel()
  console.log(`unsigned request: ${unsigned.status}, ${challenge(unsigned)}`)
  assert.equal(unsigned.status, 401)

  const otherAudience = `Bearer ${await signer.sign('search-service')}`
  const rejected = await fetch(url, { headers: { authorization: otherAudience } })
  await rejected.body?.cancel()
  console.log(`token for another audience: ${rejected.status}, ${challenge(rejected)}`)
  assert.equal(rejected.status, 401)
} finally {
  server.closeAllConnections()
  server.close()
  await repository.close()
}
