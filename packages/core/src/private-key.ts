/**
 * Reads a private key in any accepted form into a `KeyObject`, once, when a signer is created.
 * This module picks the form, and the `key-*` modules read each one.
 *
 * @module
 */

import { KeyObject, type webcrypto } from 'node:crypto'
import { AsapMissingOptionError } from './errors.js'
import { isDataUri, parseKeyDataUri } from './key-data-uri.js'
import { importDer } from './key-der.js'
import { ACCEPTED_FORMS, GIVE_ACCEPTED_FORM, notPrivate, unreadable } from './key-errors.js'
import { loadJwk, loadJwkText } from './key-jwk.js'
import { loadPem } from './key-pem.js'
import { decodeBase64Text, normalizeKeyText } from './key-text.js'
import type { PrivateKeyInput } from './types.js'

/** The form a private key was given in. */
export type PrivateKeyForm =
  | 'key-object'
  | 'crypto-key'
  | 'jwk'
  | 'pkcs8-pem'
  | 'pkcs1-pem'
  | 'sec1-pem'
  | 'data-uri'
  | 'der-base64'
  | 'der'

/** A private key read from user input. */
export interface LoadedPrivateKey {
  /** The private key. */
  readonly key: KeyObject
  /** The key ID carried by a data-URI key, when there is one. */
  readonly keyId?: string | undefined
  /** The form the key was read from. */
  readonly form: PrivateKeyForm
}

const opensshPublicKeyPattern = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-[a-z0-9]+) /

function loadText(input: string, field: string, nested: boolean): LoadedPrivateKey {
  const text = normalizeKeyText(input)
  if (text === '') {
    throw new AsapMissingOptionError(
      `The ${field} is empty. Give a private key: ${ACCEPTED_FORMS}.`,
      { field },
    )
  }

  if (isDataUri(text)) {
    const { keyId, der } = parseKeyDataUri(text, field)
    return { key: importDer(der, field), keyId, form: 'data-uri' }
  }
  if (text.includes('-----BEGIN ')) {
    return loadPem(text, field)
  }
  if (text.startsWith('{')) {
    return loadJwkText(text, field)
  }
  if (opensshPublicKeyPattern.test(text)) {
    throw notPrivate(field, 'an OpenSSH public key')
  }

  const bytes = nested ? undefined : decodeBase64Text(text)
  if (bytes === undefined) {
    throw unreadable(field, 'is not a private key in any accepted form', GIVE_ACCEPTED_FORM)
  }
  const loaded = loadBytes(bytes, field, true)
  return loaded.form === 'der' ? { ...loaded, form: 'der-base64' } : loaded
}

const ASN1_SEQUENCE = 0x30

/**
 * Reads bytes as DER when they start like DER (an ASN.1 SEQUENCE), and as UTF-8 key text
 * otherwise. `nested` is true for bytes decoded from Base64 text, which then may hold DER or a PEM
 * (some deployments Base64-encode the whole PEM file), but not Base64 again.
 */
function loadBytes(bytes: Buffer, field: string, nested: boolean): LoadedPrivateKey {
  if (bytes[0] === ASN1_SEQUENCE) {
    return { key: importDer(bytes, field), form: 'der' }
  }
  return loadText(bytes.toString('utf8'), field, nested)
}

function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  return Object.prototype.toString.call(value) === '[object CryptoKey]'
}

function loadKeyObject(key: KeyObject, field: string): LoadedPrivateKey {
  if (key.type === 'public') {
    throw notPrivate(field, 'a public KeyObject')
  }
  if (key.type === 'secret') {
    throw notPrivate(field, 'a secret (symmetric) KeyObject, and ASAP does not allow HMAC')
  }
  return { key, form: 'key-object' }
}

function loadCryptoKey(key: webcrypto.CryptoKey, field: string): LoadedPrivateKey {
  if (key.type !== 'private') {
    throw notPrivate(field, `a ${key.type} CryptoKey`)
  }
  return { key: KeyObject.from(key), form: 'crypto-key' }
}

/**
 * Longest key text or DER accepted, in characters or bytes. A PEM of a 16384-bit RSA key is
 * about 12,700 characters, so this leaves room for certificates and parameters next to the key
 * while parsing stays fast on hostile or broken input.
 */
export const MAX_KEY_INPUT_LENGTH = 65_536

/**
 * Reads a private key given in any form of {@link PrivateKeyInput}:
 * - a PEM string: PKCS#8, PKCS#1 RSA or SEC1 EC. An `EC PARAMETERS` block and certificates next
 *   to the key are ignored;
 * - Base64 of PKCS#8 DER, in the standard or URL-safe alphabet, with line breaks allowed;
 * - a data URI `data:application/pkcs8;kid=<percent-encoded key ID>;base64,<PKCS#8 DER>`, whose
 *   key ID is returned as `keyId`;
 * - a private JWK, as an object or a JSON string;
 * - a `KeyObject` of type `private`, or a WebCrypto `CryptoKey` of type `private`;
 * - a `Buffer` or `Uint8Array` holding DER or any of the text forms.
 *
 * Text is normalised first: blanks and one or two pairs of quotes around it are removed, and
 * literal `\n` sequences and CRLF line ends become line feeds.
 *
 * The key type, curve and size are not checked here: the signer checks them against its
 * algorithm.
 *
 * @param field - The option or variable name used in error messages, `privateKey` by default.
 * @throws {AsapMissingOptionError} when the input is empty or blank.
 * @throws {AsapKeyNotPrivateError} for a public key, certificate or secret key.
 * @throws {AsapUnsupportedKeyFormatError} for an encrypted or OpenSSH key; the message gives the
 *   command that converts it.
 * @throws {AsapInvalidKeyError} for input longer than {@link MAX_KEY_INPUT_LENGTH}, and anything
 *   else that is not a readable private key.
 * @throws {AsapInvalidKeyIdError} when the `kid` of a data URI is not valid percent-encoding.
 */
export function loadPrivateKey(input: PrivateKeyInput, field = 'privateKey'): LoadedPrivateKey {
  const length = typeof input === 'string' || input instanceof Uint8Array ? input.length : 0
  if (length > MAX_KEY_INPUT_LENGTH) {
    throw unreadable(
      field,
      `is ${length} characters or bytes long, more than the ${MAX_KEY_INPUT_LENGTH} a private key can take`,
      GIVE_ACCEPTED_FORM,
    )
  }
  if (input instanceof KeyObject) {
    return loadKeyObject(input, field)
  }
  if (isCryptoKey(input)) {
    return loadCryptoKey(input, field)
  }
  if (typeof input === 'string') {
    return loadText(input, field, false)
  }
  if (input instanceof Uint8Array) {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    return loadBytes(bytes, field, false)
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return loadJwk(input as Record<string, unknown>, field)
  }
  const type = input === null ? 'null' : `a ${typeof input}`
  throw unreadable(field, `is ${type}, not a private key`, GIVE_ACCEPTED_FORM)
}
