/**
 * Debug logging, off unless `NODE_DEBUG=asap` is set. Log lines name origins and audiences, never
 * a token.
 *
 * @module
 */

import { debuglog } from 'node:util'

/** Writes a debug line to stderr when `NODE_DEBUG` includes `asap`. */
export const debug = debuglog('asap')
