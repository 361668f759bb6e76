/**
 * Fetching public keys from HTTP key repositories: `GET <base>/<kid>`, tried in order.
 *
 * @module
 */

import type { KeyObject } from 'node:crypto'
import { Agent, type Dispatcher, request } from 'undici'
import { cacheLifetime } from './cache-control.js'
import { debug, quote } from './debug.js'
import { AsapVerificationError, ASAP_VERIFICATION_ERROR_CODES as codes } from './errors.js'
import { parsePublicKeyPem } from './public-key.js'
import { keyUrl } from './repository-url.js'

/** The media type of key repository responses, sent in `Accept` and required in `Content-Type`. */
export const PEM_MEDIA_TYPE = 'application/x-pem-file'

/**
 * Largest accepted key repository response body, in bytes: 16 KiB. An SPKI PEM of an 8192-bit
 * RSA key takes about 1.5 KiB, so only a wrong or hostile response is larger.
 */
export const MAX_PUBLIC_KEY_RESPONSE_BYTES = 16 * 1024

/** A public key and how long it may be cached. */
export interface LoadedPublicKey {
  readonly key: KeyObject
  /** Seconds from `Cache-Control`, `0` for "do not store", `undefined` when the response gave none. */
  readonly maxAge: number | undefined
}

/** Settings of the requests to HTTP key repositories. */
export interface HttpRepositorySettings {
  /** Base URLs, each ending with `/`, tried in order. */
  readonly repositories: readonly URL[]
  /** Time limit of one request, from connecting to the end of the body, in milliseconds. */
  readonly timeout: number
  /** The undici dispatcher to send requests with, or `undefined` for the global one. */
  readonly dispatcher: Dispatcher | undefined
}

/** The outcome of asking one repository. */
type Attempt =
  | { readonly kind: 'found'; readonly key: KeyObject; readonly maxAge: number | undefined }
  | { readonly kind: 'not-found'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly tryNext: boolean }

class BodyTooLargeError extends Error {}

function describeRequestError(error: unknown, timeout: number): string {
  const { name, code, message } = (error ?? {}) as {
    name?: string
    code?: string
    message?: string
  }
  if (name === 'TimeoutError') {
    return `timed out after ${timeout} ms`
  }
  return `request failed: ${code ?? name ?? 'error'}${message ? ` (${message})` : ''}`
}

function isPemMediaType(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string') {
    return false
  }
  const mediaType = contentType.split(';')[0] ?? ''
  return mediaType.trim().toLowerCase() === PEM_MEDIA_TYPE
}

async function readBody(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > limit) {
      throw new BodyTooLargeError()
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function classifyStatus(statusCode: number): Attempt | undefined {
  if (statusCode >= 500) {
    return { kind: 'unavailable', reason: `responded with HTTP ${statusCode}`, tryNext: true }
  }
  // A 4xx is a response about this key, so the next repository is not requested. 408 and 429 mean
  // the repository is overloaded, not that the key is missing, so they are not cached as "not found".
  if (statusCode === 408 || statusCode === 429) {
    return { kind: 'unavailable', reason: `responded with HTTP ${statusCode}`, tryNext: false }
  }
  if (statusCode >= 400) {
    return { kind: 'not-found', reason: `responded with HTTP ${statusCode}` }
  }
  if (statusCode !== 200) {
    // Redirects are not followed: a repository that moves serves its new base URL in the config.
    return { kind: 'invalid', reason: `responded with HTTP ${statusCode} instead of 200` }
  }
  return undefined
}

async function readKeyResponse(
  response: Dispatcher.ResponseData,
  timeout: number,
): Promise<Attempt> {
  const { statusCode, headers, body } = response

  const failure = classifyStatus(statusCode)
  if (failure !== undefined) {
    return failure
  }
  if (!isPemMediaType(headers['content-type'])) {
    return {
      kind: 'invalid',
      reason: `responded with content type ${quote(headers['content-type'])} instead of ${PEM_MEDIA_TYPE}`,
    }
  }
  const declaredLength = Number(headers['content-length'])
  if (declaredLength > MAX_PUBLIC_KEY_RESPONSE_BYTES) {
    return {
      kind: 'invalid',
      reason: `responded with ${declaredLength} bytes, over the limit of ${MAX_PUBLIC_KEY_RESPONSE_BYTES}`,
    }
  }

  let text: string
  try {
    text = await readBody(body, MAX_PUBLIC_KEY_RESPONSE_BYTES)
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return {
        kind: 'invalid',
        reason: `responded with more than ${MAX_PUBLIC_KEY_RESPONSE_BYTES} bytes`,
      }
    }
    return { kind: 'unavailable', reason: describeRequestError(error, timeout), tryNext: true }
  }

  try {
    const key = parsePublicKeyPem(text)
    return { kind: 'found', key, maxAge: cacheLifetime(headers['cache-control']) }
  } catch (error) {
    return {
      kind: 'invalid',
      reason: `responded with an unusable body: ${(error as Error).message}`,
    }
  }
}

let ownAgent: Agent | undefined

/**
 * Returns the `Agent` that key lookups use when no dispatcher is given. It is the verifier's own,
 * not undici's global dispatcher. A service may install a client set-up globally, such as an
 * `Agent` composed with undici's redirect interceptor, and key lookups must not follow redirects.
 */
function defaultAgent(): Agent {
  ownAgent ??= new Agent()
  return ownAgent
}

async function askRepository(
  base: URL,
  keyId: string,
  settings: HttpRepositorySettings,
): Promise<Attempt> {
  const url = keyUrl(base, keyId)

  let response: Dispatcher.ResponseData
  try {
    response = await request(url, {
      method: 'GET',
      headers: { accept: PEM_MEDIA_TYPE },
      signal: AbortSignal.timeout(settings.timeout),
      dispatcher: settings.dispatcher ?? defaultAgent(),
    })
  } catch (error) {
    return {
      kind: 'unavailable',
      reason: describeRequestError(error, settings.timeout),
      tryNext: true,
    }
  }

  try {
    return await readKeyResponse(response, settings.timeout)
  } finally {
    // Reads and discards what is left of the body, so the connection can be reused. A body over
    // the limit is destroyed instead, and a fully read body is already closed.
    await response.body.dump({ limit: MAX_PUBLIC_KEY_RESPONSE_BYTES }).catch(() => undefined)
  }
}

/**
 * Fetches the public key `keyId` from the repositories in order. A connection error, a timeout or
 * a 5xx response moves on to the next repository. Any other response ends the search.
 *
 * @throws {AsapVerificationError} `ERR_ASAP_PUBLIC_KEY_NOT_FOUND` on a 4xx response other than 408
 * and 429, `ERR_ASAP_PUBLIC_KEY_INVALID` when the response is not a usable SPKI PEM, and
 * `ERR_ASAP_KEY_REPOSITORY_UNAVAILABLE` when no repository responded.
 */
export async function fetchPublicKey(
  keyId: string,
  settings: HttpRepositorySettings,
): Promise<LoadedPublicKey> {
  const tried: string[] = []
  const failures: string[] = []

  for (const base of settings.repositories) {
    tried.push(base.href)
    const attempt = await askRepository(base, keyId, settings)
    const details = { keyId, repositories: tried }

    if (attempt.kind === 'found') {
      debug('fetched public key kid=%s from %s', keyId, base.href)
      return { key: attempt.key, maxAge: attempt.maxAge }
    }
    if (attempt.kind === 'not-found') {
      throw new AsapVerificationError(
        codes.PUBLIC_KEY_NOT_FOUND,
        `Public key ${quote(keyId)} not found: ${base.href} ${attempt.reason}. Publish the key under this key ID, or sign with a published key.`,
        details,
      )
    }
    if (attempt.kind === 'invalid') {
      throw new AsapVerificationError(
        codes.PUBLIC_KEY_INVALID,
        `The key repository ${base.href} ${attempt.reason} for key ID ${quote(keyId)}. It must respond with 200, Content-Type ${PEM_MEDIA_TYPE} and one SPKI PEM public key.`,
        details,
      )
    }

    debug('key repository %s failed for kid=%s: %s', base.href, keyId, attempt.reason)
    failures.push(`${base.href} ${attempt.reason}`)
    if (!attempt.tryNext) {
      break
    }
  }

  throw new AsapVerificationError(
    codes.KEY_REPOSITORY_UNAVAILABLE,
    `No key repository returned the public key ${quote(keyId)}: ${failures.join('; ')}.`,
    { keyId, repositories: tried },
  )
}
