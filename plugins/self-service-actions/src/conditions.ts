import { Entity } from '@backstage/catalog-model';

/**
 * True for the entities actions usually apply to (`appliesTo` shorthands): Systems,
 * Components of type service and Resources. Use it in an `EntitySwitch.Case`.
 */
export function isSelfServiceActionsAvailable(entity: Entity): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  const type = String(entity.spec?.type ?? '').toLocaleLowerCase('en-US');
  return kind === 'system' || kind === 'resource' || (kind === 'component' && type === 'service');
}
