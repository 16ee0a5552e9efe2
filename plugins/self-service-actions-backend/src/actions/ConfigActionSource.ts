import { Config } from '@backstage/config';
import { ActionDefinition, ActionSource } from './types';
import { readActions, ReadActionsOptions } from './readActions';

/** The actions of `selfServiceActions.actions`, read and validated once at start-up. */
export class ConfigActionSource implements ActionSource {
  private readonly actions: Map<string, ActionDefinition>;

  /** Throws, naming the action and the field, when a definition is invalid. */
  static fromConfig(config: Config, options: ReadActionsOptions): ConfigActionSource {
    return new ConfigActionSource(readActions(config, options));
  }

  constructor(actions: ActionDefinition[]) {
    this.actions = new Map(actions.map(action => [action.id, action]));
  }

  async list(): Promise<ActionDefinition[]> {
    return [...this.actions.values()];
  }

  async get(id: string): Promise<ActionDefinition | undefined> {
    return this.actions.get(id);
  }
}
