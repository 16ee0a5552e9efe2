import {
  JsonObject,
  PublicActionDefinition,
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

/**
 * A validated action definition, as read from config: the public definition plus who may
 * run and watch it, and how it is called (header values and secrets stay on the backend).
 */
export interface ActionDefinition extends Omit<PublicActionDefinition, 'method'> {
  /** Normalised refs. */
  resultsVisibleTo: string[];
  /** Normalised refs, or '*'. */
  allowedPeople: string[];
  allowEntityOwners: boolean;
  /** Top-level input names that are never stored. */
  secretInputs: string[];
  method: WebhookMethod;
}
