import { ConfigReader } from '@backstage/config';
import { isUrlAllowed, readManagedActionsSettings } from './managedActionsConfig';

const read = (selfServiceActions: object) => readManagedActionsSettings(new ConfigReader({ selfServiceActions }));

describe('readManagedActionsSettings', () => {
  it('is off without allowedUrls, or with an empty list', () => {
    expect(read({}).allowedUrls).toBeUndefined();
    expect(read({ managedActions: { allowedUrls: [] } }).allowedUrls).toBeUndefined();
    expect(read({ managedActions: { allowedUrls: ['https://hooks.example.com/'] } })).toEqual({
      allowedUrls: ['https://hooks.example.com/'],
      allowPrivateNetworks: false,
      secrets: new Map(),
    });
  });

  it('refuses prefixes that are not http(s) URLs, or hold placeholders, naming the entry', () => {
    expect(() => read({ managedActions: { allowedUrls: ['hooks.example.com'] } })).toThrow(
      'selfServiceActions.managedActions.allowedUrls[0] must be an http or https URL prefix, not "hooks.example.com"',
    );
    expect(() => read({ managedActions: { allowedUrls: ['https://a.test/', 'ftp://b.test/'] } })).toThrow(/allowedUrls\[1\]/);
    expect(() => read({ managedActions: { allowedUrls: ['https://a.test/{{ x }}'] } })).toThrow(/allowedUrls\[0\] cannot hold placeholders/);
  });

  it('reads secrets by name, plain or scoped to owners, refusing names a reference could not hold and empty values', () => {
    expect(read({ secrets: { DEPLOY_TOKEN: 'abc' } }).secrets.get('DEPLOY_TOKEN')).toEqual({ value: 'abc' });
    expect(
      read({ secrets: { TEAM_TOKEN: { value: 'xyz', owners: ['team-a', 'user:default/jane'] } } }).secrets.get('TEAM_TOKEN'),
    ).toEqual({ value: 'xyz', owners: ['group:default/team-a', 'user:default/jane'] });
    expect(() => read({ secrets: { TEAM_TOKEN: { value: 'xyz', owners: ['component:default/x'] } } })).toThrow(
      /selfServiceActions.secrets.TEAM_TOKEN.owners: "component:default\/x" is not a user or group ref/,
    );
    expect(() => read({ secrets: { TEAM_TOKEN: { owners: ['team-a'] } } })).toThrow(/TEAM_TOKEN.value/);
    expect(() => read({ secrets: { 'deploy-token': 'abc' } })).toThrow(/selfServiceActions.secrets.deploy-token: a secret's name/);
    expect(() => read({ secrets: { EMPTY: '' } })).toThrow(/selfServiceActions\.secrets\.EMPTY/);
  });
});

describe('isUrlAllowed', () => {
  it('matches prefixes at a path, query or fragment boundary only', () => {
    const allowed = ['https://hooks.example.com', 'https://ci.example.com/hooks/'];
    expect(isUrlAllowed('https://hooks.example.com/restart', allowed)).toBe(true);
    expect(isUrlAllowed('https://hooks.example.com?x=1', allowed)).toBe(true);
    expect(isUrlAllowed('https://hooks.example.com', allowed)).toBe(true);
    expect(isUrlAllowed('https://hooks.example.com.evil.test/x', allowed)).toBe(false);
    expect(isUrlAllowed('https://hooks.example.com@evil.test/x', allowed)).toBe(false);
    expect(isUrlAllowed('https://hooks.example.com:8443/x', allowed)).toBe(false);
    expect(isUrlAllowed('https://ci.example.com/hooks/build', allowed)).toBe(true);
    expect(isUrlAllowed('https://ci.example.com/other', allowed)).toBe(false);
  });
});
