import { parseEntityRef } from '@backstage/catalog-model';
import {
  isFinalStatus,
  isJsonObject,
  JsonObject,
  maskSecretInputs,
  Run,
  RunStep,
} from '@self-service-actions/plugin-self-service-actions-common';

/** A run's error in plain words, with the raw reason kept for whoever debugs it. */
export interface ExplainedError {
  summary: string;
  reason: string;
}

/**
 * What went wrong, said plainly. The backend's reasons name the method ("Webhook answered 500:
 * …", "GitHub answered 422: …", "Webhook did not answer within 10s", "Webhook request failed:
 * …"); a user wants to know that the automation refused or was not reached, and whether
 * anything ran.
 */
export function explainRunError(run: Pick<Run, 'error' | 'steps'>): ExplainedError | undefined {
  const { error } = run;
  if (!error) return undefined;
  const nothingRan = run.steps.length === 0 ? '; no steps ran.' : '.';
  const refused = /^.+? answered (\d{3})\b/.exec(error);
  if (refused) {
    return { summary: `The automation refused the run (HTTP ${refused[1]})${nothingRan}`, reason: error };
  }
  if (/did not answer within/.test(error)) {
    return { summary: `The automation did not answer in time${nothingRan}`, reason: error };
  }
  if (/request failed/i.test(error)) {
    return { summary: `The automation could not be reached${nothingRan}`, reason: error };
  }
  return { summary: `The run failed${nothingRan}`, reason: error };
}

/**
 * A message that names who did something by entity ref ("Cancelled by user:default/jane",
 * "Rejected by user:default/olivia: too risky"), split so the ref can be shown by display name.
 */
export function messageByWhom(message: string): { text: string; by: string; rest: string } | undefined {
  const match = /^(.*? by) ([a-z][\w-]*:[\w.-]+\/[\w.-]+)(.*)$/is.exec(message);
  if (!match) return undefined;
  try {
    parseEntityRef(match[2]);
  } catch {
    return undefined;
  }
  return { text: match[1], by: match[2], rest: match[3] };
}

/** A step still open in a run that ended: it never finished (older runs were left so). */
export function isUnfinishedStep(step: RunStep, run: Pick<Run, 'status'>): boolean {
  return isFinalStatus(run.status) && !isFinalStatus(step.status);
}

/** One input of a run as shown: by the form's title, secret values hidden. */
export interface InputRow {
  name: string;
  title: string;
  value: string;
}

/** The value a secret input shows; the API never returns secret values anyway. */
export const SECRET_MASK = '***';

/**
 * A run's inputs by the titles of the action's form (the key when the schema has none), in the
 * form's order; an input the schema marks secret (`secret: true`, or the uiSchema's password
 * widget) shows {@link SECRET_MASK}, and so does a secret nested in an input's value (a
 * password in an object, the tokens of a list).
 */
export function inputRows(inputs: JsonObject, schema?: JsonObject, uiSchema?: JsonObject): InputRow[] {
  const properties = schema && isJsonObject(schema.properties) ? schema.properties : {};
  const order = Object.keys(properties);
  const position = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return Object.entries(inputs)
    .sort(([a], [b]) => position(a) - position(b))
    .map(([name, value]) => {
      const property = isJsonObject(properties[name]) ? (properties[name] as JsonObject) : {};
      const ui = uiSchema && isJsonObject(uiSchema[name]) ? (uiSchema[name] as JsonObject) : {};
      const secret = property.secret === true || ui['ui:widget'] === 'password';
      const title = typeof property.title === 'string' && property.title ? property.title : name;
      const masked = schema ? maskSecretInputs(schema, { [name]: value }, SECRET_MASK)[name] : value;
      let shown = JSON.stringify(masked);
      if (secret) shown = SECRET_MASK;
      else if (typeof masked === 'string') shown = masked;
      return { name, title, value: shown };
    });
}

/**
 * The step to show when the user has picked none: the first failed one (what went wrong),
 * else the one running now (the last one in progress), else the last one.
 */
export function autoSelectedStep(steps: RunStep[]): string | undefined {
  const failed = steps.find(step => step.status === 'failed');
  const running = [...steps].reverse().find(step => step.status === 'inprogress');
  return (failed ?? running ?? steps[steps.length - 1])?.title;
}

/** "payments" from "component:default/payments": what a user calls the target. */
export function entityName(entityRef: string | null | undefined): string | undefined {
  if (!entityRef) return undefined;
  try {
    return parseEntityRef(entityRef).name;
  } catch {
    return undefined;
  }
}

/** What a run's steps section says when there are none. */
export function noStepsText(run: Pick<Run, 'status' | 'approval'>): string {
  if (run.status === 'pending-approval' && run.approval) return 'Nothing is sent before the approvals are in.';
  if (run.status === 'inprogress') return 'No steps reported yet.';
  return 'No steps were reported.';
}
