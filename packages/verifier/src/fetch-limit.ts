/**
 * A limit on concurrent key repository lookups. Lookups over the limit wait in order of arrival,
 * each for a bounded time, and priority lookups wait ahead of the others.
 *
 * @module
 */

/** Thrown by {@link FetchLimit.run} when a task waited `maxWait` milliseconds for a free slot. */
export class FetchSlotTimeoutError extends Error {
  /** How long the task waited, in milliseconds. */
  readonly waited: number
  /** The tasks running when the wait ended. */
  readonly running: number

  constructor(waited: number, running: number) {
    super(`No free slot after ${waited} ms: ${running} tasks were running.`)
    this.name = 'FetchSlotTimeoutError'
    this.waited = waited
    this.running = running
  }
}

/** Runs tasks with at most a fixed number at once. */
export interface FetchLimit {
  /**
   * Runs `task` as soon as fewer than the maximum are running. Tasks that find the limit reached
   * start in order of arrival, every `priority` task before every other one.
   *
   * @throws {FetchSlotTimeoutError} when no slot became free within the wait limit. `task` is then
   * never called.
   */
  run<T>(task: () => Promise<T>, priority?: boolean): Promise<T>
}

interface Waiter {
  /** Hands a slot over to the waiting task. */
  start(): void
}

/**
 * Creates a {@link FetchLimit} that runs at most `maxRunning` tasks at once and lets a task wait
 * at most `maxWait` milliseconds for a slot.
 */
export function createFetchLimit(maxRunning: number, maxWait: number): FetchLimit {
  let running = 0
  // A Set keeps insertion order and deletes in constant time, so each serves as a queue.
  const priorityWaiters = new Set<Waiter>()
  const waiters = new Set<Waiter>()

  function acquire(priority: boolean): Promise<void> {
    if (running < maxRunning) {
      running++
      return Promise.resolve()
    }
    const queue = priority ? priorityWaiters : waiters
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        queue.delete(waiter)
        reject(new FetchSlotTimeoutError(maxWait, running))
      }, maxWait)
      queue.add(waiter)
    })
  }

  function release(): void {
    const queue = priorityWaiters.size > 0 ? priorityWaiters : waiters
    const next = queue.values().next()
    if (next.done) {
      running--
      return
    }
    // The slot passes straight to the next task, so `running` stays the same.
    queue.delete(next.value)
    next.value.start()
  }

  return {
    async run<T>(task: () => Promise<T>, priority = false): Promise<T> {
      await acquire(priority)
      try {
        return await task()
      } finally {
        release()
      }
    },
  }
}
