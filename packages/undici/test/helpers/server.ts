/**
 * HTTP servers on 127.0.0.1 that verify the ASAP token of every request with jose and record
 * what they receive, raw headers included, so tests can count `Authorization` headers exactly.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type JWTHeaderParameters, type JWTPayload, jwtVerify } from './jose.js'

/** One request as a server received it. */
export interface ReceivedRequest {
  readonly method: string
  /** Path and query. */
  readonly path: string
  /** Header names and values in the order they arrived, names in their original case. */
  readonly rawHeaders: readonly string[]
  /** Every `Authorization` value, in arrival order. */
  readonly authorizations: readonly string[]
  /** The request body as UTF-8. */
  readonly body: string
  /** The verified claims, when the request carried exactly one valid token. */
  readonly claims: JWTPayload | undefined
  /** The verified protected header, when the request carried exactly one valid token. */
  readonly header: JWTHeaderParameters | undefined
  /** Why verification failed, when a single token was sent and rejected. */
  readonly rejection: string | undefined
}

/** Writes the response to a request. The default response is described at {@link respondByDefault}. */
export type Responder = (
  request: ReceivedRequest,
  response: ServerResponse,
  server: TestServer,
) => void | Promise<void>

/** Settings of {@link startServer}. */
export interface ServerOptions {
  /** This server's own identifier, which must be among the token's `aud` values. */
  readonly audience: string
  /** The issuer the server accepts. */
  readonly issuer: string
  /** The issuer's public key. */
  readonly publicKey: KeyObject
  /** Replaces the default response. */
  readonly respond?: Responder
}

/** A running server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string
  readonly audience: string
  /** Every request received so far, in arrival order. */
  readonly requests: ReceivedRequest[]
  /** Replaces the responder for the requests that follow. */
  respondWith(responder: Responder | undefined): void
  close(): Promise<void>
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

function authorizationValues(rawHeaders: readonly string[]): string[] {
  const values: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'authorization') {
      values.push(rawHeaders[i + 1]!)
    }
  }
  return values
}

/**
 * Verifies `authorization` as an ASAP bearer token: signature against `publicKey`, `aud`, `iss`,
 * `kid` starting with `<iss>/`, `typ` JWT and a lifetime of at most 3600 seconds.
 */
async function verifyToken(
  authorization: string,
  options: ServerOptions,
): Promise<{ claims: JWTPayload; header: JWTHeaderParameters }> {
  const [scheme, token, ...rest] = authorization.split(' ')
  if (scheme !== 'Bearer' || token === undefined || rest.length > 0) {
    throw new Error('not a Bearer token')
  }
  const { payload, protectedHeader } = await jwtVerify(token, options.publicKey, {
    audience: options.audience,
    issuer: options.issuer,
    typ: 'JWT',
    requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
  })
  if (!protectedHeader.kid?.startsWith(`${options.issuer}/`)) {
    throw new Error(`kid ${protectedHeader.kid} does not start with ${options.issuer}/`)
  }
  if (payload.exp! - payload.iat! > 3600) {
    throw new Error(`lifetime ${payload.exp! - payload.iat!} s exceeds 3600 s`)
  }
  return { claims: payload, header: protectedHeader }
}

async function receive(request: IncomingMessage, options: ServerOptions): Promise<ReceivedRequest> {
  const body = await readBody(request)
  const authorizations = authorizationValues(request.rawHeaders)
  let claims: JWTPayload | undefined
  let header: JWTHeaderParameters | undefined
  let rejection: string | undefined
  if (authorizations.length === 1) {
    try {
      ;({ claims, header } = await verifyToken(authorizations[0]!, options))
    } catch (error) {
      rejection = (error as Error).message
    }
  }
  return {
    method: request.method!,
    path: request.url!,
    rawHeaders: [...request.rawHeaders],
    authorizations,
    body,
    claims,
    header,
    rejection,
  }
}

/**
 * Writes the default response: 400 for more than one `Authorization` header, 401 with
 * `WWW-Authenticate: Bearer` for a token that fails verification, otherwise 200 with a JSON body
 * naming the server and the verified audience (or `null` without a token).
 */
function respondByDefault(
  request: ReceivedRequest,
  response: ServerResponse,
  server: TestServer,
): void {
  if (request.authorizations.length > 1) {
    response.writeHead(400, { 'content-type': 'text/plain' }).end('more than one Authorization')
    return
  }
  if (request.rejection !== undefined) {
    response
      .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
      .end(`rejected: ${request.rejection}`)
    return
  }
  response
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ server: server.audience, aud: request.claims?.aud ?? null }))
}

/**
 * Starts a server on 127.0.0.1 with a random port. Close it with `close()` after the test; open
 * keep-alive connections are closed too.
 */
export async function startServer(options: ServerOptions): Promise<TestServer> {
  const requests: ReceivedRequest[] = []
  let responder: Responder | undefined = options.respond
  let origin = ''

  const server = createServer((incoming, response) => {
    receive(incoming, options)
      .then(async (request) => {
        requests.push(request)
        await (responder ?? respondByDefault)(request, response, handle)
      })
      .catch((error: unknown) => {
        response.writeHead(500).end(String((error as Error).message))
      })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const handle: TestServer = {
    origin,
    audience: options.audience,
    requests,
    respondWith: (next) => {
      responder = next
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
  return handle
}
