import { fieldOf, fromDefinition, newDefinitionForm, toDefinition } from './definitionForm';
import { managedDefinition } from '../testing/fakeApi';

describe('definitionForm', () => {
  it('gives back the definition it was made from, keys it has no field for included', () => {
    const withTargets = { ...managedDefinition, appliesTo: ['Service', { kind: 'Template' }], agents: { allowed: false } };
    expect(toDefinition(fromDefinition(withTargets))).toEqual({ definition: withTargets, problems: [] });
  });

  it('keeps a non-webhook method as its JSON settings', () => {
    const github = { ...managedDefinition, method: { type: 'GitHubWorkflow', owner: 'acme', repo: 'ops', workflow: 'w.yml', ref: 'main' } };
    const form = fromDefinition(github);
    expect(JSON.parse(form.methodSettings)).toEqual({ owner: 'acme', repo: 'ops', workflow: 'w.yml', ref: 'main' });
    expect(toDefinition(form).definition?.method).toEqual(github.method);
  });

  it('names each JSON field that does not parse, or is not an object', () => {
    const form = { ...newDefinitionForm('user:default/jane'), userInputs: '{ nope', headers: '[1]' };
    const { definition, problems } = toDefinition(form);
    expect(definition).toBeUndefined();
    expect(problems.map(p => [p.field, p.path])).toEqual([
      ['userInputs', 'userInputs'],
      ['headers', 'method.headers'],
    ]);
    expect(problems[1].message).toBe('must be a JSON object');
  });

  it('splits people lists on commas and lines, and leaves empty fields out', () => {
    const form = { ...newDefinitionForm('user:default/jane'), name: ' Flush ', allowedPeople: 'group:a,\n user:b ,', appliesTo: [] };
    expect(toDefinition(form).definition).toEqual({
      name: 'Flush',
      type: 'Day2',
      icon: 'build',
      status: 'Draft',
      owner: 'user:default/jane',
      allowedPeople: ['group:a', 'user:b'],
      userInputs: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', title: 'Reason' } } },
      method: { type: 'Webhook', url: 'https://' },
    });
  });

  it('places server paths on fields', () => {
    expect(fieldOf('method.headers.Authorization', 'Webhook')).toBe('headers');
    expect(fieldOf('method.url', 'Webhook')).toBe('url');
    expect(fieldOf('method.signingSecret', 'Webhook')).toBeUndefined();
    expect(fieldOf('method.workflow', 'GitHubWorkflow')).toBe('methodSettings');
    expect(fieldOf('userInputs', 'Webhook')).toBe('userInputs');
    expect(fieldOf('approval.required', 'Webhook')).toBeUndefined();
  });
});
