import { Config } from '@backstage/config';
import {
  InvocationContext,
  InvocationOutcome,
  Invoker,
  InvokerMethod,
  MethodConfigError,
} from '@self-service-actions/plugin-self-service-actions-node';

/** The Jenkins server the module talks to (`jenkins` in app-config, as Backstage's Jenkins plugin). */
export interface JenkinsServer {
  baseUrl: string;
  username: string;
  apiKey: string;
}

/** An action's `method` with `type: Jenkins`, as `validate` returns it. */
export interface JenkinsMethod extends InvokerMethod {
  type: 'Jenkins';
  /** The job's path: `deploy` or `folder/deploy`. */
  job: string;
}

const JOB_SEGMENT = /^[\w.-]+$/;

/**
 * `method.type: Jenkins`: starts a parameterised job (`buildWithParameters`). The job gets the
 * run's inputs as parameters (each a string) with `REPORT_TOKEN`, `REPORT_URL` and `RUN_ID`,
 * and reports its progress to `REPORT_URL` with `curl`, like any external system.
 */
export class JenkinsInvoker implements Invoker<JenkinsMethod> {
  readonly type = 'Jenkins';

  constructor(private readonly server: JenkinsServer) {}

  validate(methodConfig: Config): JenkinsMethod {
    const job = methodConfig.getOptionalString('job');
    if (!job) {
      throw new MethodConfigError('job', 'is required');
    }
    // Each segment becomes a path segment of the job's URL: nothing may leave it.
    const segments = job.split('/');
    if (!segments.every(segment => JOB_SEGMENT.test(segment) && segment !== '.' && segment !== '..')) {
      throw new MethodConfigError('job', 'must be folder/job names of letters, digits, . _ and - (not . or ..)');
    }
    const timeoutSeconds = methodConfig.getOptionalNumber('timeoutSeconds') ?? 10;
    return { type: 'Jenkins', job, timeoutMs: timeoutSeconds * 1000 };
  }

  describe(method: JenkinsMethod): { url: string } {
    return { url: this.jobUrl(method) };
  }

  /** The credential is sent with every request: whatever Jenkins answers is scrubbed of it. */
  secrets(): string[] {
    return [this.server.apiKey, this.authorization()];
  }

  async invoke(context: InvocationContext<JenkinsMethod>): Promise<InvocationOutcome> {
    const parameters = new URLSearchParams();
    for (const [name, value] of Object.entries(context.inputs)) {
      // Secret inputs are sent (the job needs them) but never kept by the backend.
      parameters.set(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    parameters.set('REPORT_TOKEN', context.run.reportToken);
    parameters.set('REPORT_URL', context.run.reportUrl);
    parameters.set('RUN_ID', context.run.id);
    try {
      const response = await fetch(`${this.jobUrl(context.method)}buildWithParameters`, {
        method: 'POST',
        headers: {
          authorization: this.authorization(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: parameters.toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(context.method.timeoutMs),
      });
      // Jenkins queues the build: 201 with the queue item in Location.
      if (response.status !== 201) {
        const text = (await response.text()).slice(0, 500);
        return { kind: 'failed', reason: `Jenkins answered ${response.status}${text ? `: ${text}` : ''}` };
      }
      await response.arrayBuffer();
      return { kind: 'accepted', links: [{ title: 'Jenkins job', url: this.jobUrl(context.method) }] };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        return { kind: 'timed-out' };
      }
      return { kind: 'failed', reason: `Jenkins could not be reached: ${(error as Error).message}` };
    }
  }

  private jobUrl(method: JenkinsMethod): string {
    const base = this.server.baseUrl.replace(/\/+$/, '');
    return `${base}/${method.job.split('/').map(segment => `job/${segment}`).join('/')}/`;
  }

  private authorization(): string {
    const basic = Buffer.from(`${this.server.username}:${this.server.apiKey}`).toString('base64');
    return `Basic ${basic}`;
  }
}
