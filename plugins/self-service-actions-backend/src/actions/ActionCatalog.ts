import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  ActionListItem,
  JsonObject,
  PublicActionDefinition,
} from '@self-service-actions/plugin-self-service-actions-common';
import Ajv, { ValidateFunction } from 'ajv';
import { CallerAccess, AccessPolicy, RequestContext } from '../access/AccessPolicy';
import { InvokerRegistry } from '../invokers/InvokerRegistry';
import { appliesToEntity } from './appliesTo';
import { entityOwners, EntityReader } from './entities';
import { compileInputSchema, createAjv, inputErrorWithFields, toFieldErrors } from './inputValidation';
import { ActionDefinition, ActionSource } from './types';

/** An action a caller may run now, on its target entity. */
export interface RunnableAction {
  action: ActionDefinition;
  entity?: Entity;
  /** The owners of the target entity. */
  entityOwners?: string[];
  access: CallerAccess;
}

/**
 * The actions as callers see them: which exist (from the source), which a caller may see and
 * run, their public definitions, and whether inputs fit an action's schema.
 */
export class ActionCatalog {
  /**
   * By definition, not id: an API action's next version is another object. API actions compile
   * with their own ajv (a schema `$id` one version used would make a shared one refuse the next).
   */
  private readonly inputValidators = new WeakMap<ActionDefinition, ValidateFunction>();

  constructor(
    private readonly options: {
      source: ActionSource;
      access: AccessPolicy;
      entities: EntityReader;
      invokers: InvokerRegistry;
      ajv: Ajv;
    },
  ) {}

  /** Every action, visible or not (for background work and permission resources). */
  all(): Promise<ActionDefinition[]> {
    return this.options.source.list();
  }

  /** Whether the definition a run was started from is still the action's (owner-managed ones can change). */
  async isCurrent(action: ActionDefinition): Promise<boolean> {
    return (await this.options.source.isCurrent?.(action)) ?? true;
  }

  /** An action by id, visible or not. */
  find(id: string): Promise<ActionDefinition | undefined> {
    return this.options.source.get(id);
  }

  /** The actions the caller may see, those applying to the entity when one is named. */
  async list(ctx: RequestContext, entityRef?: string): Promise<ActionListItem[]> {
    const { entities, access, source } = this.options;
    const entity = entityRef ? await entities.find(ctx, entityRef) : undefined;
    const owners = entityOwners(entity);
    const caller = await access.forRequest(ctx);
    return (await source.list())
      .filter(action => caller.canSeeAction(action, owners))
      .filter(action => !entity || appliesToEntity(action, entity))
      .map(action => {
        const decision = caller.canRunAction(action, owners);
        return {
          ...this.publicDefinition(action, caller),
          canRun: decision.allowed,
          ...(decision.allowed ? {} : { reason: decision.reason }),
        };
      });
  }

  /** One action's public definition; NotFoundError when the caller may not see it. */
  async get(ctx: RequestContext, id: string): Promise<PublicActionDefinition> {
    const action = await this.options.source.get(id);
    const caller = await this.options.access.forRequest(ctx);
    if (!action || !caller.canSeeAction(action)) {
      throw new NotFoundError(`Action ${id} not found`);
    }
    return this.publicDefinition(action, caller);
  }

  /**
   * The action the caller wants to run on the entity, checked in the order of the contract:
   * unknown entity or invisible action 404, not allowed 403, Draft 409, wrong target 400.
   */
  async findRunnable(
    ctx: RequestContext,
    actionId: string,
    entityRef?: string,
    /**
     * For a test-fire or a preview: the caller must manage the action (else 403 with this
     * reason), and a Draft is allowed (its owners try it before activating it).
     */
    managersOnly?: string,
  ): Promise<RunnableAction> {
    const { entities, access, source } = this.options;
    const entity = entityRef ? await entities.find(ctx, entityRef) : undefined;
    const owners = entityOwners(entity);
    const caller = await access.forRequest(ctx);
    const action = await source.get(actionId);
    if (!action || !caller.canSeeAction(action, owners)) {
      throw new NotFoundError(`Action ${actionId} not found`);
    }
    if (managersOnly !== undefined) {
      if (!caller.manages(action)) {
        throw new NotAllowedError(managersOnly);
      }
      // A test-fire is a run: a policy's DENY of run wins here too.
      if (!caller.policyAllowsRun(action)) {
        throw new NotAllowedError('The permission policy does not allow you to run this action');
      }
    } else {
      const decision = caller.canRunAction(action, owners);
      if (action.status === 'Draft') {
        throw new ConflictError(`Action ${actionId} is a Draft and cannot be run`);
      }
      if (!decision.allowed) {
        throw new NotAllowedError(decision.reason);
      }
    }
    if (action.appliesTo && !entity) {
      throw new InputError(`Action ${actionId} must be run on an entity (entityRef is required)`);
    }
    if (!action.appliesTo && entity) {
      throw new InputError(`Action ${actionId} is a global action and takes no entity`);
    }
    if (entity && !appliesToEntity(action, entity)) {
      throw new InputError(
        `Action ${actionId} does not apply to ${stringifyEntityRef(entity)} (kind ${entity.kind})`,
      );
    }
    return { action, entity, entityOwners: owners, access: caller };
  }

  /** The inputs with defaults applied; InputError with `fieldErrors` when they do not fit. */
  validateInputs(action: ActionDefinition, inputs: JsonObject): JsonObject {
    let validate = this.inputValidators.get(action);
    if (!validate) {
      const ajv = action.source === 'api' ? createAjv() : this.options.ajv;
      validate = compileInputSchema(ajv, action.userInputs);
      this.inputValidators.set(action, validate);
    }
    const copy = structuredClone(inputs);
    if (!validate(copy)) {
      throw inputErrorWithFields(
        'Invalid inputs',
        toFieldErrors(validate.errors).map(error => ({
          ...error,
          path: error.path ? `inputs.${error.path}` : 'inputs',
        })),
      );
    }
    return copy;
  }

  /**
   * The definition without header values or secrets; where the method sends (its URL) only
   * for those who manage the action. With no caller (a run's snapshot), never the URL.
   */
  publicDefinition(action: ActionDefinition, caller?: CallerAccess): PublicActionDefinition {
    const invoker = this.options.invokers.get(action.method);
    const where = caller?.manages(action) ? invoker.describe?.(action.method) : undefined;
    return {
      id: action.id,
      name: action.name,
      type: action.type,
      icon: action.icon,
      status: action.status,
      ...(action.description ? { description: action.description } : {}),
      owner: action.owner,
      visibility: action.visibility,
      ...(action.appliesTo ? { appliesTo: action.appliesTo } : {}),
      userInputs: action.userInputs,
      ...(action.uiSchema ? { uiSchema: action.uiSchema } : {}),
      method: { type: action.method.type, ...where },
      source: action.source,
      version: action.version,
      ...(action.createdBy ? { createdBy: action.createdBy } : {}),
      ...(action.updatedAt ? { updatedAt: action.updatedAt } : {}),
    };
  }
}
