import { readConfiguredActions, sampleActionConfig } from '../testing/sampleAction';
import { WebhookMethod } from '../invokers/webhook/webhookMethod';

const valid = sampleActionConfig;

function read(actions: unknown[], extra: object = {}) {
  return readConfiguredActions({ actions, ...extra });
}

describe('readActions', () => {
  it('reads a valid action with defaults and normalised refs', () => {
    const [action] = read([
      { ...valid, owner: 'platform', allowedPeople: ['user:jane', '*'], method: { ...valid.method, timeout: { seconds: 2 } } },
    ], { defaultVisibility: 'private', webhook: { timeout: '5s' } });
    expect(action).toMatchObject({
      owner: 'group:default/platform',
      visibility: 'private',
      allowedPeople: ['user:default/jane', '*'],
      allowEntityOwners: false,
      resultsVisibleTo: [],
      secretPaths: [],
      method: { reportTokenKey: 'reportToken', timeoutMs: 2000, headers: {}, queryParameters: {} },
    });
    expect(read([valid], { webhook: { timeout: { seconds: 5 } } })[0].method.timeoutMs).toBe(5000);
    expect(read([valid])[0].method.timeoutMs).toBe(10000);
  });

  it('finds secret inputs and converts configure8 lists', () => {
    const [action] = read([
      {
        ...valid,
        userInputs: [
          { type: 'select', title: 'Region', options: ['eu', { label: 'US', value: 'us' }] },
          { type: 'secret', title: 'API key', payloadName: 'apiKey', required: false },
          { type: 'textarea', title: 'Why now', helpText: 'Tell us' },
          { type: 'multiselect', title: 'Zones', options: ['a', 'b'] },
        ],
      },
    ]);
    expect(action.secretPaths).toEqual(['apiKey']);
    expect(action.userInputs).toEqual({
      type: 'object',
      required: ['region', 'whyNow', 'zones'],
      properties: {
        region: { enum: ['eu', 'us'], title: 'Region' },
        apiKey: { type: 'string', secret: true, title: 'API key' },
        whyNow: { type: 'string', title: 'Why now', description: 'Tell us' },
        zones: { type: 'array', uniqueItems: true, items: { enum: ['a', 'b'] }, title: 'Zones' },
      },
    });
    expect(action.uiSchema).toEqual({
      apiKey: { 'ui:widget': 'password' },
      whyNow: { 'ui:widget': 'textarea' },
    });
  });

  it.each([
    [{ ...valid, type: 'Reboot' }, 'restart-service', 'type'],
    [{ ...valid, owner: undefined }, 'restart-service', 'owner'],
    [{ ...valid, owner: 'component:default/x' }, 'restart-service', 'owner'],
    [{ ...valid, name: '' }, 'restart-service', 'name'],
    [{ ...valid, icon: 'http://insecure/icon.png' }, 'restart-service', 'icon'],
    [{ ...valid, status: 'Live' }, 'restart-service', 'status'],
    [{ ...valid, id: 'Restart Service' }, 'Restart Service', 'id'],
    [{ ...valid, id: undefined }, '#0', 'id'],
    [{ ...valid, visibility: 'secret' }, 'restart-service', 'visibility'],
    [{ ...valid, allowedPeople: 'everyone' }, 'restart-service', 'allowedPeople'],
    [{ ...valid, resultsVisibleTo: ['*'] }, 'restart-service', 'resultsVisibleTo'],
    [{ ...valid, appliesTo: ['Database'] }, 'restart-service', 'appliesTo'],
    [{ ...valid, userInputs: { type: 'object', properties: { a: { type: 'strng' } } } }, 'restart-service', 'userInputs'],
    [{ ...valid, userInputs: { type: 'string' } }, 'restart-service', 'userInputs'],
    [{ ...valid, userInputs: { type: 'object', properties: { reportToken: { type: 'string' } } } }, 'restart-service', 'userInputs'],
    [{ ...valid, userInputs: [{ type: 'colour', title: 'X' }] }, 'restart-service', 'userInputs'],
    [{ ...valid, method: undefined }, 'restart-service', 'method'],
    [{ ...valid, method: { ...valid.method, type: 'Lambda' } }, 'restart-service', 'method.type'],
    [{ ...valid, method: { ...valid.method, httpMethod: 'GET' } }, 'restart-service', 'method.httpMethod'],
    [{ ...valid, method: { ...valid.method, url: 'ftp://x' } }, 'restart-service', 'method.url'],
    [{ ...valid, method: { ...valid.method, url: 'https://{{ inputs.host }}/x' } }, 'restart-service', 'method.url'],
    [{ ...valid, method: { ...valid.method, url: 'https://h:{{ port }}/x' } }, 'restart-service', 'method.url'],
    [{ ...valid, method: { ...valid.method, headers: { 'Bad Header': 'x' } } }, 'restart-service', 'method.headers'],
    [{ ...valid, method: { ...valid.method, payload: ['x'] } }, 'restart-service', 'method.payload'],
    [{ ...valid, method: { ...valid.method, timeout: 'soon' } }, 'restart-service', 'method.timeout'],
    [{ ...valid, method: { ...valid.method, completion: 'reply' } }, 'restart-service', 'method.completion'],
    [{ ...valid, method: { ...valid.method, completion: 'response', payload: { t: '{{ reportToken }}' } } }, 'restart-service', 'method.completion'],
    [{ ...valid, method: { ...valid.method, completion: 'response', headers: { 'x-t': '{{ c8ReportToken }}' } } }, 'restart-service', 'method.completion'],
    [{ ...valid, method: { ...valid.method, completion: 'response', queryParameters: { back: '{{ run.reportUrl }}' } } }, 'restart-service', 'method.completion'],
    [{ ...valid, method: { ...valid.method, completion: 'response', reportTokenKey: 'token' } }, 'restart-service', 'method.reportTokenKey'],
  ])('refuses %j naming action %s and field %s', (action, id, field) => {
    expect(() => read([action])).toThrow(
      `Invalid self-service action "${id}": selfServiceActions.actions field "${field}"`,
    );
  });

  it('checks webhook hosts against allowedHosts', () => {
    const allowedHosts = ['hooks.example.com', '*.internal.example.com'];
    expect(read([valid], { webhook: { allowedHosts } })).toHaveLength(1);
    expect(
      read([{ ...valid, method: { ...valid.method, url: 'https://ci.internal.example.com/x' } }], { webhook: { allowedHosts } }),
    ).toHaveLength(1);
    for (const url of ['https://evil.example.com/x', 'https://internal.example.com/x', 'https://hooks.example.com.evil.net/x']) {
      expect(() => read([{ ...valid, method: { ...valid.method, url } }], { webhook: { allowedHosts } })).toThrow(
        'field "method.url" points at a host not in selfServiceActions.webhook.allowedHosts',
      );
    }
  });

  it('checks signing secrets, globally and per action', () => {
    const good = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect((read([valid], { webhook: { signingSecret: good } })[0].method as WebhookMethod).signingSecrets).toEqual([good]);
    expect(
      (read([{ ...valid, method: { ...valid.method, signingSecret: [good, good] } }])[0].method as WebhookMethod).signingSecrets,
    ).toEqual([good, good]);
    expect(() => read([valid], { webhook: { signingSecret: 'short' } })).toThrow(
      'selfServiceActions.webhook.signingSecret must be at least 24 bytes',
    );
    expect(() => read([{ ...valid, method: { ...valid.method, signingSecret: 'not base64!' } }])).toThrow(
      'field "method.signingSecret" must be base64',
    );
  });

  it('refuses duplicate ids', () => {
    expect(() => read([valid, { ...valid, name: 'Other' }])).toThrow(
      'Invalid self-service action "restart-service": selfServiceActions.actions field "id" is used by more than one action',
    );
  });
});
