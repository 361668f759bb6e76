/**
 * Loopback HTTP servers for tests: every server listens on 127.0.0.1 on a free port and records
 * each request it receives.
 *
 * @module
 */

import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a test server received. */
export interface RecordedRequest {
  readonly method: string
  /** The request target exactly as sent, before any decoding or normalisation. */
  readonly path: string
  readonly accept: string | undefined
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string
  /** Every request received, in order. */
  readonly requests: RecordedRequest[]
  /** The request targets received, in order. */
  readonly paths: string[]
  readonly server: Server
  close(): Promise<void>
}

/** Starts `handler` on 127.0.0.1 and records every request before the handler sees it. */
export async function startServer(handler: RequestListener): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const paths: string[] = []
  const server = createServer((request: IncomingMessage, response) => {
    requests.push({
      method: request.method ?? '',
      path: request.url ?? '',
      accept: request.headers.accept,
    })
    paths.push(request.url ?? '')
    handler(request, response)
  })
  server.keepAliveTimeout = 100

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    paths,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Response settings of {@link serveKeys}. */
export interface KeyServerOptions {
  /** Path prefix under which keys live, starting and ending with `/`. Default `/`. */
  basePath?: string
  /** `Content-Type` of key responses. Default `application/x-pem-file`. */
  contentType?: string | undefined
  /** `Cache-Control` of key responses, when set. */
  cacheControl?: string | undefined
}

/**
 * Returns a handler that responds to `GET <basePath><kid>` with the PEM stored for `kid` in `keys`,
 * and 404 for anything else. `keys` may change while the server runs.
 */
export function serveKeys(
  keys: Map<string, string>,
  options: KeyServerOptions = {},
): RequestListener {
  const basePath = options.basePath ?? '/'
  return (request, response) => {
    const path = request.url ?? ''
    const pem = path.startsWith(basePath) ? keys.get(path.slice(basePath.length)) : undefined
    if (request.method !== 'GET' || pem === undefined) {
      response.statusCode = 404
      response.end('not found')
      return
    }
    response.setHeader('Content-Type', options.contentType ?? 'application/x-pem-file')
    if (options.cacheControl !== undefined) {
      response.setHeader('Cache-Control', options.cacheControl)
    }
    response.end(pem)
  }
}

/** Returns a handler that responds to every request with `status` and a short body. */
export function respondWithStatus(status: number): RequestListener {
  return (_request, response) => {
    response.statusCode = status
    response.end(`status ${status}`)
  }
}

/** Returns the origin of a port that nothing listens on: a server started and closed again. */
export async function closedOrigin(): Promise<string> {
  const server = await startServer(respondWithStatus(200))
  await server.close()
  return server.origin
}
