import { Config } from '@backstage/config';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { JsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { InvokerMethod } from '@self-service-actions/plugin-self-service-actions-node';
import {
  fail,
  GIT_REF,
  HOST_NAME,
  readFixedString,
  readMethodTimeoutMs,
  refuseUnknownKeys,
} from '../methodFields';
import { readScmParameters, ScmParameters } from '../scmParameters';

/**
 * How a GitLabPipeline action creates its pipeline. Holds no credential: the token is read from
 * Backstage's `integrations.gitlab` at each run.
 */
export interface GitLabPipelineMethod extends InvokerMethod {
  type: 'GitLabPipeline';
  /** The GitLab host, as `integrations.gitlab` names it. */
  host: string;
  /** That integration's API root (`https://gitlab.com/api/v4`). */
  apiBaseUrl: string;
  /** The project's numeric id or full path (`group/sub/project`), as written. */
  project: string;
  /** The branch or tag the pipeline runs for. */
  ref: string;
  /** The pipeline variables: templates, and the names of the report token's and URL's. */
  variables: ScmParameters;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const KNOWN_KEYS = [
  'type',
  'host',
  'project',
  'ref',
  'variables',
  'reportTokenVariable',
  'reportUrlVariable',
  'timeout',
] as const;

/** A numeric id, or namespace and project paths: letters, digits, `_`, `-`, `.`, no leading dot. */
const PROJECT = /^(?:[0-9]+|[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+)$/;
/** GitLab's variable keys: letters, digits and `_`. */
const VARIABLE_KEY = /^[A-Za-z0-9_]{1,255}$/;

/** Reads and checks a GitLabPipeline action's `method` block; throws naming the field. */
export function readGitLabPipelineMethod(
  config: Config,
  integrations: ScmIntegrationRegistry,
): GitLabPipelineMethod {
  const raw = config.get() as JsonObject;
  refuseUnknownKeys(raw, KNOWN_KEYS);
  const host = readFixedString(raw, 'host', {
    pattern: HOST_NAME,
    expected: 'a host name (with an optional port)',
    fallback: 'gitlab.com',
  });
  const integration = integrations.gitlab.byHost(host);
  if (!integration) {
    return fail('host', `has no entry in integrations.gitlab: add one for ${host} with a token`);
  }
  if (!integration.config.token) {
    return fail('host', `has no credentials: give the integrations.gitlab entry of ${host} a token`);
  }
  const project = readFixedString(raw, 'project', {
    pattern: PROJECT,
    expected: "the project's numeric id or full path (group/project, group/sub/project)",
  });
  if (project.endsWith('.git')) {
    fail('project', `must name the project, not its clone URL: ${JSON.stringify(project)} ends in .git`);
  }
  const ref = readFixedString(raw, 'ref', { pattern: GIT_REF, expected: 'a branch or tag name' });
  const variables = readScmParameters(raw, {
    field: 'variables',
    reportToken: { field: 'reportTokenVariable', fallback: 'REPORT_TOKEN' },
    reportUrl: { field: 'reportUrlVariable', fallback: 'REPORT_URL' },
    namePattern: VARIABLE_KEY,
    nameRule: 'letters, digits and _ (at most 255)',
    caseSensitive: true,
  });
  return {
    type: 'GitLabPipeline',
    host,
    apiBaseUrl: integration.config.apiBaseUrl,
    project,
    ref,
    variables,
    timeoutMs: readMethodTimeoutMs(config) ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Where the pipeline is created; the project's path is one URL-encoded segment, as GitLab asks. */
export function pipelineUrl(method: GitLabPipelineMethod): string {
  return `${method.apiBaseUrl}/projects/${encodeURIComponent(method.project)}/pipeline`;
}
