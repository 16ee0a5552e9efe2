import { PublicActionDefinition } from '@self-service-actions/plugin-self-service-actions-common';
import { InvokerMethod } from '@self-service-actions/plugin-self-service-actions-node';

/** Who must approve a run of the action before anything is sent. */
export interface ActionApproval {
  /** Normalised user and group refs who may decide (admins may too). */
  approvers: string[];
  /** Distinct approvals needed. */
  required: number;
  /** Whether the initiator may decide on their own run. */
  allowSelfApproval: boolean;
  /** How long a run may wait; then it is rejected ("approval expired"). */
  expiresAfterMs: number;
}

/**
 * A validated action definition: the public definition plus who may run and watch it, and how
 * it is invoked (the method as its invoker validated it; header values and secrets stay on the
 * backend).
 */
export interface ActionDefinition extends Omit<PublicActionDefinition, 'method'> {
  /** Normalised refs. */
  resultsVisibleTo: string[];
  /** Normalised refs, or '*'. */
  allowedPeople: string[];
  allowEntityOwners: boolean;
  /**
   * Where the input schema marks values secret, at any depth (`apiKey`, `db.password`,
   * `servers[].token`): never stored or returned. Empty when nothing is secret.
   */
  secretPaths: string[];
  /** Absent when runs need no approval. */
  approval?: ActionApproval;
  /** Whether agents may start runs through the actions registry (`agents.allowed`). */
  agentsAllowed: boolean;
  method: InvokerMethod;
  /** Where the definition lives; `api`: an owner-managed action (DESIGN §12). */
  source: 'config' | 'api';
  /** 1 for app-config actions; counted up by every change of an API action. */
  version: number;
  /** API actions: who created it. */
  createdBy?: string;
  /** API actions: when it last changed (ISO 8601). */
  updatedAt?: string;
  /**
   * Owner-managed actions (unless `managedActions.allowPrivateNetworks`): the method may only
   * connect to public addresses (InvocationContext.publicAddressesOnly).
   */
  publicAddressesOnly?: boolean;
  /**
   * Owner-managed actions: the values of the config secrets they name. Scrubbed from whatever
   * a receiver answers, also where it echoes a secret without the rest of its header.
   */
  referencedSecrets?: string[];
  /** Owner-managed actions: which saved definition this is (version and creation time). */
  stamp?: string;
}

/**
 * Where action definitions come from: app-config today, the plugin's database for
 * owner-managed actions. Every definition it answers is already validated.
 */
export interface ActionSource {
  /** Every action, visible or not. */
  list(): Promise<ActionDefinition[]>;
  get(id: string): Promise<ActionDefinition | undefined>;
  /**
   * Whether `action` (as `get` gave it) is still the stored definition, seen after a run of it
   * was stored. Absent: definitions do not change while the backend runs (app-config).
   */
  isCurrent?(action: ActionDefinition): Promise<boolean>;
}
