import { Config } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
  ScmIntegrations,
} from '@backstage/integration';
import {
  InvocationContext,
  InvocationOutcome,
  Invoker,
  PreviewedRequest,
} from '@self-service-actions/plugin-self-service-actions-node';
import { refusalReason } from '../apiAnswers';
import { formatSeconds, TIME_RAN_OUT, withinTime } from '../deadline';
import { renderScmParameters } from '../scmParameters';
import { sendPost, USER_AGENT } from '../sendPost';
import {
  dispatchUrl,
  GitHubWorkflowMethod,
  readGitHubWorkflowMethod,
  workflowRunsUrl,
} from './githubWorkflowMethod';

/** GitHub answers a dispatch with an empty 204; anything longer is an error's JSON. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * `method.type: GitHubWorkflow`: dispatches a workflow (`workflow_dispatch`) with the run's
 * inputs, its report token and its report URL as workflow inputs, using the credentials of
 * Backstage's `integrations.github` (a token or a GitHub App). The workflow reports back
 * through `/report`; the run stays in progress until it does.
 */
export class GitHubWorkflowInvoker implements Invoker<GitHubWorkflowMethod> {
  readonly type = 'GitHubWorkflow';
  /** The token each invocation sent, so that `secrets` can name it (an App's token is new). */
  private readonly sentTokens = new WeakMap<InvocationContext<GitHubWorkflowMethod>, string>();

  /** From the backend's root config, whose `integrations.github` holds the credentials. */
  static fromConfig(config: Config): GitHubWorkflowInvoker {
    const integrations = ScmIntegrations.fromConfig(config);
    return new GitHubWorkflowInvoker(
      integrations,
      DefaultGithubCredentialsProvider.fromIntegrations(integrations),
    );
  }

  constructor(
    private readonly integrations: ScmIntegrationRegistry,
    private readonly credentials: GithubCredentialsProvider,
  ) {}

  validate(methodConfig: Config): GitHubWorkflowMethod {
    return readGitHubWorkflowMethod(methodConfig, this.integrations);
  }

  describe(method: GitHubWorkflowMethod): { url: string } {
    return { url: dispatchUrl(method) };
  }

  /**
   * The token sent and every credential of the host's integration: GitHub's answer, or an
   * error text from fetching an App's token, is stored only without them.
   */
  secrets(context: InvocationContext<GitHubWorkflowMethod>): string[] {
    const config = this.integrations.github.byHost(context.method.host)?.config;
    const configured = [
      config?.token,
      ...(config?.apps ?? []).flatMap(app => [app.privateKey, app.clientSecret, app.webhookSecret]),
    ];
    return [this.sentTokens.get(context), ...configured].filter((s): s is string => !!s);
  }

  /** The dispatch, with the token (fetched only at send time) as `***`. */
  preview(context: InvocationContext<GitHubWorkflowMethod>): PreviewedRequest {
    return { method: 'POST', ...dispatchRequest(context, '***') };
  }

  async invoke(context: InvocationContext<GitHubWorkflowMethod>): Promise<InvocationOutcome> {
    const { method } = context;
    const startedAt = Date.now();
    let token: string | undefined;
    try {
      const credentials = await withinTime(
        this.credentials.getCredentials({
          url: `https://${method.host}/${method.owner}/${method.repo}`,
        }),
        method.timeoutMs,
      );
      if (credentials === TIME_RAN_OUT) {
        // Nothing was dispatched, so nothing will report: the run fails rather than waits.
        return {
          kind: 'failed',
          reason: `GitHub credentials for ${method.owner}/${method.repo} were not had within ${formatSeconds(method.timeoutMs)}; the workflow was not dispatched`,
        };
      }
      token = credentials.token;
    } catch (error) {
      return {
        kind: 'failed',
        reason: `GitHub credentials for ${method.owner}/${method.repo} could not be had: ${(error as Error).message}`,
      };
    }
    if (!token) {
      return {
        kind: 'failed',
        reason: `No GitHub credentials for ${method.owner}/${method.repo}: no GitHub App of integrations.github is installed there and the integration has no token`,
      };
    }
    this.sentTokens.set(context, token);
    const outcome = await sendPost(
      dispatchRequest(context, token),
      {
        timeoutMs: Math.max(1, method.timeoutMs - (Date.now() - startedAt)),
        maxResponseBytes: MAX_ANSWER_BYTES,
      },
    );
    if (outcome.kind === 'timeout') {
      // GitHub may have dispatched it: the workflow can still report.
      return { kind: 'timed-out' };
    }
    if (outcome.kind === 'error') {
      return { kind: 'failed', reason: 'GitHub could not be reached', detail: outcome.message };
    }
    if (outcome.status !== 204) {
      return { kind: 'failed', reason: refusalReason('GitHub', outcome.status, outcome.body) };
    }
    return { kind: 'accepted', links: [{ title: 'Workflow runs', url: workflowRunsUrl(method) }] };
  }
}

/** The workflow_dispatch request of a run. */
function dispatchRequest(context: InvocationContext<GitHubWorkflowMethod>, token: string) {
  const { method } = context;
  return {
    url: dispatchUrl(method),
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-github-api-version': '2022-11-28',
    },
    body: JSON.stringify({ ref: method.ref, inputs: renderScmParameters(method.inputs, context) }),
  };
}
