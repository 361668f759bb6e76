/**
 * The machine and the library versions a run measured, read at run time.
 *
 * @module
 */

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** An installed package: its name, its version and the file its name resolves to. */
export interface InstalledPackage {
  readonly name: string
  readonly version: string
  /** The file that `require.resolve` returns for the package name. */
  readonly entry: string
}

/**
 * Finds package `name` as Node resolves it from the file `fromFile`, and reads its version from
 * its own package.json.
 *
 * @throws {Error} when the package cannot be resolved from `fromFile`.
 */
export function installedPackage(name: string, fromFile: string): InstalledPackage {
  const entry = createRequire(fromFile).resolve(name)
  let directory = dirname(entry)
  while (directory !== dirname(directory)) {
    const manifestPath = join(directory, 'package.json')
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        name?: string
        version?: string
      }
      if (manifest.name === name && manifest.version !== undefined) {
        return { name, version: manifest.version, entry }
      }
    }
    directory = dirname(directory)
  }
  throw new Error(`Found ${name} at ${entry}, but no package.json naming it above that file.`)
}

const benchFile = fileURLToPath(import.meta.url)

/**
 * Finds jose where `@asap-auth/core` or `@asap-auth/verifier` resolves it, so the comparison
 * uses the jose copy the project itself installs. The bench package does not depend on jose
 * directly.
 *
 * @throws {Error} when neither package resolves jose.
 */
export function installedJose(): InstalledPackage {
  for (const anchor of ['@asap-auth/core', '@asap-auth/verifier']) {
    try {
      return installedPackage('jose', installedPackage(anchor, benchFile).entry)
    } catch {
      // Try the next package that depends on jose.
    }
  }
  throw new Error('jose is not installed under @asap-auth/core or @asap-auth/verifier.')
}

/**
 * Names the measured source code: the Git commit, and whether `packages/` has uncommitted
 * changes. Returns `unknown` outside a Git checkout.
 */
export function describeSource(): string {
  const repository = fileURLToPath(new URL('..', import.meta.url))
  // --no-optional-locks keeps `git status` from rewriting the index while others work in the tree.
  const git = (...args: string[]) =>
    execFileSync('git', ['--no-optional-locks', ...args], { cwd: repository, encoding: 'utf8' })
  try {
    const commit = git('rev-parse', '--short', 'HEAD').trim()
    const changed = git('status', '--porcelain', '--', 'packages').trim() !== ''
    return changed ? `commit ${commit} with uncommitted changes in packages/` : `commit ${commit}`
  } catch {
    return 'unknown'
  }
}

/** The measured machine. */
export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly node: string
  readonly os: string
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (match?.[1] !== undefined) {
      return match[1].trim()
    }
  } catch {
    // /proc/cpuinfo exists on Linux only; os.cpus() below covers the rest.
  }
  return os.cpus()[0]?.model ?? 'unknown'
}

/** Describes this machine: CPU model, usable cores, RAM, Node version and operating system. */
export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  }
}

/** Returns the installed versions of the packages under test and of the libraries they meet. */
export function libraryVersions(): InstalledPackage[] {
  const names = [
    '@asap-auth/core',
    '@asap-auth/axios',
    '@asap-auth/undici',
    'axios',
    'undici',
    'jsonwebtoken',
    'mitata',
  ]
  const packages = names.map((name) => installedPackage(name, benchFile))
  const core = packages[0]!.entry
  return [...packages, installedJose(), installedPackage('lru-cache', core)]
}

/** Clock ticks of the whole machine, and of this process with its children that have exited. */
interface CpuTicks {
  readonly machineBusy: number
  readonly machineTotal: number
  readonly own: number
}

/** Reads {@link CpuTicks} from /proc, or returns `undefined` where /proc is missing (not Linux). */
function readCpuTicks(): CpuTicks | undefined {
  let machineLine: string
  let ownLine: string
  try {
    machineLine = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    ownLine = readFileSync('/proc/self/stat', 'utf8')
  } catch {
    return undefined
  }
  // cpu  user nice system idle iowait irq softirq steal ...; guest time is already in user.
  const machine = machineLine.trim().split(/\s+/).slice(1, 9).map(Number)
  const machineTotal = machine.reduce((sum, ticks) => sum + ticks, 0)
  const machineIdle = machine[3]! + machine[4]!
  // After the command name in brackets come fields 3 onwards; 14 to 17 are utime, stime,
  // cutime and cstime.
  const fields = ownLine.slice(ownLine.lastIndexOf(')') + 2).split(' ')
  const own = fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0)
  return { machineBusy: machineTotal - machineIdle, machineTotal, own }
}

/**
 * Starts measuring how much of the machine's CPU time other processes use. The returned function
 * returns that share (0 to 1) since the start, or `undefined` where /proc is missing. Child
 * processes count as this process's own once they have exited.
 */
export function measureOtherCpu(): () => number | undefined {
  const start = readCpuTicks()
  return () => {
    const end = readCpuTicks()
    if (start === undefined || end === undefined || end.machineTotal === start.machineTotal) {
      return undefined
    }
    const others = end.machineBusy - start.machineBusy - (end.own - start.own)
    return Math.max(0, others / (end.machineTotal - start.machineTotal))
  }
}
