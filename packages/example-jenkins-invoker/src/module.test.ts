import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// The test runs the module inside the plugin it extends, as a backend would (tests only).
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import selfServiceActionsPlugin from '@self-service-actions/plugin-self-service-actions-backend';
import request from 'supertest';
import jenkinsInvokerModule from './index';

jest.setTimeout(60_000);

const API_KEY = 'jenkins-api-key-0123456789';
const JANE = mockCredentials.user.header('user:default/jane');

/** A loopback server standing in for Jenkins: records builds, answers per job. */
async function startFakeJenkins() {
  const builds: Array<{ path: string; authorization?: string; parameters: URLSearchParams }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      builds.push({ path: req.url ?? '', authorization: req.headers.authorization, parameters: new URLSearchParams(body) });
      if (req.url?.startsWith('/job/broken/')) {
        // a Jenkins error page that quotes the request's credentials
        res.writeHead(500).end(`Error: job broken is disabled (auth ${req.headers.authorization})`);
        return;
      }
      res.writeHead(201, { location: `http://127.0.0.1/queue/item/${builds.length}/` }).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { builds, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

function action(id: string, job: string) {
  return {
    id,
    name: id,
    type: 'Day2',
    icon: 'build',
    status: 'Active',
    owner: 'group:default/platform',
    allowedPeople: ['*'],
    userInputs: { type: 'object', properties: { version: { type: 'string' }, replicas: { type: 'integer' } } },
    method: { type: 'Jenkins', job },
  };
}

async function startBackend(jenkinsUrl: string, actions: object[]) {
  return startTestBackend({
    features: [
      selfServiceActionsPlugin,
      jenkinsInvokerModule,
      mockServices.rootConfig.factory({
        data: {
          jenkins: { baseUrl: jenkinsUrl, username: 'backstage', apiKey: API_KEY },
          selfServiceActions: { actions },
        },
      }),
      catalogServiceMock.factory({ entities: [] }),
    ],
  });
}

describe('the example Jenkins invoker module', () => {
  it('starts a parameterised job that reports back through /report', async () => {
    const jenkins = await startFakeJenkins();
    const backend = await startBackend(jenkins.url, [action('deploy', 'platform/deploy'), action('broken', 'broken')]);
    try {
      const created = await request(backend.server)
        .post('/api/self-service-actions/actions/deploy/runs')
        .set('authorization', JANE)
        .send({ inputs: { version: '1.4.2', replicas: 3 } });
      expect(created.status).toBe(201);
      expect(created.body.links).toEqual([{ title: 'Jenkins job', url: `${jenkins.url}/job/platform/job/deploy/` }]);
      const [build] = jenkins.builds;
      expect(build.path).toBe('/job/platform/job/deploy/buildWithParameters');
      expect(build.authorization).toBe(`Basic ${Buffer.from(`backstage:${API_KEY}`).toString('base64')}`);
      expect(Object.fromEntries(build.parameters)).toEqual({
        version: '1.4.2',
        replicas: '3',
        REPORT_TOKEN: expect.stringMatching(/.{20,}/),
        REPORT_URL: expect.stringMatching(/\/api\/self-service-actions\/report$/),
        RUN_ID: created.body.id,
      });

      // the job reports with the token it was given, as its curl steps would
      const startedAt = new Date().toISOString();
      const report = await request(backend.server)
        .post('/api/self-service-actions/report')
        .set('x-report-token', build.parameters.get('REPORT_TOKEN')!)
        .send({ status: 'complete', startedAt, steps: [{ title: 'Deploy', status: 'complete', startedAt, logs: ['done'] }] });
      expect(report.status).toBe(200);
      const run = await request(backend.server).get(`/api/self-service-actions/runs/${created.body.id}`).set('authorization', JANE);
      expect(run.body).toMatchObject({ status: 'complete', steps: [{ title: 'Deploy', logs: ['done'] }] });

      // a refusing Jenkins fails the run; its answer is kept without the credential it quoted
      const failed = await request(backend.server)
        .post('/api/self-service-actions/actions/broken/runs')
        .set('authorization', JANE)
        .send({ inputs: {} });
      expect(failed.body.status).toBe('failed');
      expect(failed.body.error).toBe('Jenkins answered 500: Error: job broken is disabled (auth ***)');
    } finally {
      await backend.stop();
      jenkins.close();
    }
  });

  it('stops start-up on a job path that could leave its URL, naming the action and field', async () => {
    const jenkins = await startFakeJenkins();
    try {
      await expect(startBackend(jenkins.url, [action('sneaky', 'platform/../admin')])).rejects.toThrow(
        /Invalid self-service action "sneaky".*"method.job"/,
      );
      expect(jenkins.builds).toEqual([]);
    } finally {
      jenkins.close();
    }
  });
});
