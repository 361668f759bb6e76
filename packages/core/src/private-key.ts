/**
 * Reads a private key in any accepted form into a `KeyObject`.
 *
 * @module
 */

import { createPrivateKey, KeyObject } from 'node:crypto'
import { AsapInvalidKeyError, AsapKeyNotPrivateError } from './errors.js'
import type { PrivateKeyInput } from './types.js'

/** A private key read from user input. */
export interface LoadedPrivateKey {
  readonly key: KeyObject
  /** The key ID carried by a data-URI key, when there is one. */
  readonly keyId?: string | undefined
}

// TODO: accept every documented form (PKCS#1, SEC1, Base64 DER, data URI, JWK, bytes) and
// tolerate what environment variables do to keys.
export function loadPrivateKey(input: PrivateKeyInput, field = 'privateKey'): LoadedPrivateKey {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') {
      throw new AsapKeyNotPrivateError(
        `The ${field} is a ${input.type} key; a private key is needed.`,
        {
          field,
        },
      )
    }
    return { key: input }
  }
  try {
    return { key: createPrivateKey(String(input).trim()) }
  } catch (cause) {
    throw new AsapInvalidKeyError(`The ${field} could not be read as a private key.`, {
      field,
      cause,
    })
  }
}
