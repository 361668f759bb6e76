/**
 * jose's `jwtVerify` and types, which the tests verify received tokens with.
 *
 * @module
 */

export type { JWTHeaderParameters, JWTPayload } from 'jose'
export { jwtVerify } from 'jose'
