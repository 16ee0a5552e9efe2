import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  ActionDefinitionDocument,
  isJsonObject,
  JsonObject,
  PublicActionDefinition,
} from '@self-service-actions/plugin-self-service-actions-common';
import { AccessPolicy, CallerAccess, RequestContext } from '../access/AccessPolicy';
import { ActionAccess } from '../access/ActionAccess';
import { ManagementDecisions, PermissionGate } from '../access/PermissionGate';
import { normalizePrincipalRef } from '../access/principalRefs';
import { ManagedActionRecord, ManagedActionStore } from '../database/ManagedActionStore';
import { PreconditionFailedError, PreconditionRequiredError } from '../errors';
import { ActionCatalog } from './ActionCatalog';
import { inputErrorWithFields } from './inputValidation';
import { ManagedActionSource } from './ManagedActionSource';
import { ManagedActionsSettings } from './managedActionsConfig';
import { ReadActionsOptions } from './readActions';
import { readManagedAction } from './readManagedAction';
import { ActionDefinition, ActionSource } from './types';

/** Why creating actions is refused when an admin has not said where they may send. */
export const MANAGED_ACTIONS_OFF =
  'Creating actions through the API is off: selfServiceActions.managedActions.allowedUrls is not set';

/** A changed action as the API answers it: its definition as its owners see it. */
export interface SavedAction {
  action: PublicActionDefinition;
  version: number;
}

/** `id` from a name: lower-case letters and digits, single dashes, at most 100 characters. */
export function slugOf(name: string): string {
  return name
    .toLocaleLowerCase('en-US')
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}

/** The version an `If-Match` names (`3`, `"3"`, `W/"3"`); NaN when it names none. */
function versionOf(ifMatch: string): number {
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(ifMatch);
  return match ? Number(match[1]) : NaN;
}

/**
 * Owner-managed actions (DESIGN §12): creating, changing and deleting them through the API,
 * with the rules of the config (owners and admins), the permission policy (a DENY wins) and
 * the safety settings (`managedActions.allowedUrls`, secrets by reference only).
 */
export class ManagedActions {
  constructor(
    private readonly options: {
      store: ManagedActionStore;
      source: ManagedActionSource;
      /** The app-config actions: their ids are taken, and they are changed in config only. */
      configActions: ActionSource;
      catalog: ActionCatalog;
      access: AccessPolicy;
      rules: ActionAccess;
      gate: PermissionGate;
      settings: ManagedActionsSettings;
      readOptions: Omit<ReadActionsOptions, 'ajv'>;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  /** Whether the caller may create actions, and where they may send (for `GET /me`). */
  async creation(ctx: RequestContext): Promise<{ canCreateActions: boolean; allowedUrls: string[] }> {
    if (!this.options.source.enabled) {
      return { canCreateActions: false, allowedUrls: [] };
    }
    const decisions = await this.options.gate.decideManagement(ctx.credentials);
    // Where actions may send is for those who may create them.
    return decisions.mayCreate
      ? { canCreateActions: true, allowedUrls: this.options.settings.allowedUrls ?? [] }
      : { canCreateActions: false, allowedUrls: [] };
  }

  async create(ctx: RequestContext, body: unknown): Promise<SavedAction> {
    if (!this.options.source.enabled) {
      throw new NotAllowedError(MANAGED_ACTIONS_OFF);
    }
    const decisions = await this.options.gate.decideManagement(ctx.credentials);
    if (!decisions.mayCreate) {
      throw new NotAllowedError('The permission policy does not allow you to create actions');
    }
    if (!isJsonObject(body)) {
      throw new InputError('The request body must be a JSON object (an action definition)');
    }
    const definition: JsonObject = { ...body };
    if (definition.id === undefined && typeof definition.name === 'string') {
      definition.id = slugOf(definition.name);
    }
    definition.owner ??= ctx.caller.userRef;
    const now = this.now();
    const action = this.read(definition, { version: 1, createdBy: ctx.caller.userRef, updatedAt: now });
    this.mayOwn(ctx, action.owner);
    if (await this.options.configActions.get(action.id)) {
      throw new ConflictError(`An action with id ${action.id} is defined in app-config`);
    }
    if (await this.options.store.hasRuns(action.id)) {
      throw new ConflictError(
        `Runs of an earlier action with id ${action.id} exist (they stay with it): choose another id`,
      );
    }
    const record = await this.options.store.insert(action.id, definition, ctx.caller.userRef, now);
    return this.saved(ctx, action, record);
  }

  async update(ctx: RequestContext, id: string, ifMatch: string | undefined, body: unknown): Promise<SavedAction> {
    const { record, decisions, current } = await this.managed(ctx, id);
    if (!decisions.mayUpdate(current)) {
      throw new NotAllowedError('The permission policy does not allow you to change this action');
    }
    if (ifMatch === undefined || ifMatch === '') {
      throw new PreconditionRequiredError(
        `Send If-Match with the version you changed (version ${record.version} is current)`,
      );
    }
    const expected = this.expectVersion(record, ifMatch);
    if (!isJsonObject(body)) {
      throw new InputError('The request body must be a JSON object (an action definition)');
    }
    const definition: JsonObject = { ...body, id: body.id ?? id, owner: body.owner ?? record.definition.owner };
    if (definition.id !== id) {
      throw inputErrorWithFields('Invalid action', [{ path: 'id', message: `cannot be changed (it is ${id})` }]);
    }
    const now = this.now();
    const action = this.read(definition, { version: expected + 1, createdBy: record.createdBy, updatedAt: now });
    const storedMethod = isJsonObject(record.definition.method) ? record.definition.method : {};
    if (action.method.type !== storedMethod.type) {
      throw inputErrorWithFields('Invalid action', [
        { path: 'method.type', message: `the method cannot be changed (it is ${storedMethod.type})` },
      ]);
    }
    this.mayOwn(ctx, action.owner);
    const saved = await this.options.store.update(id, expected, definition, ctx.caller.userRef, now);
    return this.saved(ctx, action, saved);
  }

  async delete(ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<void> {
    const { record, decisions, current } = await this.managed(ctx, id);
    if (!decisions.mayDelete(current)) {
      throw new NotAllowedError('The permission policy does not allow you to delete this action');
    }
    const expected = ifMatch ? this.expectVersion(record, ifMatch) : undefined;
    await this.options.store.delete(id, expected);
  }

  /** The definition as saved, for its editor (owners and admins). */
  async definition(ctx: RequestContext, id: string): Promise<ActionDefinitionDocument> {
    const { record } = await this.managed(ctx, id, { withDecisions: false });
    return { id: record.id, version: record.version, definition: record.definition };
  }

  /**
   * The stored action the caller manages, checked in the contract's order: 404 unknown or not
   * visible, 409 defined in app-config, 403 not an owner or admin.
   */
  private async managed(ctx: RequestContext, id: string, options = { withDecisions: true }) {
    const { access, configActions, store, source } = this.options;
    const caller = await access.forRequest(ctx);
    const fromConfig = await configActions.get(id);
    if (fromConfig) {
      if (!caller.canSeeAction(fromConfig)) throw new NotFoundError(`Action ${id} not found`);
      throw new ConflictError(`Action ${id} is defined in app-config; change it there`);
    }
    const record = source.enabled ? await store.get(id) : undefined;
    if (!record) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    const current = (await source.get(id)) ?? this.shellOf(record);
    this.mayManage(caller, current, id);
    const decisions: ManagementDecisions | { mayUpdate(): boolean; mayDelete(): boolean } = options.withDecisions
      ? await this.options.gate.decideManagement(ctx.credentials)
      : { mayUpdate: () => false, mayDelete: () => false };
    return { record, current, decisions };
  }

  private mayManage(caller: CallerAccess, action: ActionDefinition, id: string) {
    if (!caller.canSeeAction(action)) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    if (!caller.manages(action)) {
      throw new NotAllowedError('Only the owners of the action and admins may change it');
    }
  }

  /**
   * What access is judged on for a stored action that no longer reads (see
   * ManagedActionSource): its owner, and nothing that would let anyone else see it.
   */
  private shellOf(record: ManagedActionRecord): ActionDefinition {
    let owner = '';
    try {
      owner = normalizePrincipalRef(String(record.definition.owner));
    } catch {
      // no owner: admins only
    }
    return {
      id: record.id,
      name: String(record.definition.name ?? record.id),
      type: 'Day2',
      icon: 'default',
      status: 'Draft',
      owner,
      visibility: 'private',
      userInputs: { type: 'object' },
      resultsVisibleTo: [],
      allowedPeople: [],
      allowEntityOwners: false,
      secretPaths: [],
      agentsAllowed: false,
      method: { type: 'unknown', timeoutMs: 0 },
      source: 'api',
      version: record.version,
    };
  }

  private read(definition: JsonObject, meta: { version: number; createdBy: string; updatedAt: Date }) {
    return readManagedAction(definition, meta, { ...this.options.readOptions, settings: this.options.settings });
  }

  /** The caller may set `owner` to themselves or a group they are in, unless an admin. */
  private mayOwn(ctx: RequestContext, owner: string) {
    const { rules } = this.options;
    if (!rules.isAdmin(ctx.caller) && !rules.isOwner(ctx.caller, { owner })) {
      throw new NotAllowedError(
        `You may only give an action to yourself or a group you are in, not ${owner}`,
      );
    }
  }

  private expectVersion(record: ManagedActionRecord, ifMatch: string): number {
    const expected = versionOf(ifMatch);
    if (expected !== record.version) {
      throw new PreconditionFailedError(
        `Action ${record.id} is at version ${record.version}, not ${ifMatch}: it changed since you read it`,
      );
    }
    return expected;
  }

  /** The answer to a change: the definition as read before saving it (not parsed again), as stored. */
  private async saved(ctx: RequestContext, action: ActionDefinition, record: ManagedActionRecord): Promise<SavedAction> {
    const caller = await this.options.access.forRequest(ctx);
    const stored = { ...action, version: record.version, createdBy: record.createdBy, updatedAt: record.updatedAt.toISOString() };
    return { action: this.options.catalog.publicDefinition(stored, caller), version: record.version };
  }
}
