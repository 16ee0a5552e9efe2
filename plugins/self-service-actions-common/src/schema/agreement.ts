/*
 * Compile-time agreement between the hand-written types of ../types.ts and the schemas of the
 * HTTP contract (openapi.yaml, through openapi.generated.ts). Not exported from the package: it
 * only has to compile, and stops compiling (naming the type) when the two drift apart.
 */
import type {
  ActionDefinitionDocument,
  ActionListItem,
  ActionStatus,
  ActionType,
  ActionVisibility,
  AppliesTo,
  CreateRunRequest,
  PublicActionDefinition,
  Run,
  RunLink,
  RunApproval,
  RunDecision,
  RunList,
  RunStatus,
  RunStep,
  StatusReport,
} from '../types';
import type {
  CallerInfo,
  EventDelivery,
  EventDeliveryList,
  EventDeliveryStatus,
  EventType,
  RunPreview,
} from '../events';
import type { components } from './openapi.generated';

type Schemas = components['schemas'];

/** Compiles only when T is assignable to U; the error says which field is not. */
type Assert<T extends U, U> = T;
/** True when both have the same fields: an optional field only one side has is otherwise missed. */
type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
type Expect<T extends true> = T;

type ReportStep = NonNullable<StatusReport['steps']>[number];
type AppliesToObject = Exclude<AppliesTo, string>;
type SchemaAppliesToObject = Exclude<Schemas['AppliesTo'], string>;

/** Each pair both ways, and with the same fields. */
export type Agreement = [
  Assert<RunPreview, Schemas['RunPreview']>,
  Assert<Schemas['RunPreview'], RunPreview>,
  Assert<CallerInfo, Schemas['CallerInfo']>,
  Assert<Schemas['CallerInfo'], CallerInfo>,
  Assert<EventType, Schemas['EventType']>,
  Assert<Schemas['EventType'], EventType>,
  Assert<EventDeliveryStatus, Schemas['EventDeliveryStatus']>,
  Assert<Schemas['EventDeliveryStatus'], EventDeliveryStatus>,
  Assert<EventDelivery, Schemas['EventDelivery']>,
  Assert<Schemas['EventDelivery'], EventDelivery>,
  Expect<SameKeys<EventDelivery, Schemas['EventDelivery']>>,
  Assert<EventDeliveryList, Schemas['EventDeliveryList']>,
  Assert<Schemas['EventDeliveryList'], EventDeliveryList>,
  Assert<RunStatus, Schemas['RunStatus']>,
  Assert<Schemas['RunStatus'], RunStatus>,
  Assert<ActionType, Schemas['ActionType']>,
  Assert<Schemas['ActionType'], ActionType>,
  Assert<ActionStatus, Schemas['ActionStatus']>,
  Assert<Schemas['ActionStatus'], ActionStatus>,
  Assert<ActionVisibility, Schemas['ActionVisibility']>,
  Assert<Schemas['ActionVisibility'], ActionVisibility>,

  Assert<AppliesTo, Schemas['AppliesTo']>,
  Assert<Schemas['AppliesTo'], AppliesTo>,
  Expect<SameKeys<AppliesToObject, SchemaAppliesToObject>>,

  Assert<ActionDefinitionDocument, Schemas['ActionDefinitionDocument']>,
  Assert<Schemas['ActionDefinitionDocument'], ActionDefinitionDocument>,
  Expect<SameKeys<ActionDefinitionDocument, Schemas['ActionDefinitionDocument']>>,
  Assert<PublicActionDefinition, Schemas['PublicActionDefinition']>,
  Assert<Schemas['PublicActionDefinition'], PublicActionDefinition>,
  Expect<SameKeys<PublicActionDefinition, Schemas['PublicActionDefinition']>>,
  Expect<SameKeys<PublicActionDefinition['method'], Schemas['PublicActionDefinition']['method']>>,

  Assert<ActionListItem, Schemas['ActionListItem']>,
  Assert<Schemas['ActionListItem'], ActionListItem>,
  Expect<SameKeys<ActionListItem, Schemas['ActionListItem']>>,
  Expect<SameKeys<ActionListItem['method'], Schemas['ActionListItem']['method']>>,

  Assert<CreateRunRequest, Schemas['CreateRunRequest']>,
  Assert<Schemas['CreateRunRequest'], CreateRunRequest>,
  Expect<SameKeys<CreateRunRequest, Schemas['CreateRunRequest']>>,

  Assert<RunLink, Schemas['Link']>,
  Assert<Schemas['Link'], RunLink>,
  Expect<SameKeys<RunLink, Schemas['Link']>>,

  Assert<RunStep, Schemas['Step']>,
  Assert<Schemas['Step'], RunStep>,
  Expect<SameKeys<RunStep, Schemas['Step']>>,

  Assert<Run, Schemas['Run']>,
  Assert<Schemas['Run'], Run>,
  Expect<SameKeys<Run, Schemas['Run']>>,

  // The spec's RunApproval is nullable: a run's approval is null when it needs none.
  Assert<RunApproval | null, Schemas['RunApproval']>,
  Assert<Schemas['RunApproval'], RunApproval | null>,
  Expect<SameKeys<RunApproval, NonNullable<Schemas['RunApproval']>>>,

  Assert<RunDecision, Schemas['Decision']>,
  Assert<Schemas['Decision'], RunDecision>,
  Expect<SameKeys<RunDecision, Schemas['Decision']>>,

  Assert<RunList, Schemas['RunList']>,
  Assert<Schemas['RunList'], RunList>,
  Expect<SameKeys<RunList, Schemas['RunList']>>,

  Assert<ReportStep, Schemas['ReportStep']>,
  Assert<Schemas['ReportStep'], ReportStep>,
  Expect<SameKeys<ReportStep, Schemas['ReportStep']>>,

  Assert<StatusReport, Schemas['StatusReport']>,
  Assert<Schemas['StatusReport'], StatusReport>,
  Expect<SameKeys<StatusReport, Schemas['StatusReport']>>,
];
