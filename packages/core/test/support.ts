/**
 * Shared checks for the signer tests: verification with two independent JWT libraries, and
 * assertions on thrown `AsapError`s.
 */

import { inspect } from 'node:util'
import type { AsapError } from '@asap-auth/core'
import { type JWTPayload, jwtVerify, type ProtectedHeaderParameters } from 'jose'
import jwt from 'jsonwebtoken'
import { expect } from 'vitest'
import { findKeyMaterial, type TestKeys } from '../../../test/helpers/keys.js'

/** A fixed time in milliseconds since the epoch, with a fraction of a second to round down. */
export const NOW_MS = 1_700_000_000_789
/** {@link NOW_MS} in whole seconds. */
export const NOW = 1_700_000_000
/** A clock that always returns {@link NOW_MS}. */
export const fixedClock = { now: () => NOW_MS }

/** A version 4 UUID, as `crypto.randomUUID()` writes it. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The header and claims of a token that both libraries accepted. */
export interface VerifiedToken {
  header: ProtectedHeaderParameters
  payload: JWTPayload
}

/**
 * Verifies `token` against the public key of `keys` with jose's `jwtVerify` and with
 * jsonwebtoken's `verify`, at `nowSeconds`, and checks that both read the same header and claims.
 */
export async function verifyWithBoth(
  token: string,
  keys: TestKeys,
  nowSeconds = NOW,
): Promise<VerifiedToken> {
  const byJose = await jwtVerify(token, keys.publicKey, {
    algorithms: [keys.algorithm],
    currentDate: new Date(nowSeconds * 1000),
  })
  const byJsonwebtoken = jwt.verify(token, keys.spkiPem, {
    algorithms: [keys.algorithm],
    clockTimestamp: nowSeconds,
    complete: true,
  })

  expect(byJsonwebtoken.header).toEqual(byJose.protectedHeader)
  expect(byJsonwebtoken.payload).toEqual(byJose.payload)
  return { header: byJose.protectedHeader, payload: byJose.payload }
}

/** Returns what `action` throws, and fails the test when it returns normally. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('Expected the call to throw, but it returned normally.')
}

/** Returns what the promise of `action` rejects with, and fails the test when it resolves. */
export async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('Expected the promise to reject, but it resolved.')
}

/** What an `AsapError` must look like in {@link expectAsapError}. */
export interface ExpectedError {
  /** The error class, compared with `instanceof`. */
  type: { readonly code: string; prototype: AsapError }
  /** The expected `field`. */
  field: string | undefined
  /** Keys whose material must not appear in the message or in `util.inspect` output. */
  keys?: readonly TestKeys[]
  /** Text the message must contain. */
  message?: string | RegExp
}

/**
 * Asserts that `error` is an instance of `expected.type` with that class's `code` and the
 * expected `field`, and that neither its message nor its `util.inspect` output (cause included)
 * contains key material.
 */
export function expectAsapError(error: unknown, expected: ExpectedError): void {
  expect(error instanceof (expected.type as unknown as typeof Error)).toBe(true)
  const asapError = error as AsapError
  expect(asapError.code).toBe(expected.type.code)
  expect(asapError.field).toBe(expected.field)
  if (expected.message !== undefined) {
    expect(asapError.message).toMatch(expected.message)
  }

  const inspected = inspect(asapError, { depth: 10 })
  for (const keys of expected.keys ?? []) {
    expect(findKeyMaterial(asapError.message, keys)).toBeUndefined()
    expect(findKeyMaterial(inspected, keys)).toBeUndefined()
  }
}
