import { ActionDefinition } from '../actions/types';
import { RunRecord } from '../database/RunStore';
import { sampleAction } from '../testing/sampleAction';
import { ActionAccess, Caller } from './ActionAccess';

const access = new ActionAccess({ admins: ['group:default/admins'] });

const caller = (userRef: string, ...groups: string[]): Caller => ({
  userRef,
  ownershipRefs: [userRef, ...groups],
});
const admin = caller('user:default/ada', 'group:default/admins');
const owner = caller('user:default/olivia', 'group:default/platform');
const allowed = caller('user:default/jane', 'group:default/team-a');
const viewer = caller('user:default/vic', 'group:default/sre');
const entityOwner = caller('user:default/ed', 'group:default/payments-team');
const stranger = caller('user:default/sam');
const entityOwners = ['group:default/payments-team'];

function action(overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  return sampleAction({
    resultsVisibleTo: ['group:default/sre'],
    allowedPeople: ['group:default/team-a'],
    ...overrides,
  });
}

const run = { initiatedBy: 'user:default/jane' } as RunRecord;

describe('ActionAccess', () => {
  it('lets everyone signed in see a public action, and only some see a private one', () => {
    const pub = action();
    const priv = action({ visibility: 'private' });
    for (const who of [admin, owner, allowed, viewer, entityOwner, stranger]) {
      expect(access.canSeeAction(who, pub)).toBe(true);
    }
    expect([admin, owner, allowed, viewer, entityOwner, stranger].map(w => access.canSeeAction(w, priv, entityOwners)))
      .toEqual([true, true, true, true, false, false]);
    const privForOwners = action({ visibility: 'private', allowEntityOwners: true });
    expect(access.canSeeAction(entityOwner, privForOwners, entityOwners)).toBe(true);
    expect(access.canSeeAction(entityOwner, privForOwners)).toBe(false);
    expect(access.canSeeAction(stranger, action({ visibility: 'private', allowedPeople: ['*'] }))).toBe(true);
  });

  it('shows a Draft to its owners and admins only', () => {
    const draft = action({ status: 'Draft', allowedPeople: ['*'] });
    expect([admin, owner, allowed, stranger].map(w => access.canSeeAction(w, draft)))
      .toEqual([true, true, false, false]);
    expect(access.canRunAction(owner, draft).allowed).toBe(false);
  });

  it('lets owners, admins, allowed people and (when allowed) entity owners run', () => {
    const a = action();
    expect([admin, owner, allowed, viewer, entityOwner, stranger].map(w => access.canRunAction(w, a, entityOwners).allowed))
      .toEqual([true, true, true, false, false, false]);
    const b = action({ allowEntityOwners: true });
    expect(access.canRunAction(entityOwner, b, entityOwners).allowed).toBe(true);
    expect(access.canRunAction(entityOwner, b, ['group:default/other']).allowed).toBe(false);
    const everyone = action({ allowedPeople: ['*'] });
    expect(access.canRunAction(stranger, everyone).allowed).toBe(true);
    const nobody = action({ allowedPeople: [] });
    expect([admin, owner, allowed].map(w => access.canRunAction(w, nobody).allowed)).toEqual([true, true, false]);
    expect(access.canRunAction(stranger, a).reason).toMatch(/owners and allowed people/);
  });

  it('shows every run to owners, admins and results viewers, and a run to its initiator', () => {
    const a = action();
    expect([admin, owner, allowed, viewer, entityOwner, stranger].map(w => access.canSeeAllRuns(w, a)))
      .toEqual([true, true, false, true, false, false]);
    expect([admin, owner, allowed, viewer, stranger].map(w => access.canReadRun(w, run, a)))
      .toEqual([true, true, true, true, false]);
    // the action is gone from config: initiator and admins only
    expect([admin, owner, allowed, viewer].map(w => access.canReadRun(w, run, undefined)))
      .toEqual([true, false, true, false]);
  });

  it('lets the initiator, owners and admins cancel, not results viewers', () => {
    const a = action();
    expect([admin, owner, allowed, viewer, stranger].map(w => access.canCancelRun(w, run, a)))
      .toEqual([true, true, true, false, false]);
  });
});
