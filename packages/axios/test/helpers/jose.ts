/**
 * jose, which the tests verify received tokens with.
 *
 * @module
 */

import * as joseModule from 'jose'

/** The jose module. */
export const jose = joseModule
