/**
 * Debug logging, off unless `NODE_DEBUG=asap` is set. Lines name audiences, origins, status codes
 * and error codes, never a token.
 *
 * @module
 */

import { debuglog } from 'node:util'

/** Writes a debug line to stderr when `NODE_DEBUG` includes `asap`. */
export const debug = debuglog('asap')
