import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { selfServiceRunReadPermission } from '@self-service-actions/plugin-self-service-actions-common';
import { RunRecord } from '../database/RunStore';
import { sampleRun } from '../testing/sampleAction';
import { PermissionGate } from './PermissionGate';
import { createRunConditionalDecision, runConditions } from './permissionRules';
import { SignalReaders } from './SignalReaders';

const allowAll = { none: false, test: () => true };
const jane = { userRef: 'user:default/jane', ownershipRefs: ['group:default/platform'] };
const olivia = { userRef: 'user:default/olivia', ownershipRefs: ['group:default/platform', 'group:default/sre'] };

function run(fields: Partial<RunRecord>): RunRecord {
  return { ...sampleRun(), steps: [], ...fields };
}

describe('SignalReaders', () => {
  let now: number;
  const readers = (maxReaders = 10) => new SignalReaders({ ttlMs: 1000, maxReaders, now: () => now });

  beforeEach(() => {
    now = 0;
  });

  it('resolves user and group refs to the users seen lately, once each', () => {
    const subject = readers();
    subject.remember(jane, allowAll);
    subject.remember(olivia, allowAll);
    expect(subject.resolve(['group:default/platform', 'user:default/jane']).map(r => r.userRef)).toEqual([
      'user:default/jane',
      'user:default/olivia',
    ]);
    expect(subject.resolve(['group:default/sre']).map(r => r.userRef)).toEqual(['user:default/olivia']);
    expect(subject.resolve(['group:default/unknown'])).toEqual([]);
  });

  it('forgets a decision after its time, or when the credentials expire sooner', () => {
    const subject = readers();
    subject.remember(jane, allowAll);
    subject.remember(olivia, allowAll, new Date(500));
    now = 500;
    expect(subject.resolve(['group:default/platform']).map(r => r.userRef)).toEqual(['user:default/jane']);
    now = 1000;
    expect(subject.resolve(['group:default/platform'])).toEqual([]);
    expect(subject.size).toBe(0);
  });

  it('keeps the latest decision and groups of a user', () => {
    const subject = readers();
    subject.remember(olivia, allowAll);
    subject.remember({ ...olivia, ownershipRefs: ['group:default/platform'] }, { none: true, test: () => false });
    expect(subject.resolve(['group:default/sre'])).toEqual([]);
    expect(subject.resolve(['group:default/platform'])).toEqual([]);
  });

  it('forgets the least recently seen users first', () => {
    const subject = readers(1);
    subject.remember(jane, allowAll);
    subject.remember(olivia, allowAll);
    expect(subject.resolve(['group:default/platform']).map(r => r.userRef)).toEqual(['user:default/olivia']);
  });

  it("applies a policy's conditional run.read decision to each run", async () => {
    const permissions = mockServices.permissions.mock({
      authorizeConditional: async requests =>
        requests.map(request =>
          request.permission.name === selfServiceRunReadPermission.name
            ? createRunConditionalDecision(
                selfServiceRunReadPermission,
                runConditions.hasActionType({ types: ['Day2'] }),
              )
            : { result: AuthorizeResult.ALLOW },
        ) as any,
    });
    const decisions = await new PermissionGate(permissions).decide(mockCredentials.user(jane.userRef));
    const subject = readers();
    subject.remember(jane, decisions.readRuns);
    const [reader] = subject.resolve(['user:default/jane']);
    expect(reader.mayRead(run({ actionType: 'Day2' }))).toBe(true);
    expect(reader.mayRead(run({ actionType: 'Delete' }))).toBe(false);
  });
});
