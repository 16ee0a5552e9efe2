import { fieldOf, fromDefinition, newDefinitionForm, toDefinition } from './definitionForm';
import { managedDefinition } from '../testing/fakeApi';

describe('definitionForm', () => {
  it('gives back the definition it was made from, keys it has no field for included', () => {
    const withTargets = { ...managedDefinition, appliesTo: ['Service', { kind: 'Template' }], agents: { allowed: false } };
    expect(toDefinition(fromDefinition(withTargets))).toEqual({ definition: withTargets, problems: [] });
  });

  it('reads one target written without a list, and keeps configure8-style input lists', () => {
    const single = { ...managedDefinition, appliesTo: 'Service', userInputs: [{ type: 'text', title: 'Reason', payloadName: 'reason' }] };
    const form = fromDefinition(single);
    expect(form.appliesTo).toEqual(['Service']);
    expect(toDefinition(form).definition).toMatchObject({ appliesTo: ['Service'], userInputs: single.userInputs });
  });

  it('keeps a webhook signing secret in its field, and a list of them as written', () => {
    const signed = { ...managedDefinition, method: { type: 'Webhook', url: 'https://h/x', signingSecret: '{{ secrets.S }}' } };
    expect(fromDefinition(signed).signingSecret).toBe('{{ secrets.S }}');
    expect(toDefinition(fromDefinition(signed)).definition?.method).toEqual(signed.method);
    const rotating = { ...managedDefinition, method: { type: 'Webhook', url: 'https://h/x', signingSecret: ['{{ secrets.A }}', '{{ secrets.B }}'] } };
    expect(fromDefinition(rotating).signingSecret).toBe('');
    expect(toDefinition(fromDefinition(rotating)).definition?.method).toEqual(rotating.method);
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
    expect(fieldOf('method.signingSecret', 'Webhook')).toBe('signingSecret');
    expect(fieldOf('method.timeout', 'Webhook')).toBeUndefined();
    expect(fieldOf('method.workflow', 'GitHubWorkflow')).toBe('methodSettings');
    expect(fieldOf('userInputs', 'Webhook')).toBe('userInputs');
    expect(fieldOf('approval.required', 'Webhook')).toBeUndefined();
  });
});
