import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ActionListItem,
  CreateRunRequest,
  JsonObject,
  PublicActionDefinition,
  Run,
  RunList,
} from '@internal/plugin-self-service-actions-common';
import { ListRunsOptions, SelfServiceActionsApi } from './SelfServiceActionsApi';

/** {@link SelfServiceActionsApi} over HTTP, with the user's Backstage token from fetchApi. */
export class SelfServiceActionsClient implements SelfServiceActionsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  listActions(options: { entityRef?: string } = {}): Promise<ActionListItem[]> {
    return this.request('/actions', { query: { entityRef: options.entityRef } });
  }

  getAction(id: string): Promise<PublicActionDefinition> {
    return this.request(`/actions/${encodeURIComponent(id)}`);
  }

  createRun(actionId: string, request: CreateRunRequest): Promise<Run> {
    return this.request(`/actions/${encodeURIComponent(actionId)}/runs`, { body: request });
  }

  listRuns(options: ListRunsOptions = {}): Promise<RunList> {
    return this.request('/runs', {
      query: {
        actionId: options.actionId,
        entityRef: options.entityRef,
        status: options.status,
        mine: options.mine ? 'true' : undefined,
        limit: options.limit?.toString(),
        cursor: options.cursor,
      },
    });
  }

  getRun(id: string): Promise<Run> {
    return this.request(`/runs/${encodeURIComponent(id)}`);
  }

  rerun(id: string, inputs?: JsonObject): Promise<Run> {
    return this.request(`/runs/${encodeURIComponent(id)}/rerun`, {
      body: inputs ? { inputs } : {},
    });
  }

  cancelRun(id: string): Promise<Run> {
    return this.request(`/runs/${encodeURIComponent(id)}/cancel`, { body: {} });
  }

  private async request<T>(
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown } = {},
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('self-service-actions');
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) {
        query.set(key, value);
      }
    }
    const search = query.toString();
    const response = await this.fetchApi.fetch(`${baseUrl}${path}${search ? `?${search}` : ''}`, {
      method: options.body === undefined ? 'GET' : 'POST',
      ...(options.body === undefined
        ? {}
        : {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(options.body),
          }),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
