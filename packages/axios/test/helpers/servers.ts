/**
 * HTTP and HTTPS test servers on 127.0.0.1 that record every request they receive.
 *
 * @module
 */

import { once } from 'node:events'
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { AddressFamily, LookupAddress } from 'axios'
import type { TestCertificate } from './tls.js'

/** One request as the server received it. */
export interface RecordedRequest {
  readonly scheme: 'http' | 'https'
  readonly method: string
  /** The request target, path and query. */
  readonly url: string
  readonly host: string | undefined
  readonly headers: IncomingHttpHeaders
  readonly rawHeaders: readonly string[]
  /** The value of every `Authorization` header line, in the order received, whatever its case. */
  readonly authorizations: readonly string[]
  readonly body: string
}

/** Responds to a recorded request. The default responds 200 with `{"ok":true}`. */
export type Responder = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`, or `https://…` for a TLS server. */
  readonly origin: string
  readonly port: number
  /** Every request received so far, in order. */
  readonly requests: RecordedRequest[]
  close(): Promise<void>
}

/** Writes a JSON body with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}

/** Responds with a redirect to `location`. */
export function sendRedirect(response: ServerResponse, location: string, status = 302): void {
  response.writeHead(status, { location, 'content-length': 0 })
  response.end()
}

const defaultResponder: Responder = (_request, response) => sendJson(response, 200, { ok: true })

async function readBody(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of message) {
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function authorizationLines(rawHeaders: readonly string[]): string[] {
  const values: string[] = []
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() === 'authorization') {
      values.push(rawHeaders[index + 1]!)
    }
  }
  return values
}

function recordingHandler(requests: RecordedRequest[], respond: Responder) {
  return async (message: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(message)
    const request: RecordedRequest = {
      scheme: (message.socket as TLSSocket).encrypted ? 'https' : 'http',
      method: message.method ?? '',
      url: message.url ?? '',
      host: message.headers.host,
      headers: message.headers,
      rawHeaders: message.rawHeaders,
      authorizations: authorizationLines(message.rawHeaders),
      body,
    }
    requests.push(request)
    try {
      await respond(request, response)
    } catch (error) {
      if (!response.headersSent) {
        sendJson(response, 500, { error: String(error) })
      }
    }
  }
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

async function closeServer(server: {
  close(callback: (error?: Error) => void): unknown
  closeAllConnections?: () => void
}): Promise<void> {
  server.closeAllConnections?.()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/** Starts a server on 127.0.0.1 with a free port, over TLS when `tls` is given. */
export async function startServer(
  respond: Responder = defaultResponder,
  tls?: TestCertificate,
): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const handler = recordingHandler(requests, respond)
  const server =
    tls === undefined
      ? createHttpServer(handler)
      : createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
  const port = await listen(server)
  return {
    origin: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    requests,
    close: () => closeServer(server),
  }
}

/**
 * Starts one server that speaks plain HTTP and HTTPS on the same port: it looks at the first byte
 * of each connection, and a TLS handshake (0x16) goes to the HTTPS side. A redirect from
 * `http://127.0.0.1:<port>` to `https://127.0.0.1:<port>` then changes only the scheme.
 */
export async function startDualServer(
  respond: Responder,
  tls: TestCertificate,
): Promise<TestServer & { readonly httpsOrigin: string }> {
  const requests: RecordedRequest[] = []
  const handler = recordingHandler(requests, respond)
  const plain = createHttpServer(handler)
  const secure = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
  const sockets = new Set<Socket>()
  const front = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.once('data', (first: Buffer) => {
      socket.pause()
      socket.unshift(first)
      ;(first[0] === 0x16 ? secure : plain).emit('connection', socket)
      process.nextTick(() => socket.resume())
    })
  })
  const port = await listen(front)
  return {
    origin: `http://127.0.0.1:${port}`,
    httpsOrigin: `https://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      for (const socket of sockets) {
        socket.destroy()
      }
      await closeServer(front)
      await closeServer(plain)
      await closeServer(secure)
    },
  }
}

/**
 * Wraps `respond` so that a request with a `to` query parameter gets a redirect there instead,
 * with the status in the `status` parameter (302 when absent).
 */
export function redirecting(respond: Responder = defaultResponder): Responder {
  return (request, response) => {
    const query = new URL(request.url, 'http://placeholder').searchParams
    const target = query.get('to')
    if (target === null) {
      return respond(request, response)
    }
    sendRedirect(response, target, Number(query.get('status') ?? 302))
  }
}

/** Returns `path` with a query that makes a {@link redirecting} server redirect to `target`. */
export function redirectPath(target: string, status?: number, path = '/go'): string {
  const query = new URLSearchParams({ to: target })
  if (status !== undefined) {
    query.set('status', String(status))
  }
  return `${path}?${query}`
}

/**
 * Resolves every host name to 127.0.0.1. Passed as axios's `lookup` option, it lets tests use
 * names such as `api.test` and `evil.api.test` without leaving the machine.
 */
export function loopbackLookup(
  _hostname: string,
  options: object,
  callback: (
    error: Error | null,
    address: LookupAddress | LookupAddress[],
    family?: AddressFamily,
  ) => void,
): void {
  if ((options as { all?: boolean }).all) {
    callback(null, [{ address: '127.0.0.1', family: 4 }])
  } else {
    callback(null, '127.0.0.1', 4)
  }
}
