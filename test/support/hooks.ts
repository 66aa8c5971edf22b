import { gate } from './wait';

type HookName = 'beforeApplicationShutdown' | 'onApplicationShutdown';

/** A provider's shutdown hook, watched: when the close called it, and when it finished. */
export interface WatchedHook {
  /** Resolves when the close calls the hook (it has got that far). */
  entered: Promise<void>;
  /** Resolves when the hook has finished (whatever its outcome). */
  finished: Promise<void>;
  /** Whether it has finished, right now. */
  readonly done: boolean;
}

/**
 * Watches `instance`'s shutdown hook (Nest calls it on the instance), so a test can force the order of
 * a close and a call in flight instead of timing it: hold the call with a gate, start the close, wait
 * for `entered`, let every queued job run (`settled()`), check the hook is still waiting (`done` is
 * false), then release the call. The hook itself runs unchanged.
 */
export function watchHook(instance: object, name: HookName): WatchedHook {
  const target = instance as Record<HookName, (...args: unknown[]) => Promise<unknown>>;
  const original = target[name].bind(instance);
  const entered = gate();
  const finished = gate();
  const watched = { entered: entered.promise, finished: finished.promise, done: false };
  jest.spyOn(target, name).mockImplementation(async (...args: unknown[]) => {
    entered.release();
    try {
      return await original(...args);
    } finally {
      watched.done = true;
      finished.release();
    }
  });
  return watched;
}

/**
 * Resolves once every job already queued has run (promise continuations and process.nextTick come
 * before setImmediate): whatever could finish without I/O or a timer has had its chance.
 */
export const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
