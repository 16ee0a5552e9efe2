import { Entity } from '@backstage/catalog-model';
import { AppliesTo } from '@self-service-actions/plugin-self-service-actions-common';
import { ActionDefinition } from './types';

const same = (a?: string, b?: string) =>
  (a ?? '').toLocaleLowerCase('en-US') === (b ?? '').toLocaleLowerCase('en-US');

function matches(target: AppliesTo, entity: Entity): boolean {
  const type = typeof entity.spec?.type === 'string' ? entity.spec.type : undefined;
  switch (target) {
    case 'Application':
      return same(entity.kind, 'System');
    case 'Service':
      return same(entity.kind, 'Component') && same(type, 'service');
    case 'Resource':
      return same(entity.kind, 'Resource');
    default:
      return same(entity.kind, target.kind) && (!target.type || same(type, target.type));
  }
}

/** True when the action may run against this entity (global actions apply to none). */
export function appliesToEntity(action: ActionDefinition, entity: Entity): boolean {
  return !!action.appliesTo?.some(target => matches(target, entity));
}
