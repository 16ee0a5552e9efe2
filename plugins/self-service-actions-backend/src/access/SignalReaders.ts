import { RunRecord } from '../database/RunStore';
import { Caller } from './ActionAccess';
import { RunPermissionFilter } from './PermissionGate';

/** A user the plugin may signal: who they are and what the policy lets them read. */
export interface SignalReader {
  userRef: string;
  /** The policy's `run.read` decision, applied to one run (conditions in memory). */
  mayRead(run: RunRecord): boolean;
}

type Remembered = {
  userRef: string;
  refs: string[];
  readRuns: RunPermissionFilter;
  /** Epoch ms after which the decision is no longer used. */
  until: number;
};

/**
 * The permission policy's `run.read` decision of each user who called the plugin lately, so
 * that run change signals reach only those the policy lets read the run.
 *
 * The policy can only be asked with a user's own credentials (`PermissionsService` takes
 * credentials, and policies read the user's token and claims from them); the plugin has those
 * only while serving that user's request. So the decision each request already obtains is
 * remembered here, with the user's ownership refs, which also resolve a group audience to its
 * members without a catalog call. A user who has not called the plugin lately (whose browser
 * shows none of its pages) hears nothing: signals only tell open pages what to read again.
 * Every signal makes a page read again, which renews the decision, so a revoked right stops
 * signals after at most one more, or when the decision expires.
 */
export class SignalReaders {
  private readonly byUser = new Map<string, Remembered>();
  /** User refs by ownership ref (user and group refs), to resolve an audience. */
  private readonly byRef = new Map<string, Set<string>>();

  constructor(
    private readonly options: {
      /** How long a decision is used after the request that obtained it. */
      ttlMs: number;
      /** Users remembered at most; the least recently seen are forgotten first. */
      maxReaders: number;
      now?: () => number;
    },
  ) {}

  /** Remembers the decision a request of this caller obtained (until their credentials expire). */
  remember(caller: Caller, readRuns: RunPermissionFilter, credentialsExpireAt?: Date): void {
    const now = this.now();
    const until = Math.min(now + this.options.ttlMs, credentialsExpireAt?.getTime() ?? Infinity);
    this.forget(caller.userRef);
    const refs = [...new Set([caller.userRef, ...caller.ownershipRefs])];
    // Map order is insertion order: re-inserted, the user is now the most recently seen.
    this.byUser.set(caller.userRef, { userRef: caller.userRef, refs, readRuns, until });
    refs.forEach(ref => {
      let users = this.byRef.get(ref);
      if (!users) {
        users = new Set();
        this.byRef.set(ref, users);
      }
      users.add(caller.userRef);
    });
    while (this.byUser.size > this.options.maxReaders) {
      this.forget(this.byUser.keys().next().value!);
    }
  }

  /**
   * The users an audience (user and group refs) stands for, as far as the plugin knows them,
   * with their decision; users whose decision denies every run are left out.
   */
  resolve(audience: string[]): SignalReader[] {
    const now = this.now();
    const userRefs = new Set(audience.flatMap(ref => [...(this.byRef.get(ref) ?? [])]));
    const readers: SignalReader[] = [];
    for (const userRef of userRefs) {
      const entry = this.byUser.get(userRef)!;
      if (entry.until <= now) {
        this.forget(userRef);
      } else if (!entry.readRuns.none) {
        readers.push({ userRef, mayRead: run => entry.readRuns.test(run) });
      }
    }
    return readers;
  }

  /** Users remembered now (expired ones included until next met). */
  get size(): number {
    return this.byUser.size;
  }

  private forget(userRef: string) {
    const entry = this.byUser.get(userRef);
    if (!entry) return;
    this.byUser.delete(userRef);
    entry.refs.forEach(ref => {
      const users = this.byRef.get(ref);
      users?.delete(userRef);
      if (users?.size === 0) this.byRef.delete(ref);
    });
  }

  private now() {
    return (this.options.now ?? Date.now)();
  }
}
