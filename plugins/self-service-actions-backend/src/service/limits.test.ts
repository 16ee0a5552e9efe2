import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { started, useRouterHarness } from '../testing/routerHarness';

jest.setTimeout(60_000);

// Only PostgreSQL batches statements (SQLite runs one writer at a time, with no queue of ours).
const databases = TestDatabases.create({ ids: ['POSTGRES_16'] });

describe.each(databases.eachSupportedId())('bounded queues on %p', databaseId => {
  const h = useRouterHarness(databaseId, databases, {
    selfServiceActions: { limits: { maxQueuedDatabaseRequests: 1 } },
  });

  it('answers 503 with Retry-After past the bound while the other requests succeed', async () => {
    const created = await h.createRun('allowed', 'restart-service');
    expect(created.status).toBe(201);
    const token = h.tokenOf();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        h.report(token, { status: 'inprogress', startedAt: started, steps: [{ title: `s${i}`, status: 'inprogress', startedAt: started }] }),
      ),
    );
    const refused = answers.filter(res => res.status === 503);
    const accepted = answers.filter(res => res.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length + accepted.length).toBe(40);
    for (const res of refused) {
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toMatchObject({
        error: { name: 'ServiceUnavailableError' },
        response: { statusCode: 503 },
      });
    }
    // Every accepted report is applied; refused ones changed nothing.
    const run = await request(h.server).get(h.api(`/runs/${created.body.id}`)).set(h.as('allowed'));
    expect(run.body.steps).toHaveLength(accepted.length);
  });
});
