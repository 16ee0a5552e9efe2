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
 * How a GitHubWorkflow action dispatches its workflow. Holds no credential: those are asked of
 * Backstage's `integrations.github` at each run (a GitHub App's tokens expire).
 */
export interface GitHubWorkflowMethod extends InvokerMethod {
  type: 'GitHubWorkflow';
  /** The GitHub host, as `integrations.github` names it. */
  host: string;
  /** That integration's API root (`https://api.github.com`, `https://ghe.example.com/api/v3`). */
  apiBaseUrl: string;
  owner: string;
  repo: string;
  /** The workflow's file name (`deploy.yml`) or numeric id. */
  workflow: string;
  /** The branch or tag whose workflow file runs. */
  ref: string;
  /** The workflow inputs: templates, and the names of the report token's and URL's inputs. */
  inputs: ScmParameters;
}

/**
 * The most inputs a workflow_dispatch event may have ("The maximum number of top-level
 * properties for inputs is 25", GitHub's workflow syntax reference; 10 before December 2025).
 */
export const MAX_WORKFLOW_INPUTS = 25;

const DEFAULT_TIMEOUT_MS = 10_000;
const KNOWN_KEYS = [
  'type',
  'host',
  'owner',
  'repo',
  'workflow',
  'ref',
  'inputs',
  'reportTokenInput',
  'reportUrlInput',
  'timeout',
] as const;

/** What GitHub allows in each part of the dispatch URL (nothing that could change the path). */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const REPO = /^[A-Za-z0-9._-]+$/;
const WORKFLOW = /^(?:[0-9]+|[^/\\?#%\s]+\.ya?ml)$/;
/** GitHub's input ids: a letter or `_`, then letters, digits, `-` and `_`. */
const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Reads and checks a GitHubWorkflow action's `method` block; throws naming the field. */
export function readGitHubWorkflowMethod(
  config: Config,
  integrations: ScmIntegrationRegistry,
): GitHubWorkflowMethod {
  const raw = config.get() as JsonObject;
  refuseUnknownKeys(raw, KNOWN_KEYS);
  const host = readFixedString(raw, 'host', {
    pattern: HOST_NAME,
    expected: 'a host name (with an optional port)',
    fallback: 'github.com',
  });
  const integration = integrations.github.byHost(host);
  if (!integration) {
    return fail('host', `has no entry in integrations.github: add one for ${host} with a token or a GitHub App`);
  }
  if (!integration.config.token && !integration.config.apps?.length) {
    return fail(
      'host',
      `has no credentials: give the integrations.github entry of ${host} a token or a GitHub App`,
    );
  }
  if (!integration.config.apiBaseUrl) {
    return fail('host', `has no apiBaseUrl in its integrations.github entry (GitHub Enterprise needs one)`);
  }
  const owner = readFixedString(raw, 'owner', { pattern: OWNER, expected: 'a GitHub user or organisation name' });
  const repo = readFixedString(raw, 'repo', { pattern: REPO, expected: 'a repository name (letters, digits, ., - and _)' });
  const workflow = readFixedString(raw, 'workflow', {
    pattern: WORKFLOW,
    expected: "the workflow's file name (deploy.yml, no folder) or numeric id",
  });
  const ref = readFixedString(raw, 'ref', { pattern: GIT_REF, expected: 'a branch or tag name' });
  const inputs = readScmParameters(raw, {
    field: 'inputs',
    reportToken: { field: 'reportTokenInput', fallback: 'report_token' },
    reportUrl: { field: 'reportUrlInput', fallback: 'report_url' },
    namePattern: INPUT_NAME,
    nameRule: 'a letter or _, then letters, digits, - and _',
    // GitHub's input names are case-insensitive.
    caseSensitive: false,
    max: { count: MAX_WORKFLOW_INPUTS, source: 'inputs a workflow_dispatch event may have' },
  });
  return {
    type: 'GitHubWorkflow',
    host,
    apiBaseUrl: integration.config.apiBaseUrl,
    owner,
    repo,
    workflow,
    ref,
    inputs,
    timeoutMs: readMethodTimeoutMs(config) ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Where the workflow is dispatched (shown to the action's owners: no secret in it). */
export function dispatchUrl(method: GitHubWorkflowMethod): string {
  const path = [method.owner, method.repo, 'actions', 'workflows', method.workflow]
    .map(encodeURIComponent)
    .join('/');
  return `${method.apiBaseUrl}/repos/${path}/dispatches`;
}

/** The page of the workflow's runs, where the dispatched run appears. */
export function workflowRunsUrl(method: GitHubWorkflowMethod): string {
  const path = [method.owner, method.repo, 'actions', 'workflows', method.workflow]
    .map(encodeURIComponent)
    .join('/');
  return `https://${method.host}/${path}`;
}
