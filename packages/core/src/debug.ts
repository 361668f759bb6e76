/**
 * Debug logging, off unless `NODE_DEBUG=asap` is set. Log lines name audiences, key IDs, `jti`
 * values and expiry times, never a token or a key.
 *
 * @module
 */

import { debuglog } from 'node:util'

/** Writes a debug line to stderr when `NODE_DEBUG` includes `asap`; `debug.enabled` tells whether. */
export const debug = debuglog('asap')
