/**
 * A minimal ASAP key repository for the examples and the demo: it serves each public key as an
 * SPKI PEM at `<base URL>/<key ID>`, the way a real repository (for example an S3 bucket behind
 * HTTPS) does. It listens on 127.0.0.1 only.
 */

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running key repository. */
export interface KeyRepository {
  /** Base URL to give verifiers, such as `http://127.0.0.1:41234/`. */
  readonly url: string
  /** Key IDs requested so far, in order. */
  readonly requests: readonly string[]
  /** Publishes or replaces the public key of `keyId`. */
  publish(keyId: string, publicKeyPem: string): void
  close(): Promise<void>
}

/** Starts a key repository on 127.0.0.1 with a free port. */
export async function startKeyRepository(): Promise<KeyRepository> {
  const keys = new Map<string, string>()
  const requests: string[] = []

  const server: Server = createServer((request, response) => {
    const keyId = decodeURIComponent((request.url ?? '/').slice(1))
    requests.push(keyId)
    const pem = keys.get(keyId)
    if (request.method !== 'GET' || pem === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    response
      .writeHead(200, { 'content-type': 'application/x-pem-file', 'cache-control': 'max-age=300' })
      .end(pem)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    publish: (keyId, publicKeyPem) => keys.set(keyId, publicKeyPem),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
