/**
 * Opt-in debug output and safe quoting of untrusted values.
 *
 * Run with `NODE_DEBUG=asap` to see why tokens are rejected and which keys are fetched. Lines
 * carry key IDs, issuers, codes and repository URLs, never a token or key material.
 *
 * @module
 */

import { debuglog } from 'node:util'

/** Writes a line to stderr when `NODE_DEBUG` includes `asap`. */
export const debug = debuglog('asap')

const MAX_QUOTED_LENGTH = 80

/**
 * Quotes a value read from a token or a response for a message or a log line: JSON-escaped, so
 * control characters cannot forge log lines, and cut to 80 characters.
 */
export function quote(value: unknown): string {
  if (value === undefined) {
    return 'undefined'
  }
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = `a ${typeof value}`
  }
  return text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}…` : text
}
