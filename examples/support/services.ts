/**
 * Resource services for the examples and the demo: plain `node:http` servers on 127.0.0.1 that
 * verify every request with `@asap-auth/verifier` and answer with what they verified.
 */

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AsapRequest, createAsapMiddleware, createVerifier } from '@asap-auth/verifier'

/** What a service answers to a verified request. */
export interface ServiceReply {
  service: string
  audience: string | string[]
  issuer: string
  subject: string | undefined
  jti: string
}

/** One request as the service saw it. */
export interface ServiceHit {
  /** Whether the request carried an `Authorization` header at all. */
  readonly hadAuthorization: boolean
  /** HTTP status the service answered with. */
  readonly status: number
  /** The verified token's `jti`, when verification succeeded. */
  readonly jti: string | undefined
}

/** A running resource service. */
export interface ResourceService {
  readonly name: string
  /** The audience this service accepts. */
  readonly audience: string
  /** The service's origin, such as `http://127.0.0.1:41234`. */
  readonly origin: string
  /** Every request so far, in arrival order. */
  readonly hits: readonly ServiceHit[]
  close(): Promise<void>
}

/**
 * Starts a service that accepts tokens for `audience` whose public keys are in the repository at
 * `keyRepositoryUrl`.
 */
export async function startResourceService(
  name: string,
  audience: string,
  keyRepositoryUrl: string,
): Promise<ResourceService> {
  // `allowInsecureHttp` because the demo repository is a loopback server without TLS. A real
  // deployment uses an https: repository.
  const verifier = createVerifier({
    audience,
    keyRepository: keyRepositoryUrl,
    allowInsecureHttp: true,
  })
  const requireAsap = createAsapMiddleware(verifier)
  const hits: ServiceHit[] = []

  const server: Server = createServer((request, response) => {
    const hadAuthorization = request.headers.authorization !== undefined
    response.on('finish', () => {
      const jti = (request as AsapRequest).asap?.claims.jti
      hits.push({ hadAuthorization, status: response.statusCode, jti })
    })

    void requireAsap(request, response, (error?: unknown) => {
      if (error !== undefined) {
        response.writeHead(500).end()
        return
      }
      const { claims } = (request as AsapRequest).asap!
      const reply: ServiceReply = {
        service: name,
        audience: claims.aud,
        issuer: claims.iss,
        subject: claims.sub,
        jti: claims.jti,
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    name,
    audience,
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
