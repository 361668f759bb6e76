/**
 * Rejection of unknown option names, so that a misspelled option such as `expiresin` fails at
 * creation instead of being ignored. A near miss gets a "did you mean" hint.
 *
 * @module
 */

import { AsapInvalidOptionError } from './errors.js'

/**
 * Returns the optimal string alignment distance between `a` and `b`: the number of inserted,
 * deleted or replaced characters, or swapped neighbours, that turn one into the other.
 */
function editDistance(a: string, b: string): number {
  // rows[i][j] is the distance between the first i characters of a and the first j of b.
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i]
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const replaceCost = a[i - 1] === b[j - 1] ? 0 : 1
      let distance = Math.min(
        rows[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        rows[i - 1]![j - 1]! + replaceCost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, rows[i - 2]![j - 2]! + 1)
      }
      row.push(distance)
    }
    rows.push(row)
  }
  return rows[a.length]![b.length]!
}

/**
 * Returns the known name that `name` most likely misspells, or `undefined` when none is close.
 * Case is ignored, and up to one edit is allowed for names of up to 5 characters, two for longer
 * ones. Among equally close names the first in `known` wins.
 */
function closestOptionName(name: string, known: Iterable<string>): string | undefined {
  const lowerName = name.toLowerCase()
  const allowedEdits = name.length <= 5 ? 1 : 2
  let closest: string | undefined
  let closestDistance = allowedEdits + 1

  for (const candidate of known) {
    const distance = editDistance(lowerName, candidate.toLowerCase())
    if (distance < closestDistance) {
      closest = candidate
      closestDistance = distance
    }
  }
  return closest
}

/** Joins quoted names as "a", "a" and "b", or "a", "b" and "c". */
function quoteList(names: readonly string[]): string {
  const quoted = names.map((name) => JSON.stringify(name))
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`
}

function hintFor(unknown: readonly string[], known: readonly string[]): string {
  const matches = unknown.flatMap((name) => {
    const closest = closestOptionName(name, known)
    return closest === undefined ? [] : [{ name, closest }]
  })
  if (matches.length === 0) {
    return ''
  }
  if (unknown.length === 1) {
    return ` Did you mean ${JSON.stringify(matches[0]!.closest)}?`
  }
  const pairs = matches.map(
    ({ name, closest }) => `${JSON.stringify(closest)} for ${JSON.stringify(name)}`,
  )
  return ` Did you mean ${pairs.join(', ')}?`
}

/**
 * Throws when `options` has an own property whose name is not in `known`. Values that are not
 * objects are left to the caller's own type check.
 *
 * @param options - The options object as the caller gave it.
 * @param known - Every option name the caller accepts.
 * @param owner - What the options belong to, for the message, such as `createSigner`.
 * @param path - The name of the option that contains `options`, when they are nested, such as
 *   `provider`. It prefixes `field`.
 * @throws {AsapInvalidOptionError} naming every unknown option, with the first one in `field`
 *   (`provider.expiresin` when `path` is `provider`).
 */
export function assertKnownOptions(
  options: unknown,
  known: readonly string[],
  owner: string,
  path?: string,
): void {
  if (typeof options !== 'object' || options === null) {
    return
  }
  const knownNames = new Set(known)
  const unknown = Object.keys(options).filter((name) => !knownNames.has(name))
  if (unknown.length === 0) {
    return
  }

  const verb = unknown.length === 1 ? 'is not an option' : 'are not options'
  const field = path === undefined ? unknown[0]! : `${path}.${unknown[0]!}`
  throw new AsapInvalidOptionError(
    `${quoteList(unknown)} ${verb} of ${owner}.${hintFor(unknown, known)} Known options: ${known.join(', ')}.`,
    { field },
  )
}
