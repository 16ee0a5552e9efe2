import { Config } from '@backstage/config';
import {
  getGitLabRequestOptions,
  ScmIntegrationRegistry,
  ScmIntegrations,
} from '@backstage/integration';
import {
  InvocationContext,
  InvocationOutcome,
  Invoker,
  PreviewedRequest,
} from '@self-service-actions/plugin-self-service-actions-node';
import { jsonObjectOf, refusalReason, webLink } from '../apiAnswers';
import { renderScmParameters } from '../scmParameters';
import { sendPost, USER_AGENT } from '../sendPost';
import { GitLabPipelineMethod, pipelineUrl, readGitLabPipelineMethod } from './gitlabPipelineMethod';

/** A created pipeline's JSON is a few KiB; more is not a pipeline. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * `method.type: GitLabPipeline`: creates a pipeline for a ref with the run's variables, its
 * report token and its report URL as pipeline variables, using the token of Backstage's
 * `integrations.gitlab`. The pipeline reports back through `/report`; the run stays in
 * progress until it does, linked to the pipeline's page.
 */
export class GitLabPipelineInvoker implements Invoker<GitLabPipelineMethod> {
  readonly type = 'GitLabPipeline';

  /** From the backend's root config, whose `integrations.gitlab` holds the tokens. */
  static fromConfig(config: Config): GitLabPipelineInvoker {
    return new GitLabPipelineInvoker(ScmIntegrations.fromConfig(config));
  }

  constructor(private readonly integrations: ScmIntegrationRegistry) {}

  validate(methodConfig: Config): GitLabPipelineMethod {
    return readGitLabPipelineMethod(methodConfig, this.integrations);
  }

  describe(method: GitLabPipelineMethod): { url: string } {
    return { url: pipelineUrl(method) };
  }

  /** The integration's token: GitLab's answer is stored only without it. */
  secrets(context: InvocationContext<GitLabPipelineMethod>): string[] {
    const token = this.integrations.gitlab.byHost(context.method.host)?.config.token;
    return token ? [token] : [];
  }

  /** The pipeline request, with the integration's credentials as `***`. */
  preview(context: InvocationContext<GitLabPipelineMethod>): PreviewedRequest {
    const integration = this.integrations.gitlab.byHost(context.method.host);
    const credentials = integration
      ? getGitLabRequestOptions(integration.config, '***').headers
      : { authorization: 'Bearer ***' };
    return { method: 'POST', ...pipelineRequest(context, credentials) };
  }

  async invoke(context: InvocationContext<GitLabPipelineMethod>): Promise<InvocationOutcome> {
    const { method } = context;
    const integration = this.integrations.gitlab.byHost(method.host);
    if (!integration) {
      // validate() made sure of it; the config cannot change while the backend runs.
      return { kind: 'failed', reason: `No GitLab integration for ${method.host}` };
    }
    const outcome = await sendPost(
      pipelineRequest(context, getGitLabRequestOptions(integration.config).headers),
      { timeoutMs: method.timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES },
    );
    if (outcome.kind === 'timeout') {
      // GitLab may have created it: the pipeline can still report.
      return { kind: 'timed-out' };
    }
    if (outcome.kind === 'error') {
      return { kind: 'failed', reason: 'GitLab could not be reached', detail: outcome.message };
    }
    if (outcome.status !== 201) {
      return { kind: 'failed', reason: refusalReason('GitLab', outcome.status, outcome.body) };
    }
    return { kind: 'accepted', links: webLink('Pipeline', jsonObjectOf(outcome.body)?.web_url) };
  }
}

/** The pipeline request of a run, with the credentials' headers given. */
function pipelineRequest(context: InvocationContext<GitLabPipelineMethod>, credentials: Record<string, string>) {
  const { method } = context;
  const variables = Object.entries(renderScmParameters(method.variables, context)).map(
    ([key, value]) => ({ key, value, variable_type: 'env_var' }),
  );
  return {
    url: pipelineUrl(method),
    headers: {
      // Backstage's own way of authenticating to GitLab (Authorization: Bearer <token>).
      ...credentials,
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
    },
    body: JSON.stringify({ ref: method.ref, variables }),
  };
}
