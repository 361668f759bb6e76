/**
 * The claims of one token: the signer's settings merged with per-call overrides, then checked
 * against the ASAP rules.
 *
 * @module
 */

import { randomUUID } from 'node:crypto'
import {
  checkClaimTypes,
  checkTimeClaims,
  missingAudienceError,
  normalizeAudience,
  parseClaims,
} from './claims.js'
import { AsapInvalidOptionError } from './errors.js'
import { assertKeyIdOwnedBy } from './key-id.js'
import { quoteValue } from './quote.js'
import type { AsapAlgorithm, AsapClaims, Audience, Clock, SignOverrides } from './types.js'

type ClaimSet = Record<string, unknown>

/** Everything a signer needs, resolved and checked. */
export interface SignerSettings {
  readonly issuer: string
  readonly keyId: string
  readonly algorithm: AsapAlgorithm
  readonly subject: string | undefined
  /** The normalised default audience: a string or a frozen array. */
  readonly audience: string | readonly string[] | undefined
  readonly expiresIn: number
  readonly backdate: number
  readonly claims: Readonly<ClaimSet>
  readonly clock: Clock
}

function readNowSeconds(clock: Clock): number {
  const milliseconds = clock.now()
  if (typeof milliseconds !== 'number' || !Number.isFinite(milliseconds)) {
    throw new AsapInvalidOptionError(
      `Invalid clock: now() returned ${String(milliseconds)}, but it must return milliseconds since the Unix epoch.`,
      { field: 'clock' },
    )
  }
  return Math.floor(milliseconds / 1000)
}

function applyOverrides(claims: ClaimSet, overrides: SignOverrides): ClaimSet {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new AsapInvalidOptionError(
      'Invalid overrides: expected an object such as { subject: "user-1", claims: {...} }.',
      { field: 'overrides' },
    )
  }

  let result = claims
  if (overrides.subject !== undefined) {
    if (typeof overrides.subject !== 'string' || overrides.subject === '') {
      throw new AsapInvalidOptionError(
        `Invalid subject ${quoteValue(overrides.subject)}: the per-call subject must be a non-empty string.`,
        { field: 'subject' },
      )
    }
    result.sub = overrides.subject
  }
  if (overrides.claims !== undefined) {
    const extra = parseClaims(overrides.claims, 'claims')
    checkClaimTypes(extra, 'claims')
    // Spread, not Object.assign: a "__proto__" member must stay a plain claim.
    result = { ...result, ...extra }
  }
  return result
}

/**
 * Builds the claims of one token. Precedence, lowest first: the signer's options (issuer, subject,
 * audience argument or option, times, a new jti), `additionalClaims`, the per-call subject, the
 * per-call claims. `sub` falls back to the final `iss`.
 */
export function buildClaims(
  settings: SignerSettings,
  audience: Audience | undefined,
  overrides: SignOverrides | undefined,
): AsapClaims {
  const now = readNowSeconds(settings.clock)
  const iat = now - settings.backdate
  const aud = audience === undefined ? settings.audience : normalizeAudience(audience)

  let claims: ClaimSet = {
    iss: settings.issuer,
    sub: settings.subject,
    aud: Array.isArray(aud) ? [...aud] : aud,
    iat,
    nbf: iat,
    exp: iat + settings.expiresIn,
    jti: randomUUID(),
    ...settings.claims,
  }
  if (overrides !== undefined) {
    claims = applyOverrides(claims, overrides)
  }
  claims.sub ??= claims.iss

  if (claims.aud === undefined) {
    throw missingAudienceError()
  }
  const result = claims as AsapClaims
  checkTimeClaims(result, now)
  if (result.iss !== settings.issuer) {
    assertKeyIdOwnedBy(settings.keyId, result.iss, 'claims.iss')
  }
  return result
}
