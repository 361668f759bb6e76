/**
 * The HTTP server of part 3, run in a child process so that it does not share the client's
 * event loop. It listens on 127.0.0.1 on a free port, sends `{ port }` to the parent over IPC,
 * responds to every request with `200 ok`, and exits when the parent disconnects.
 *
 * Each response carries `x-authorization: present` or `absent`, so the client can check that the
 * interceptor it measures really added the header.
 *
 * @module
 */

import { createServer } from 'node:http'

const server = createServer({ keepAlive: true }, (request, response) => {
  const seen = request.headers.authorization === undefined ? 'absent' : 'present'
  response.writeHead(200, {
    'content-type': 'text/plain',
    'content-length': '2',
    'x-authorization': seen,
  })
  response.end('ok')
})
// Rounds run back to back, but a slow round must not lose its idle connections.
server.keepAliveTimeout = 60_000

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') {
    throw new Error(`Expected a TCP address, got ${String(address)}.`)
  }
  process.send?.({ port: address.port })
})

process.on('disconnect', () => {
  server.closeAllConnections()
  server.close()
})
