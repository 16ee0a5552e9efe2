import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ActionDefinitionDocument,
  ActionListItem,
  CreateRunRequest,
  EventDelivery,
  EventDeliveryList,
  CallerInfo,
  RunPreview,
  JsonObject,
  OpenApiPaths,
  PublicActionDefinition,
  Run,
  RunList,
} from '@self-service-actions/plugin-self-service-actions-common';
import {
  ListEventDeliveriesOptions,
  ListRunsOptions,
  SelfServiceActionsApi,
} from './SelfServiceActionsApi';

// Requests and answers are typed from the HTTP contract (the backend's openapi.yaml, through
// -common's generated types): a route, parameter or body the spec does not have does not
// compile. The answers are the spec's schemas, which -common checks against Run & co.

type Path = keyof OpenApiPaths;
type Method = 'get' | 'post' | 'put' | 'delete';
/** The methods a path has in the spec. */
type MethodOf<P extends Path> = {
  [M in Method]: OpenApiPaths[P][M] extends { responses: unknown } ? M : never;
}[Method];
type Operation<P extends Path, M extends Method> = Extract<
  OpenApiPaths[P][M],
  { responses: unknown }
>;
type PathParams<Op> = Op extends { parameters: { path: infer Params } } ? Params : never;
type QueryParams<Op> = Op extends { parameters: { query?: infer Query } } ? Query : never;
/** The JSON body of a route; never for a route without one. */
type RequestBody<Op> = Op extends { requestBody?: infer Body }
  ? [NonNullable<Body>] extends [never]
    ? never
    : NonNullable<Body> extends { content: { 'application/json': infer Json } }
      ? Json
      : never
  : never;
/** What a request to a route takes: its path parameters (required when it has some). */
type RequestOptions<Op> = ([PathParams<Op>] extends [never]
  ? { params?: never }
  : { params: PathParams<Op> }) & {
  query?: QueryParams<Op>;
  body?: RequestBody<Op>;
  /** Request headers (`If-Match` of the routes that change an action). */
  headers?: Record<string, string>;
};
/** The JSON of a route's success answer (200 or 201). */
type Answer<Op> = Op extends { responses: infer Responses }
  ? {
      [Status in keyof Responses]: Status extends 200 | 201
        ? Responses[Status] extends { content: { 'application/json': infer Json } }
          ? Json
          : never
        : never;
    }[keyof Responses]
  : never;

/** {@link SelfServiceActionsApi} over HTTP, with the user's Backstage token from fetchApi. */
export class SelfServiceActionsClient implements SelfServiceActionsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  listActions(options: { entityRef?: string } = {}): Promise<ActionListItem[]> {
    return this.request('get', '/actions', { query: { entityRef: options.entityRef } });
  }

  getAction(id: string): Promise<PublicActionDefinition> {
    return this.request('get', '/actions/{id}', { params: { id } });
  }

  createRun(actionId: string, request: CreateRunRequest): Promise<Run> {
    return this.request('post', '/actions/{id}/runs', { params: { id: actionId }, body: request });
  }

  listRuns(options: ListRunsOptions = {}): Promise<RunList> {
    return this.request('get', '/runs', {
      query: {
        actionId: options.actionId,
        entityRef: options.entityRef,
        status: options.status,
        mine: options.mine ? true : undefined,
        awaitingMyDecision: options.awaitingMyDecision ? true : undefined,
        includeTests: options.includeTests ? true : undefined,
        limit: options.limit,
        cursor: options.cursor,
        order: options.order,
      },
    });
  }

  getRun(id: string): Promise<Run> {
    return this.request('get', '/runs/{id}', { params: { id } });
  }

  rerun(id: string, inputs?: JsonObject): Promise<Run> {
    return this.request('post', '/runs/{id}/rerun', {
      params: { id },
      body: inputs ? { inputs } : {},
    });
  }

  cancelRun(id: string): Promise<Run> {
    return this.request('post', '/runs/{id}/cancel', { params: { id } });
  }

  approveRun(id: string, comment?: string): Promise<Run> {
    return this.request('post', '/runs/{id}/approve', {
      params: { id },
      body: comment ? { comment } : {},
    });
  }

  rejectRun(id: string, comment: string): Promise<Run> {
    return this.request('post', '/runs/{id}/reject', { params: { id }, body: { comment } });
  }

  listEventDeliveries(options: ListEventDeliveriesOptions = {}): Promise<EventDeliveryList> {
    return this.request('get', '/events/deliveries', {
      query: {
        status: options.status,
        subscriberId: options.subscriberId || undefined,
        limit: options.limit,
        cursor: options.cursor,
      },
    });
  }

  previewRun(actionId: string, body: CreateRunRequest): Promise<RunPreview> {
    return this.request('post', '/actions/{id}/preview', { params: { id: actionId }, body });
  }

  createAction(definition: JsonObject): Promise<PublicActionDefinition> {
    return this.request('post', '/actions', { body: definition });
  }

  updateAction(id: string, version: number, definition: JsonObject): Promise<PublicActionDefinition> {
    return this.request('put', '/actions/{id}', {
      params: { id },
      headers: { 'if-match': `"${version}"` },
      body: definition,
    });
  }

  async deleteAction(id: string, version?: number): Promise<void> {
    await this.request('delete', '/actions/{id}', {
      params: { id },
      headers: version === undefined ? {} : { 'if-match': `"${version}"` },
    });
  }

  getActionDefinition(id: string): Promise<ActionDefinitionDocument> {
    return this.request('get', '/actions/{id}/definition', { params: { id } });
  }

  testRun(actionId: string, body: CreateRunRequest): Promise<Run> {
    return this.request('post', '/actions/{id}/test', { params: { id: actionId }, body });
  }

  getCaller(): Promise<CallerInfo> {
    return this.request('get', '/me', {});
  }

  retryEventDelivery(id: string): Promise<EventDelivery> {
    return this.request('post', '/events/deliveries/{id}/retry', { params: { id } });
  }

  private async request<P extends Path, M extends MethodOf<P>>(
    method: M,
    path: P,
    options: RequestOptions<Operation<P, M>>,
  ): Promise<Answer<Operation<P, M>>> {
    const baseUrl = await this.discoveryApi.getBaseUrl('self-service-actions');
    const params: Record<string, string> = options.params ?? {};
    const resolvedPath = path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(params[name]),
    );
    const query = new URLSearchParams();
    const queryValues: Record<string, string | number | boolean | undefined> = options.query ?? {};
    for (const [key, value] of Object.entries(queryValues)) {
      if (value !== undefined) {
        query.set(key, String(value));
      }
    }
    const search = query.toString();
    const response = await this.fetchApi.fetch(
      `${baseUrl}${resolvedPath}${search ? `?${search}` : ''}`,
      {
        method: method.toUpperCase(),
        headers: {
          ...options.headers,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      },
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    // 204 (a deleted action) has no body.
    return response.status === 204 ? (undefined as never) : await response.json();
  }
}
