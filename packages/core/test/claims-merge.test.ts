import { createSigner, DEFAULT_BACKDATE, DEFAULT_EXPIRES_IN } from '@asap-auth/core'
import fc from 'fast-check'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { generateKeys } from '../../../test/helpers/keys.js'
import { fixedClock, NOW, UUID_PATTERN, verifyWithBoth } from './support.js'

// The key ID `org/team/key-1` is owned by both issuers `org` and `org/team`, so every source may
// set `iss` and the token stays valid.
const KEY_ID = 'org/team/key-1'
const issuerChoice = fc.constantFrom('org', 'org/team')
const subjectChoice = fc.constantFrom('alice', 'bob', 'carol', 'org')
const audienceChoice = fc.constantFrom<string | string[]>('invoices', 'ledger', ['x', 'y'])
const customValue = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean())

/** A claim set where each registered claim and each custom claim may be present or not. */
const claimSet = fc.record(
  {
    iss: issuerChoice,
    sub: subjectChoice,
    aud: audienceChoice,
    tenant: customValue,
    scope: customValue,
  },
  { requiredKeys: [] },
)

const scenario = fc.record({
  issuer: issuerChoice,
  subject: fc.option(subjectChoice, { nil: undefined }),
  audience: audienceChoice,
  additionalClaims: claimSet,
  additionalAsJson: fc.boolean(),
  callSubject: fc.option(subjectChoice, { nil: undefined }),
  callClaims: fc.option(claimSet, { nil: undefined }),
})

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never

/**
 * Computes the claims a token must carry, independently of the signer. Options come first, then
 * additional claims, the per-call subject and the per-call claims. `sub` falls back to the final
 * `iss`.
 */
function expectedClaims(input: Scenario): Record<string, unknown> {
  const iat = NOW - DEFAULT_BACKDATE
  const merged: Record<string, unknown> = {
    iss: input.issuer,
    aud: input.audience,
    iat,
    nbf: iat,
    exp: iat + DEFAULT_EXPIRES_IN,
    ...(input.subject === undefined ? {} : { sub: input.subject }),
    ...input.additionalClaims,
    ...(input.callSubject === undefined ? {} : { sub: input.callSubject }),
    ...input.callClaims,
  }
  merged.sub ??= merged.iss
  return merged
}

describe('claim merging', () => {
  const keys = generateKeys('ES256')

  it('follows options < additionalClaims < per-call subject < per-call claims', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        const signer = createSigner({
          issuer: input.issuer,
          keyId: KEY_ID,
          privateKey: keys.privateKey,
          algorithm: 'ES256',
          subject: input.subject,
          clock: fixedClock,
          additionalClaims: input.additionalAsJson
            ? JSON.stringify(input.additionalClaims)
            : input.additionalClaims,
        })
        const token = await signer.sign(input.audience, {
          subject: input.callSubject,
          claims: input.callClaims,
        })

        const { jti, ...claims } = decodeJwt(token)
        expect(jti).toMatch(UUID_PATTERN)
        expect(claims).toEqual(expectedClaims(input))
        expect(signer.issuer).toBe(input.additionalClaims.iss ?? input.issuer)
      }),
      { numRuns: 300 },
    )
  })

  it('produces tokens both libraries accept', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        const signer = createSigner({
          issuer: input.issuer,
          keyId: KEY_ID,
          privateKey: keys.privateKey,
          algorithm: 'ES256',
          subject: input.subject,
          clock: fixedClock,
          additionalClaims: input.additionalClaims,
        })
        const token = await signer.sign(input.audience, {
          subject: input.callSubject,
          claims: input.callClaims,
        })
        const { payload } = await verifyWithBoth(token, keys)
        expect(payload.sub).toBe(expectedClaims(input).sub)
      }),
      { numRuns: 30 },
    )
  })
})
