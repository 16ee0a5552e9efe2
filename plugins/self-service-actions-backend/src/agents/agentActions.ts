import {
  AuditorService,
  AuthService,
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { NotAllowedError } from '@backstage/errors';
import { JsonObject, Run } from '@self-service-actions/plugin-self-service-actions-common';
import { ActionCatalog } from '../actions/ActionCatalog';
import { RequestContext } from '../access/AccessPolicy';
import { RunReader } from '../runs/RunReader';
import { AGENTS_NOT_ALLOWED, RunService } from '../runs/RunService';

/** Log lines per step an agent gets with a run: enough to see what failed, not a whole log. */
export const AGENT_LOG_LINES_PER_STEP = 50;

/**
 * Offers the actions to AI agents through Backstage's actions registry (which the MCP actions
 * backend serves to MCP clients): `list-actions`, `run-action` and `get-run`. The caller is the
 * user on whose behalf the agent acts, with exactly the rights the REST API gives them; the
 * refusals are its errors, and runs record `initiatedVia: 'actions-registry'`.
 */
export function registerAgentActions(options: {
  registry: ActionsRegistryService;
  actions: ActionCatalog;
  runs: RunService;
  reader: RunReader;
  auth: AuthService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  /** Where a run's page is, for the link an agent shows its user. */
  runPageUrl: (runId: string) => string;
}) {
  const { registry, actions, runs, reader, auth, userInfo, auditor, runPageUrl } = options;

  async function agentContext(credentials: BackstageCredentials): Promise<RequestContext> {
    if (!auth.isPrincipal(credentials, 'user')) {
      throw new NotAllowedError('Self-service actions run only on behalf of a signed-in user');
    }
    const info = await userInfo.getUserInfo(credentials);
    return {
      credentials,
      via: 'actions-registry',
      caller: { userRef: info.userEntityRef, ownershipRefs: info.ownershipEntityRefs },
    };
  }

  registry.register({
    name: 'list-actions',
    title: 'List self-service actions',
    description:
      'Lists the self-service actions the user may see (those that apply to an entity when ' +
      'entityRef is given), with their input JSON Schema, whether the user may run them and ' +
      'whether agents may.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .optional()
            .describe('An entity ref such as component:default/payments; omit for every action'),
        }),
      output: z =>
        z.object({
          actions: z.array(
            z
              .object({
                id: z.string(),
                name: z.string(),
                type: z.string(),
                canRun: z.boolean(),
                agentsAllowed: z.boolean(),
              })
              .passthrough(),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const ctx = await agentContext(credentials);
      const listed = await actions.list(ctx, input.entityRef);
      const items = await Promise.all(
        listed.map(async item => {
          const agentsAllowed = (await actions.find(item.id))?.agentsAllowed ?? false;
          const reason = agentsAllowed ? item.reason : AGENTS_NOT_ALLOWED;
          return {
            id: item.id,
            name: item.name,
            type: item.type,
            status: item.status,
            ...(item.description ? { description: item.description } : {}),
            ...(item.appliesTo ? { appliesTo: item.appliesTo } : {}),
            userInputs: item.userInputs,
            canRun: item.canRun && agentsAllowed,
            agentsAllowed,
            ...(reason ? { reason } : {}),
          };
        }),
      );
      return { output: { actions: items } };
    },
  });

  registry.register({
    name: 'run-action',
    title: 'Run a self-service action',
    description:
      'Starts a run of a self-service action for the user, on an entity when the action ' +
      'applies to entities. The inputs must match the action\'s input schema (see ' +
      'list-actions). Answers the run\'s id, status and the URL of its page; a run that needs ' +
      'approval waits for people to approve it. Follow it with get-run.',
    attributes: { destructive: true, readOnly: false, idempotent: false },
    schema: {
      input: z =>
        z.object({
          actionId: z.string().describe('The id of the action, from list-actions'),
          entityRef: z.string().optional().describe('The target entity, for actions that apply to entities'),
          inputs: z.record(z.unknown()).optional().describe('The form values, per the action\'s input schema'),
        }),
      output: z =>
        z.object({
          run: z.object({
            id: z.string(),
            status: z.string(),
            url: z.string(),
            message: z.string().nullable(),
            error: z.string().nullable(),
          }),
        }),
    },
    action: async ({ input, credentials }) => {
      const ctx = await agentContext(credentials);
      const meta: JsonObject = {
        actionId: input.actionId,
        entityRef: input.entityRef ?? null,
        actor: ctx.caller.userRef,
        initiatedVia: ctx.via,
      };
      const event = await auditor.createEvent({ eventId: 'run-create', severityLevel: 'medium', meta });
      let run: Run;
      try {
        run = await runs.createRun(ctx, input.actionId, {
          ...(input.entityRef !== undefined ? { entityRef: input.entityRef } : {}),
          inputs: (input.inputs ?? {}) as JsonObject,
        });
      } catch (error) {
        await event.fail({ error: error as Error, meta });
        throw error;
      }
      await event.success({ meta: { ...meta, runId: run.id, status: run.status } });
      return {
        output: {
          run: { id: run.id, status: run.status, url: runPageUrl(run.id), message: run.message, error: run.error },
        },
      };
    },
  });

  registry.register({
    name: 'get-run',
    title: 'Get a self-service run',
    description:
      'Reads a run the user may see: status, message, error, steps with their last ' +
      `${AGENT_LOG_LINES_PER_STEP} log lines, links, and its approval when it waits for one.`,
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z => z.object({ runId: z.string().describe('The id run-action answered') }),
      output: z =>
        z.object({
          run: z.object({ id: z.string(), status: z.string(), url: z.string() }).passthrough(),
        }),
    },
    action: async ({ input, credentials }) => {
      const ctx = await agentContext(credentials);
      const run = await reader.getRun(ctx, input.runId);
      return {
        output: {
          run: {
            ...run,
            url: runPageUrl(run.id),
            steps: run.steps.map(step => ({
              ...step,
              logs: (step.logs ?? []).slice(-AGENT_LOG_LINES_PER_STEP),
            })),
          },
        },
      };
    },
  });
}
