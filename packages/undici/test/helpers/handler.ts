/**
 * A dispatch handler that records every hook call, for tests that call `dispatch()` directly.
 *
 * @module
 */

import type { Dispatcher } from 'undici'

/** What a {@link RecordingHandler} saw. */
export interface HandlerEvents {
  /** Hook names in call order. */
  readonly calls: string[]
  statusCode: number | undefined
  body: string
  error: Error | undefined
  controllers: (Dispatcher.DispatchController | undefined)[]
}

/** A handler with the undici 7 hooks that records them and settles `done` at the end. */
export interface RecordingHandler extends Dispatcher.DispatchHandler {
  readonly events: HandlerEvents
  /** Resolves after `onResponseEnd` or `onResponseError`. */
  readonly done: Promise<HandlerEvents>
}

/** Creates a {@link RecordingHandler}. */
export function recordingHandler(): RecordingHandler {
  const events: HandlerEvents = {
    calls: [],
    statusCode: undefined,
    body: '',
    error: undefined,
    controllers: [],
  }
  let finish: (value: HandlerEvents) => void = () => {}
  const done = new Promise<HandlerEvents>((resolve) => {
    finish = resolve
  })
  return {
    events,
    done,
    onRequestStart(controller) {
      events.calls.push('onRequestStart')
      events.controllers.push(controller)
    },
    onResponseStart(controller, statusCode) {
      events.calls.push('onResponseStart')
      events.controllers.push(controller)
      events.statusCode = statusCode
    },
    onResponseData(_controller, chunk) {
      events.calls.push('onResponseData')
      events.body += chunk.toString('utf8')
    },
    onResponseEnd() {
      events.calls.push('onResponseEnd')
      finish(events)
    },
    onResponseError(controller, error) {
      events.calls.push('onResponseError')
      events.controllers.push(controller)
      events.error = error
      finish(events)
    },
  }
}
