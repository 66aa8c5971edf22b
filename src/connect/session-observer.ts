import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { ConnectSessionsService } from '../connect-sessions/connect-sessions.service';
import { SessionState } from '../connect-sessions/session-outcome';

/** How often a waiting observer reads the session again: the end may be recorded by another replica. */
export const OBSERVE_POLL_MS = 300;

/**
 * The observe channel's long-poll: waits until a pending session ends, its time is up, the client goes
 * away or the app shuts down, whichever is first. The session is read from the database every
 * OBSERVE_POLL_MS (any replica may record the end); an end recorded by this replica wakes its waiters
 * at once. Nothing is held between reads but a timer.
 */
@Injectable()
export class SessionObserver implements BeforeApplicationShutdown {
  private closing = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly sessions: ConnectSessionsService) {}

  /**
   * The session's state once it is no longer pending, or as it is when `waitMs` have passed (or the
   * client left: `gone`, or the app is shutting down). Null when the session no longer exists.
   */
  async until(id: string, first: SessionState, waitMs: number, gone: AbortSignal): Promise<SessionState | null> {
    const deadline = Date.now() + waitMs;
    let state: SessionState | null = first;
    while (state && state.status === 'pending' && !this.closing && !gone.aborted && Date.now() < deadline) {
      await this.sleep(id, Math.min(OBSERVE_POLL_MS, deadline - Date.now()), gone);
      state = await this.sessions.stateNow(id);
    }
    return state;
  }

  /** Answers every waiting observer now, with what the session says: the HTTP server can then close. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const wake of [...this.sleepers]) wake();
  }

  private sleep(id: string, ms: number, gone: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        unsubscribe();
        gone.removeEventListener('abort', wake);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      const unsubscribe = this.sessions.onEnded(id, wake);
      gone.addEventListener('abort', wake);
      this.sleepers.add(wake);
    });
  }
}
