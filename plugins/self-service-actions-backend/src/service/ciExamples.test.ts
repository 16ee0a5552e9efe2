import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { parse } from 'yaml';
import { authHeader } from '../testing/fixtures';
import { startPluginBackend } from '../testing/testBackend';
import { anyoneMayRun } from '../testing/sampleAction';
import { TestReceiver } from '../testing/TestReceiver';

jest.setTimeout(60_000);

/**
 * The example workflow and pipeline of docs/ run as GitHub's and GitLab's runners would run
 * their shell steps (bash, curl and jq on this machine), against a real backend: what they
 * report must be accepted, and the run must end as they say.
 */

const docs = path.resolve(__dirname, '../../../../docs');
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** Runs a script as a runner does (`bash -eo pipefail`); resolves with its output. */
function bash(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { env, timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout + stderr),
    );
  });
}

/** Fills in the `${{ inputs.x }}` and `${{ job.status }}` expressions of a workflow. */
function expressions(values: Record<string, string>) {
  const fill = (text: string) =>
    text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
      if (!(name in values)) throw new Error(`no value for \${{ ${name} }}`);
      return values[name];
    });
  return (map: Record<string, string> = {}) =>
    Object.fromEntries(Object.entries(map).map(([key, value]) => [key, fill(String(value))]));
}

/** Runs the job of docs/github-workflow.yml as dispatched with `inputs`; returns its log. */
async function runGitHubWorkflow(inputs: Record<string, string>): Promise<string> {
  const workflow = parse(fs.readFileSync(path.join(docs, 'github-workflow.yml'), 'utf8'));
  expect(Object.keys(workflow.on.workflow_dispatch.inputs).sort()).toEqual(Object.keys(inputs).sort());
  const [job] = Object.values(workflow.jobs) as any[];
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'ssa-gha-'));
  const envFile = path.join(temp, 'env');
  fs.writeFileSync(envFile, '');
  fs.writeFileSync(path.join(temp, 'event.json'), JSON.stringify({ inputs }));
  const fill = expressions({
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`inputs.${name}`, value])),
    'job.status': 'success',
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: temp,
    GITHUB_EVENT_PATH: path.join(temp, 'event.json'),
    GITHUB_ENV: envFile,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/payments',
    GITHUB_RUN_ID: '4242',
    RUNNER_TEMP: temp,
    RUNNER_NAME: 'test-runner',
    ...fill(job.env),
  };
  let log = '';
  try {
    for (const step of job.steps) {
      if (step.uses) continue; // actions/checkout: nothing to check out here
      log += await bash(step.run, { ...env, ...fill(step.env) });
      for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
        const equals = line.indexOf('=');
        if (equals > 0) env[line.slice(0, equals)] = line.slice(equals + 1);
      }
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return log;
}

/** Runs the job of docs/gitlab-pipeline.yml with the pipeline's `variables` (no apk here). */
async function runGitLabPipeline(variables: Record<string, string>): Promise<string> {
  const pipeline = parse(fs.readFileSync(path.join(docs, 'gitlab-pipeline.yml'), 'utf8'));
  const job = pipeline.deploy;
  const env = { PATH: process.env.PATH ?? '', CI_JOB_URL: 'https://gitlab.com/platform/payments/-/jobs/77', ...variables };
  const setUp = (job.before_script as string[]).filter(line => !line.startsWith('apk '));
  let log = await bash([...setUp, ...job.script].join('\n'), env);
  log += await bash(job.after_script.join('\n'), { ...env, CI_JOB_STATUS: 'success' });
  return log;
}

describe('the CI examples of docs/', () => {
  let server: any;
  const api = new TestReceiver()
    .on('/github/repos/acme/payments/actions/workflows/deploy.yml/dispatches', () => ({ status: 204 }))
    .on('/gitlab/projects/platform%2Fpayments/pipeline', () => ({
      status: 201,
      body: { id: 5, web_url: 'https://gitlab.com/platform/payments/-/pipelines/5' },
    }));

  beforeAll(async () => {
    const url = await api.start();
    const inputs = { type: 'object', properties: { environment: { type: 'string' } } };
    const backend = await startPluginBackend({
      knex: await databases.init('SQLITE_3'),
      integrations: {
        github: [{ host: 'github.com', apiBaseUrl: `${url}/github`, token: 'ghp_examples' }],
        gitlab: [{ host: 'gitlab.com', apiBaseUrl: `${url}/gitlab`, token: 'glpat-examples' }],
      },
      selfServiceActions: {
        actions: [
          anyoneMayRun('deploy', {
            userInputs: inputs,
            method: {
              type: 'GitHubWorkflow',
              owner: 'acme',
              repo: 'payments',
              workflow: 'deploy.yml',
              ref: 'main',
              inputs: { environment: '{{ inputs.environment }}' },
            },
          }),
          anyoneMayRun('pipeline', {
            userInputs: inputs,
            method: {
              type: 'GitLabPipeline',
              project: 'platform/payments',
              ref: 'main',
              variables: { ENVIRONMENT: '{{ inputs.environment }}' },
            },
          }),
        ],
      },
    });
    server = backend.server;
  });

  afterAll(() => api.stop());

  async function start(actionId: string) {
    const res = await request(server)
      .post(`/api/self-service-actions/actions/${actionId}/runs`)
      .set('authorization', authHeader('allowed'))
      .send({ inputs: { environment: 'staging' } });
    expect(res.body.status).toBe('inprogress');
    return { id: res.body.id as string, sent: api.requests.at(-1)!.body };
  }

  async function read(runId: string) {
    const res = await request(server)
      .get(`/api/self-service-actions/runs/${runId}`)
      .set('authorization', authHeader('allowed'));
    return res.body;
  }

  it('docs/github-workflow.yml reports its steps and completes the run, never logging the token unmasked', async () => {
    const { id, sent } = await start('deploy');
    const log = await runGitHubWorkflow(sent.inputs);
    const token = sent.inputs.report_token;
    // GitHub hides a masked value from the log once ::add-mask:: has been read.
    expect(log.split('\n').filter(line => line.includes(token))).toEqual([`::add-mask::${token}`]);
    expect(await read(id)).toMatchObject({
      status: 'complete',
      message: 'Deployed',
      completedAt: expect.any(String),
      steps: [
        { title: 'Set up job', status: 'complete', logs: ['Runner test-runner'] },
        { title: 'Deploy', status: 'complete', logs: ['Deploying to staging', 'Deployed to staging'] },
      ],
      links: [
        { title: 'Workflow runs', url: 'https://github.com/acme/payments/actions/workflows/deploy.yml' },
        { title: 'GitHub Actions run', url: 'https://github.com/acme/payments/actions/runs/4242' },
      ],
    });
  });

  it('docs/gitlab-pipeline.yml reports its steps and completes the run', async () => {
    const { id, sent } = await start('pipeline');
    const variables = Object.fromEntries(
      sent.variables.map((v: { key: string; value: string }) => [v.key, v.value]),
    );
    const log = await runGitLabPipeline(variables);
    expect(log).not.toContain(variables.REPORT_TOKEN);
    expect(await read(id)).toMatchObject({
      status: 'complete',
      message: 'Deployed to staging',
      steps: [{ title: 'Deploy', status: 'complete', logs: ['Deploying to staging', 'Deployed to staging'] }],
      links: [
        { title: 'Pipeline', url: 'https://gitlab.com/platform/payments/-/pipelines/5' },
        { title: 'GitLab job', url: 'https://gitlab.com/platform/payments/-/jobs/77' },
      ],
    });
  });
});
