import { readConfiguredActions, sampleActionConfig } from '../testing/sampleAction';
import { GitHubWorkflowMethod, MAX_WORKFLOW_INPUTS } from '../invokers/github/githubWorkflowMethod';
import { GitLabPipelineMethod } from '../invokers/gitlab/gitlabPipelineMethod';

const integrations = {
  github: [
    { host: 'github.example.com', apiBaseUrl: 'https://github.example.com/api/v3', token: 'ghp_test' },
    { host: 'no-credentials.example.com', apiBaseUrl: 'https://no-credentials.example.com/api/v3' },
    { host: 'no-api.example.com', token: 'ghp_test' },
  ],
  gitlab: [{ host: 'gitlab.example.com', apiBaseUrl: 'https://gitlab.example.com/api/v4', token: 'glpat-test' }],
};

const github = {
  type: 'GitHubWorkflow',
  host: 'github.example.com',
  owner: 'acme',
  repo: 'payments',
  workflow: 'deploy.yml',
  ref: 'main',
};
const gitlab = { type: 'GitLabPipeline', host: 'gitlab.example.com', project: 'group/sub/payments', ref: 'main' };

function read(method: object) {
  return readConfiguredActions({ actions: [{ ...sampleActionConfig, method }] }, integrations);
}

/** `count` inputs named input0, input1, ... */
function manyInputs(count: number) {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`input${i}`, `{{ inputs.x${i} }}`]));
}

describe('reading GitHubWorkflow and GitLabPipeline methods', () => {
  it('reads a GitHubWorkflow method with its integration and defaults', () => {
    const [action] = read({ ...github, inputs: { region: '{{ inputs.region }}', replicas: 3 } });
    expect(action.method as GitHubWorkflowMethod).toEqual({
      ...github,
      apiBaseUrl: 'https://github.example.com/api/v3',
      inputs: {
        templates: { region: '{{ inputs.region }}', replicas: '3' },
        reportTokenName: 'report_token',
        reportUrlName: 'report_url',
      },
      timeoutMs: 10_000,
    });
    const [byId] = read({ ...github, workflow: 1234, timeout: { seconds: 3 } });
    expect(byId.method).toMatchObject({ workflow: '1234', timeoutMs: 3000 });
  });

  it('takes as many inputs as a workflow_dispatch event may have, the report token and URL counted', () => {
    expect(MAX_WORKFLOW_INPUTS).toBe(25);
    expect(read({ ...github, inputs: manyInputs(23) })).toHaveLength(1);
    expect(() => read({ ...github, inputs: manyInputs(24) })).toThrow(
      'field "method.inputs" has 24 entries; with report_token and report_url that makes 26, more than the 25 inputs a workflow_dispatch event may have',
    );
  });

  it('reads a GitLabPipeline method with its integration and defaults', () => {
    const [action] = read({ ...gitlab, variables: { REGION: '{{ region }}' } });
    expect(action.method as GitLabPipelineMethod).toEqual({
      ...gitlab,
      apiBaseUrl: 'https://gitlab.example.com/api/v4',
      variables: {
        templates: { REGION: '{{ region }}' },
        reportTokenName: 'REPORT_TOKEN',
        reportUrlName: 'REPORT_URL',
      },
      timeoutMs: 10_000,
    });
    expect(read({ ...gitlab, project: 42 })[0].method).toMatchObject({ project: '42' });
  });

  it.each([
    // GitHub: what the dispatch needs, and where its credentials come from
    [{ ...github, owner: undefined }, 'method.owner', 'is required'],
    [{ ...github, repo: '' }, 'method.repo', 'is required'],
    [{ ...github, workflow: undefined }, 'method.workflow', 'is required'],
    [{ ...github, ref: undefined }, 'method.ref', 'is required'],
    [{ ...github, host: undefined }, 'method.host', 'has no credentials: give the integrations.github entry of github.com'],
    [{ ...github, host: 'ghe.nowhere.example.com' }, 'method.host', 'has no entry in integrations.github'],
    [{ ...github, host: 'no-credentials.example.com' }, 'method.host', 'has no credentials'],
    [{ ...github, host: 'no-api.example.com' }, 'method.host', 'has no apiBaseUrl'],
    [{ ...github, host: 'https://github.example.com' }, 'method.host', 'must be a host name'],
    // GitHub: nothing a run is given, and no separator, may change where the request goes
    [{ ...github, owner: 'acme/evil' }, 'method.owner', 'must be a GitHub user or organisation name'],
    [{ ...github, owner: '{{ inputs.org }}' }, 'method.owner', 'cannot hold placeholders'],
    [{ ...github, repo: '..' }, 'method.repo', 'must be a repository name'],
    [{ ...github, repo: 'payments/../other' }, 'method.repo', 'must be a repository name'],
    [{ ...github, workflow: '../deploy.yml' }, 'method.workflow', "must be the workflow's file name"],
    [{ ...github, workflow: '.github/workflows/deploy.yml' }, 'method.workflow', "must be the workflow's file name"],
    [{ ...github, workflow: 'deploy' }, 'method.workflow', "must be the workflow's file name"],
    [{ ...github, workflow: '{{ inputs.workflow }}.yml' }, 'method.workflow', 'cannot hold placeholders'],
    [{ ...github, ref: '{{ inputs.branch }}' }, 'method.ref', 'cannot hold placeholders'],
    [{ ...github, ref: 'main branch' }, 'method.ref', 'must be a branch or tag name'],
    // GitHub: input names
    [{ ...github, inputs: ['x'] }, 'method.inputs', 'must be a map of names to values'],
    [{ ...github, inputs: { report_token: 'x' } }, 'method.inputs.report_token', 'is the name reportTokenInput gives'],
    [{ ...github, inputs: { Report_URL: 'x' } }, 'method.inputs.Report_URL', 'is the name reportUrlInput gives'],
    [{ ...github, reportTokenInput: 'token', inputs: { token: 'x' } }, 'method.inputs.token', 'is the name reportTokenInput gives'],
    [{ ...github, inputs: { Region: 'a', region: 'b' } }, 'method.inputs.region', 'differs from another name only by case'],
    [{ ...github, inputs: { '1st': 'x' } }, 'method.inputs.1st', 'is not a valid name'],
    [{ ...github, inputs: { 'a.b': 'x' } }, 'method.inputs.a.b', 'is not a valid name'],
    [{ ...github, reportUrlInput: 'report_token' }, 'method.reportUrlInput', 'must differ from reportTokenInput'],
    [{ ...github, reportTokenInput: '{{ x }}' }, 'method.reportTokenInput', 'must be a name, without placeholders'],
    [{ ...github, reportTokenInput: 'bad name' }, 'method.reportTokenInput', 'is not a valid name'],
    [{ ...github, url: 'https://x' }, 'method.url', 'is not a setting of GitHubWorkflow methods'],
    [{ ...github, timeout: 'soon' }, 'method.timeout', 'is not a duration'],
    // GitLab
    [{ ...gitlab, project: undefined }, 'method.project', 'is required'],
    [{ ...gitlab, ref: '' }, 'method.ref', 'is required'],
    [{ ...gitlab, host: undefined }, 'method.host', 'has no credentials: give the integrations.gitlab entry of gitlab.com a token'],
    [{ ...gitlab, host: 'gitlab.nowhere.example.com' }, 'method.host', 'has no entry in integrations.gitlab'],
    [{ ...gitlab, project: 'payments' }, 'method.project', "must be the project's numeric id or full path"],
    [{ ...gitlab, project: 'group/../other' }, 'method.project', "must be the project's numeric id or full path"],
    [{ ...gitlab, project: 'group/payments.git' }, 'method.project', 'must name the project, not its clone URL'],
    [{ ...gitlab, project: '/group/payments' }, 'method.project', "must be the project's numeric id or full path"],
    [{ ...gitlab, project: 'group/{{ inputs.name }}' }, 'method.project', 'cannot hold placeholders'],
    [{ ...gitlab, ref: '{{ inputs.ref }}' }, 'method.ref', 'cannot hold placeholders'],
    [{ ...gitlab, variables: { 'BAD-KEY': 'x' } }, 'method.variables.BAD-KEY', 'is not a valid name'],
    [{ ...gitlab, variables: { REPORT_URL: 'x' } }, 'method.variables.REPORT_URL', 'is the name reportUrlVariable gives'],
    [{ ...gitlab, reportTokenVariable: 'TOKEN', variables: { TOKEN: 'x' } }, 'method.variables.TOKEN', 'is the name reportTokenVariable gives'],
    [{ ...gitlab, inputs: {} }, 'method.inputs', 'is not a setting of GitLabPipeline methods'],
  ])('refuses %j naming field %s', (method, field, problem) => {
    expect(() => read(method)).toThrow(
      `Invalid self-service action "restart-service": selfServiceActions.actions field "${field}" ${problem}`,
    );
  });

  it('tells GitLab variables apart by case, as GitLab does', () => {
    expect(read({ ...gitlab, variables: { region: 'a', REGION: 'b' } })).toHaveLength(1);
  });
});
