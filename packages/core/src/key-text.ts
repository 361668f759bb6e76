/**
 * Text handling for private keys: undoes what environment variables and copy-paste do to a key,
 * splits PEM text into blocks and decodes Base64 bodies.
 *
 * Nothing here puts key text into an error message.
 *
 * @module
 */

import { AsapInvalidKeyError } from './errors.js'

/** One `-----BEGIN <label>----- … -----END <label>-----` block of PEM text. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, such as `PRIVATE KEY`. */
  readonly label: string
  /** True when an RFC 1421 header marks the block as encrypted (`Proc-Type: 4,ENCRYPTED`). */
  readonly encrypted: boolean
  /** The Base64 body, with the header lines and every blank removed. */
  readonly body: string
}

const quotePairs = ['"', "'"]

function stripQuotes(text: string): string {
  let result = text
  // Two rounds cover a value quoted once by a shell and once by a .env file.
  for (let round = 0; round < 2; round++) {
    const first = result[0]
    if (result.length < 2 || first === undefined || !quotePairs.includes(first)) {
      break
    }
    if (!result.endsWith(first)) {
      break
    }
    result = result.slice(1, -1).trim()
  }
  return result
}

/**
 * Normalises key text. Trims blanks and removes one or two pairs of surrounding single or double
 * quotes. Turns literal `\n`, `\r\n` and `\r` escape sequences (a backslash and a letter) into
 * line feeds, and CRLF and lone CR line ends too.
 */
export function normalizeKeyText(text: string): string {
  let result = stripQuotes(text.trim())
  result = result.replace(/\\r\\n|\\n|\\r/g, '\n')
  result = result.replace(/\r\n?/g, '\n')
  return result.trim()
}

const pemBlockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g
const encryptedHeaderPattern = /Proc-Type:\s*4\s*,\s*ENCRYPTED/i

function readPemBody(inner: string): string {
  // RFC 1421 headers such as `DEK-Info: AES-256-CBC,…` sit on their own lines before the body.
  const lines = inner.split('\n').filter((line) => !line.includes(':'))
  return lines.join('').replace(/\s+/g, '')
}

/**
 * Splits PEM text into its blocks. Text outside the blocks is ignored. Blanks inside a block may
 * be line feeds, spaces or nothing, so a PEM whose line breaks were lost still reads.
 *
 * @throws {AsapInvalidKeyError} when a `BEGIN` line has no matching `END` line.
 */
export function readPemBlocks(text: string, field: string): PemBlock[] {
  const blocks: PemBlock[] = []
  for (const match of text.matchAll(pemBlockPattern)) {
    const label = match[1]!
    const inner = match[2]!
    if (match[3] !== label) {
      throw new AsapInvalidKeyError(
        `The ${field} PEM begins with "-----BEGIN ${label}-----" but ends with "-----END ${match[3]}-----". ` +
          'Copy the whole key, from its BEGIN line to its END line.',
        { field },
      )
    }
    blocks.push({ label, encrypted: encryptedHeaderPattern.test(inner), body: readPemBody(inner) })
  }

  const begins = text.match(/-----BEGIN /g)?.length ?? 0
  if (begins !== blocks.length) {
    throw new AsapInvalidKeyError(
      `The ${field} PEM has a "-----BEGIN" line without its "-----END" line. ` +
        'Copy the whole key, from its BEGIN line to its END line.',
      { field },
    )
  }
  return blocks
}

const base64Pattern = /^[A-Za-z0-9+/_-]+={0,2}$/

/**
 * Decodes Base64 text in the standard or the URL-safe alphabet, with or without padding, and with
 * any blanks or line breaks inside. Returns `undefined` when the text is not Base64.
 */
export function decodeBase64Text(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '')
  if (compact.length === 0 || !base64Pattern.test(compact)) {
    return undefined
  }
  const unpadded = compact.replace(/=+$/, '')
  // A single character left over after groups of four cannot encode a whole byte.
  if (unpadded.length % 4 === 1) {
    return undefined
  }
  return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}
