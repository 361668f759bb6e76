/**
 * The ASAP signer: validates its options once, imports the key once, then signs tokens.
 *
 * @module
 */

import { randomUUID } from 'node:crypto'
import { inspect } from 'node:util'
import { type JWTHeaderParameters, SignJWT } from 'jose'
import { type AlgorithmDescriptor, algorithmDescriptor } from './algorithms.js'
import {
  checkClaimTypes,
  checkTimeClaims,
  MAX_LIFETIME_SECONDS,
  normalizeAudience,
  parseClaims,
} from './claims.js'
import {
  AsapInvalidClaimsError,
  AsapInvalidOptionError,
  AsapKeyAlgorithmMismatchError,
  AsapKeyIdConflictError,
  AsapKeyTooSmallError,
  AsapMissingOptionError,
  AsapSigningError,
} from './errors.js'
import { assertKeyIdOwnedBy, assertValidKeyId } from './key-id.js'
import { type LoadedPrivateKey, loadPrivateKey } from './private-key.js'
import type {
  AsapAlgorithm,
  AsapClaims,
  AsapHeader,
  Audience,
  Clock,
  IssuedToken,
  PrivateKeyInput,
  Signer,
  SignOverrides,
} from './types.js'

/** Default token lifetime, `exp` − `iat`, in seconds: one hour, as in Postman. */
export const DEFAULT_EXPIRES_IN = 3600

/**
 * Default number of seconds by which `iat` and `nbf` are set before the current time.
 *
 * Several verifiers, Atlassian's reference among them, reject an `iat` or `nbf` in the future with
 * no leeway. Backdating by 5 seconds keeps a token valid on a receiver whose clock runs up to
 * 5 seconds behind the sender's, which covers hosts synchronised by NTP with room to spare, and
 * costs only 5 seconds of the token's life.
 */
export const DEFAULT_BACKDATE = 5

/** Options of {@link createSigner}. */
export interface SignerOptions {
  /** The issuing service's identifier, the `iss` claim. Required. */
  issuer: string
  /**
   * The key ID, the `kid` header. It must follow the ASAP key ID rules and start with
   * `<issuer>/`. Required unless `privateKey` is a data URI that carries a key ID.
   */
  keyId?: string | undefined
  /** The private key, in any form of {@link PrivateKeyInput}. Required. */
  privateKey: PrivateKeyInput
  /**
   * The signing algorithm, one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512.
   *
   * @default 'RS256'
   */
  algorithm?: AsapAlgorithm | undefined
  /** The `sub` claim. Defaults to the issuer (after additional claims are applied). */
  subject?: string | undefined
  /** The audience used when {@link Signer.sign} is called without one. */
  audience?: Audience | undefined
  /**
   * Token lifetime in seconds, `exp` − `iat`: a whole number from 1 to 3600.
   *
   * @default 3600
   */
  expiresIn?: number | undefined
  /**
   * Seconds by which `iat` and `nbf` are set before the current time, so that a receiver whose
   * clock runs slightly behind still accepts the token. A whole number from 0 to 60, less than
   * `expiresIn`. `exp` − `iat` stays `expiresIn`, so the token's remaining life at issue is
   * `expiresIn` − `backdate`.
   *
   * @default 5
   */
  backdate?: number | undefined
  /**
   * Claims added to every token, as an object or a JSON string. They win over the fields above:
   * an `iss` here replaces `issuer`, and a `sub` replaces `subject`. `jti` is not allowed here,
   * because every token needs its own.
   */
  additionalClaims?: Readonly<Record<string, unknown>> | string | undefined
  /** The time source. Defaults to `Date`. */
  clock?: Clock | undefined
}

const MAX_BACKDATE = 60

function requireString(value: unknown, field: string, example: string): string {
  if (value === undefined || value === null || value === '') {
    throw new AsapMissingOptionError(`Missing ${field}: set it to ${example}.`, { field })
  }
  if (typeof value !== 'string') {
    throw new AsapInvalidOptionError(
      `Invalid ${field}: expected a string such as ${example}, got ${typeof value}.`,
      { field },
    )
  }
  return value
}

function readWholeNumber(
  value: unknown,
  field: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) {
    return fallback
  }
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new AsapInvalidOptionError(
      `Invalid ${field} ${JSON.stringify(value)}: expected a whole number of seconds from ${min} to ${max}.`,
      { field },
    )
  }
  return value as number
}

function readClock(value: unknown): Clock {
  if (value === undefined) {
    return Date
  }
  if (typeof (value as Clock | null)?.now !== 'function') {
    throw new AsapInvalidOptionError('Invalid clock: expected an object with a now() method.', {
      field: 'clock',
    })
  }
  return value as Clock
}

function readStaticClaims(value: unknown): Record<string, unknown> {
  if (value === undefined) {
    return {}
  }
  const claims = parseClaims(value, 'additionalClaims')
  checkClaimTypes(claims, 'additionalClaims')
  if ('jti' in claims) {
    throw new AsapInvalidClaimsError(
      'The additionalClaims must not set "jti": every token needs its own. Remove it, or pass it per call.',
      { field: 'additionalClaims.jti' },
    )
  }
  return claims
}

function resolveKeyId(explicit: string | undefined, loaded: LoadedPrivateKey): string {
  if (explicit !== undefined && loaded.keyId !== undefined && explicit !== loaded.keyId) {
    throw new AsapKeyIdConflictError(
      `The keyId ${JSON.stringify(explicit)} differs from the key ID ${JSON.stringify(loaded.keyId)} in the data-URI private key. ` +
        'Remove the keyId option, or use the key that belongs to it.',
      { field: 'keyId' },
    )
  }
  const keyId = explicit ?? loaded.keyId
  if (keyId === undefined) {
    throw new AsapMissingOptionError(
      'Missing keyId: set it to the key ID under which the public key is published, such as "my-service/key-1".',
      { field: 'keyId' },
    )
  }
  return keyId
}

function assertKeyFitsAlgorithm(loaded: LoadedPrivateKey, descriptor: AlgorithmDescriptor): void {
  const { key } = loaded
  const keyType = key.asymmetricKeyType ?? 'unknown'
  const details = key.asymmetricKeyDetails ?? {}

  if (!descriptor.keyTypes.includes(keyType)) {
    throw new AsapKeyAlgorithmMismatchError(
      `The privateKey is a ${keyType.toUpperCase()} key, which cannot sign ${descriptor.name}. ` +
        `Use ${descriptor.name.startsWith('ES') ? `an EC ${descriptor.curveName}` : 'an RSA'} key, or pick an algorithm that fits the key.`,
      { field: 'privateKey' },
    )
  }
  if (descriptor.namedCurve !== undefined && details.namedCurve !== descriptor.namedCurve) {
    throw new AsapKeyAlgorithmMismatchError(
      `The privateKey is on curve ${details.namedCurve ?? 'unknown'}, but ${descriptor.name} needs ${descriptor.curveName}. ` +
        'Use a key on that curve, or pick the algorithm that matches the key.',
      { field: 'privateKey' },
    )
  }
  if (descriptor.minRsaBits !== undefined && (details.modulusLength ?? 0) < descriptor.minRsaBits) {
    throw new AsapKeyTooSmallError(
      `The privateKey is a ${details.modulusLength}-bit RSA key, but ASAP requires at least ${descriptor.minRsaBits} bits. ` +
        'Generate a new key, for example with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048',
      { field: 'privateKey' },
    )
  }
}

/** Everything a signer needs, resolved and checked. */
interface SignerSettings {
  readonly issuer: string
  readonly keyId: string
  readonly algorithm: AsapAlgorithm
  readonly subject: string | undefined
  readonly audience: Audience | undefined
  readonly expiresIn: number
  readonly backdate: number
  readonly claims: Readonly<Record<string, unknown>>
  readonly clock: Clock
}

function resolveSettings(options: SignerOptions): {
  settings: SignerSettings
  loaded: LoadedPrivateKey
} {
  if (typeof options !== 'object' || options === null) {
    throw new AsapInvalidOptionError('createSigner expects an options object.', {
      field: 'options',
    })
  }

  const optionIssuer = requireString(options.issuer, 'issuer', '"my-service"')
  if (
    options.privateKey === undefined ||
    options.privateKey === null ||
    options.privateKey === ''
  ) {
    throw new AsapMissingOptionError(
      'Missing privateKey: give a PEM, Base64 DER, data URI, JWK or KeyObject private key.',
      { field: 'privateKey' },
    )
  }
  const descriptor = algorithmDescriptor(options.algorithm ?? 'RS256')
  const expiresIn = readWholeNumber(
    options.expiresIn,
    'expiresIn',
    1,
    MAX_LIFETIME_SECONDS,
    DEFAULT_EXPIRES_IN,
  )
  const backdate = readWholeNumber(options.backdate, 'backdate', 0, MAX_BACKDATE, DEFAULT_BACKDATE)
  if (backdate >= expiresIn) {
    throw new AsapInvalidOptionError(
      `Invalid backdate ${backdate}: it must be less than expiresIn (${expiresIn}), or tokens would expire when issued.`,
      { field: 'backdate' },
    )
  }
  const subject =
    options.subject === undefined
      ? undefined
      : requireString(options.subject, 'subject', '"my-service"')
  const clock = readClock(options.clock)
  const claims = readStaticClaims(options.additionalClaims)
  const issuer = (claims.iss as string | undefined) ?? optionIssuer

  const loaded = loadPrivateKey(options.privateKey)
  const explicitKeyId =
    options.keyId === undefined
      ? undefined
      : requireString(options.keyId, 'keyId', '"my-service/key-1"')
  const keyId = resolveKeyId(explicitKeyId, loaded)
  assertValidKeyId(keyId)
  assertKeyIdOwnedBy(keyId, issuer)
  assertKeyFitsAlgorithm(loaded, descriptor)

  const settings: SignerSettings = {
    issuer,
    keyId,
    algorithm: descriptor.name,
    subject,
    audience: options.audience === undefined ? undefined : normalizeAudience(options.audience),
    expiresIn,
    backdate,
    claims,
    clock,
  }
  return { settings, loaded }
}

function buildClaims(
  settings: SignerSettings,
  audience: Audience | undefined,
  overrides: SignOverrides | undefined,
): AsapClaims {
  const aud = normalizeAudience(audience ?? settings.audience)
  const now = Math.floor(settings.clock.now() / 1000)
  const iat = now - settings.backdate

  const claims: Record<string, unknown> = {
    iss: settings.issuer,
    aud,
    iat,
    nbf: iat,
    exp: iat + settings.expiresIn,
    jti: randomUUID(),
    ...settings.claims,
  }
  if (settings.subject !== undefined && settings.claims.sub === undefined) {
    claims.sub = settings.subject
  }
  if (overrides?.subject !== undefined) {
    claims.sub = requireString(overrides.subject, 'subject', '"my-service"')
  }
  if (overrides?.claims !== undefined) {
    const extra = parseClaims(overrides.claims, 'claims')
    checkClaimTypes(extra, 'claims')
    Object.assign(claims, extra)
  }
  claims.sub ??= claims.iss

  const result = claims as AsapClaims
  checkTimeClaims(result, now)
  assertKeyIdOwnedBy(settings.keyId, result.iss, 'keyId')
  return result
}

/**
 * Creates a {@link Signer}. Every option is checked and the private key is imported here, once, so
 * a configuration mistake throws at start-up instead of on the first request.
 *
 * @example Sign a token for one audience
 * ```ts
 * const signer = createSigner({
 *   issuer: 'billing',
 *   keyId: 'billing/key-1',
 *   privateKey: process.env.BILLING_PRIVATE_KEY!,
 * })
 * const token = await signer.sign('invoices')
 * ```
 *
 * @throws {AsapError} a subclass with a stable `code` for each invalid option.
 */
export function createSigner(options: SignerOptions): Signer {
  const { settings, loaded } = resolveSettings(options)
  const key = loaded.key
  const header: AsapHeader = { alg: settings.algorithm, kid: settings.keyId, typ: 'JWT' }
  const protectedHeader: JWTHeaderParameters = { ...header }

  async function issue(audience?: Audience, overrides?: SignOverrides): Promise<IssuedToken> {
    const claims = buildClaims(settings, audience, overrides)
    let token: string
    try {
      token = await new SignJWT(claims).setProtectedHeader(protectedHeader).sign(key)
    } catch (cause) {
      throw new AsapSigningError(
        `Signing a ${settings.algorithm} token with key ID ${JSON.stringify(settings.keyId)} failed: ${(cause as Error)?.message ?? cause}`,
        { cause },
      )
    }
    return { token, header, claims, expiresAt: claims.exp * 1000 }
  }

  const summary = {
    issuer: settings.issuer,
    keyId: settings.keyId,
    algorithm: settings.algorithm,
    expiresIn: settings.expiresIn,
  }

  return Object.freeze({
    issuer: settings.issuer,
    keyId: settings.keyId,
    algorithm: settings.algorithm,
    expiresIn: settings.expiresIn,
    clock: settings.clock,
    audience: settings.audience,
    issue,
    async sign(audience?: Audience, overrides?: SignOverrides): Promise<string> {
      return (await issue(audience, overrides)).token
    },
    toJSON: () => summary,
    [inspect.custom]: () => `Signer ${inspect(summary)}`,
  })
}
