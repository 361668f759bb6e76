/**
 * Private keys as JSON Web Keys, given as objects or JSON text.
 *
 * @module
 */

import { createPrivateKey } from 'node:crypto'
import { EXPORT_AGAIN, GIVE_ACCEPTED_FORM, notPrivate, unreadable } from './key-errors.js'
import type { LoadedPrivateKey } from './private-key.js'
import type { PrivateJwk } from './types.js'

/**
 * Imports a private JWK object.
 *
 * @throws {AsapKeyNotPrivateError} for an `oct` JWK or a JWK without `d`.
 * @throws {AsapInvalidKeyError} for an object that is not a JWK or that `node:crypto` rejects.
 */
export function loadJwk(jwk: Record<string, unknown>, field: string): LoadedPrivateKey {
  if (typeof jwk.kty !== 'string') {
    throw unreadable(
      field,
      'is an object without a "kty" member, so it is not a JWK',
      GIVE_ACCEPTED_FORM,
    )
  }
  if (jwk.kty === 'oct') {
    throw notPrivate(field, 'a secret (symmetric, kty "oct") JWK, and ASAP does not allow HMAC')
  }
  if (jwk.d === undefined) {
    throw notPrivate(field, `a public ${jwk.kty} JWK (it has no "d" member)`)
  }

  try {
    return { key: createPrivateKey({ key: jwk as PrivateJwk, format: 'jwk' }), form: 'jwk' }
  } catch (cause) {
    throw unreadable(
      field,
      `is a ${jwk.kty} JWK that node:crypto cannot import`,
      EXPORT_AGAIN,
      cause,
    )
  }
}

/** Parses JSON text and imports it as a private JWK, like {@link loadJwk}. */
export function loadJwkText(text: string, field: string): LoadedPrivateKey {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // The JSON.parse message quotes the input, so it is neither repeated nor kept as the cause.
    throw unreadable(field, 'starts with "{" but is not valid JSON', 'Give a private JWK as JSON.')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw unreadable(field, 'is JSON but not a JWK object', 'Give a private JWK as JSON.')
  }
  return loadJwk(parsed as Record<string, unknown>, field)
}
