/**
 * The data-URI private key that ASAP tooling exports and deployments put in `ASAP_PRIVATE_KEY`:
 * `data:application/pkcs8;kid=<percent-encoded key ID>;base64,<Base64 of PKCS#8 DER>`.
 *
 * @module
 */

import { AsapInvalidKeyError, AsapInvalidKeyIdError } from './errors.js'
import { decodeBase64Text } from './key-text.js'

/** The parts of a data-URI private key. */
export interface KeyDataUri {
  /** The decoded `kid` parameter, when the URI has one. */
  readonly keyId: string | undefined
  /** The decoded body, PKCS#8 DER. */
  readonly der: Buffer
}

const MEDIA_TYPE = 'application/pkcs8'
const EXAMPLE = 'data:application/pkcs8;kid=<percent-encoded key ID>;base64,<PKCS#8 DER>'
const printableMediaType = /^[A-Za-z0-9.+-]{1,40}\/[A-Za-z0-9.+-]{1,40}$/

/** Returns true when `text` (already normalised) is a data URI. */
export function isDataUri(text: string): boolean {
  return /^data:/i.test(text)
}

function invalidUri(field: string, problem: string): AsapInvalidKeyError {
  return new AsapInvalidKeyError(
    `The ${field} data URI ${problem}. Expected the form ${EXAMPLE}.`,
    { field },
  )
}

/**
 * Decodes a percent-encoded key ID. Unlike form decoding, `+` stays `+`, because `+` is a valid
 * key ID character and one known exporter writes it unencoded.
 */
function decodeKeyId(encoded: string, field: string): string {
  try {
    return decodeURIComponent(encoded)
  } catch {
    throw new AsapInvalidKeyIdError(
      `The kid parameter ${JSON.stringify(encoded)} of the ${field} data URI is not valid percent-encoding. ` +
        'Encode "/" as %2F and "+" as %2B, for example kid=my-service%2Fkey-1.',
      { field: `${field}.kid` },
    )
  }
}

function readKeyIdParameter(parameters: readonly string[], field: string): string | undefined {
  const kids = parameters.filter((parameter) => /^kid=/i.test(parameter))
  if (kids.length > 1) {
    throw invalidUri(field, `has ${kids.length} kid parameters, but may have one`)
  }
  const kid = kids[0]
  return kid === undefined ? undefined : decodeKeyId(kid.slice('kid='.length), field)
}

/**
 * Parses the header of a data URI and decodes its body. The Base64 body may contain blanks and
 * line breaks and may use the URL-safe alphabet.
 *
 * @throws {AsapInvalidKeyError} when the URI is malformed or its media type is not `application/pkcs8`.
 * @throws {AsapInvalidKeyIdError} when the `kid` parameter is not valid percent-encoding.
 */
export function parseKeyDataUri(text: string, field: string): KeyDataUri {
  const comma = text.indexOf(',')
  if (comma < 0) {
    throw invalidUri(field, 'has no comma before its Base64 data')
  }

  const [mediaType = '', ...parameters] = text
    .slice('data:'.length, comma)
    .split(';')
    .map((part) => part.trim())
  if (mediaType.toLowerCase() !== MEDIA_TYPE) {
    const described = printableMediaType.test(mediaType) ? `"${mediaType}"` : 'an unexpected value'
    throw invalidUri(field, `has media type ${described}, but a private key needs ${MEDIA_TYPE}`)
  }
  if (parameters.at(-1)?.toLowerCase() !== 'base64') {
    throw invalidUri(field, 'does not end its header with ";base64"')
  }

  const keyId = readKeyIdParameter(parameters, field)
  const der = decodeBase64Text(text.slice(comma + 1))
  if (der === undefined) {
    throw invalidUri(field, 'has data after the comma that is not Base64')
  }
  return { keyId, der }
}
