import {
  ActionStatus,
  ActionType,
  ActionVisibility,
  AppliesTo,
  JsonObject,
} from '@internal/plugin-self-service-actions-common';

/** How a webhook action calls the external system. Header values are secret. */
export interface WebhookMethod {
  type: 'Webhook';
  url: string;
  queryParameters: Record<string, string>;
  headers: Record<string, string>;
  payload?: JsonObject;
  reportTokenKey: string;
  timeoutMs: number;
  /** Standard Webhooks signing secrets (the action's, else the global ones); empty: unsigned. */
  signingSecrets: string[];
}

/** A validated action definition, as read from config. */
export interface ActionDefinition {
  id: string;
  name: string;
  type: ActionType;
  icon: string;
  status: ActionStatus;
  description?: string;
  /** Normalised user or group ref. */
  owner: string;
  visibility: ActionVisibility;
  /** Normalised refs. */
  resultsVisibleTo: string[];
  /** Normalised refs, or '*'. */
  allowedPeople: string[];
  allowEntityOwners: boolean;
  /** Absent for a global action. */
  appliesTo?: AppliesTo[];
  /** JSON Schema of the inputs; unknown keys refused unless the schema says otherwise. */
  userInputs: JsonObject;
  uiSchema?: JsonObject;
  /** Top-level input names that are never stored. */
  secretInputs: string[];
  method: WebhookMethod;
}
