import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import { SessionState } from '../connect-sessions/session-outcome';

/** How often the waiting sessions are read again: the end may be recorded by another replica. */
export const OBSERVE_POLL_MS = 300;

/**
 * Long-polls waiting at once on this replica, at most. Beyond it a poll is answered at once with the
 * state it found (`pending`): the browser package polls again, and the database load stays bounded.
 */
export const MAX_WAITERS = 1000;

interface Waiter {
  /** Wakes the waiter: its session ended (here or elsewhere), its time is up, the client left, or shutdown. */
  wake(state?: SessionState | null): void;
}

/**
 * The observe channel's long-poll: waits until a pending session ends, its time is up, the client goes
 * away or the app shuts down, whichever is first. One poller per replica reads every waited-on session
 * in one statement every OBSERVE_POLL_MS (any replica may record the end), however many browsers wait;
 * an end recorded by this replica wakes its waiters at once. At most MAX_WAITERS wait at a time.
 */
@Injectable()
export class SessionObserver implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ConnectSessions');
  private closing = false;
  private readonly waiting = new Map<string, Set<Waiter>>();
  private count = 0;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private interval = OBSERVE_POLL_MS;
  /** See MAX_WAITERS (tests lower it). */
  maxWaiters = MAX_WAITERS;

  constructor(private readonly sessions: ConnectSessionsService) {}

  /** The shared poll's interval (tests lengthen it to see that a local end wakes without it). */
  get pollMs(): number {
    return this.interval;
  }

  set pollMs(ms: number) {
    this.interval = ms;
    // A tick already scheduled with the old interval is rescheduled with the new one.
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule();
    }
  }

  /**
   * The session's state once it is no longer pending, or as it is when `waitMs` have passed (or the
   * client left: `gone`, the app is shutting down, or MAX_WAITERS wait already). Null when the session
   * no longer exists.
   */
  async until(id: string, first: SessionState, waitMs: number, gone: AbortSignal): Promise<SessionState | null> {
    if (first.status !== 'pending' || waitMs <= 0 || this.closing || gone.aborted || this.count >= this.maxWaiters)
      return first;
    const ended = await new Promise<SessionState | null | undefined>((resolve) => {
      const finish = (state?: SessionState | null) => {
        clearTimeout(deadline);
        unsubscribe();
        gone.removeEventListener('abort', leave);
        this.remove(id, waiter);
        resolve(state);
      };
      const waiter: Waiter = { wake: finish };
      const leave = () => finish();
      const deadline = setTimeout(leave, waitMs);
      // Ended on this replica: at once, without waiting for the poll.
      const unsubscribe = this.sessions.onEnded(id, () => finish());
      gone.addEventListener('abort', leave);
      this.add(id, waiter);
    });
    // The poll's reading when it woke the waiter; otherwise (a local end, time up, shutdown) read it now.
    return ended !== undefined ? ended : this.sessions.stateNow(id);
  }

  /** Answers every waiting observer now, with what the session says: the HTTP server can then close. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const waiters of [...this.waiting.values()]) for (const waiter of [...waiters]) waiter.wake();
    clearTimeout(this.timer);
  }

  private add(id: string, waiter: Waiter): void {
    let set = this.waiting.get(id);
    if (!set) this.waiting.set(id, (set = new Set()));
    set.add(waiter);
    this.count++;
    this.schedule();
  }

  private remove(id: string, waiter: Waiter): void {
    const set = this.waiting.get(id);
    if (!set?.delete(waiter)) return;
    this.count--;
    if (!set.size) this.waiting.delete(id);
  }

  private schedule(): void {
    if (this.timer || this.polling || this.closing || !this.waiting.size) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, this.interval);
  }

  /** One statement for every waited-on session; those no longer pending (or gone) wake with what was read. */
  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const ids = [...this.waiting.keys()];
      const states = await this.sessions.statesNow(ids);
      for (const id of ids) {
        const state = states.get(id) ?? null;
        if (state && state.status === 'pending') continue;
        for (const waiter of [...(this.waiting.get(id) ?? [])]) waiter.wake(state);
      }
    } catch (error) {
      // The next tick tries again; a waiter's own deadline still ends its wait.
      this.logger.warn({ err: error }, 'observe poll failed');
    } finally {
      this.polling = false;
      this.schedule();
    }
  }
}
