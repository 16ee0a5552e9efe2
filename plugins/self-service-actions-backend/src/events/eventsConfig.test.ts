import { ConfigReader } from '@backstage/config';
import { readEventsSettings, signingKey } from './eventsConfig';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const read = (events: object) => readEventsSettings(new ConfigReader({ selfServiceActions: { events } }));
const subscriber = (overrides: object = {}) => ({
  id: 'audit-sink',
  url: 'https://hooks.example.com/ssa',
  signingSecret: SECRET,
  ...overrides,
});

describe('readEventsSettings', () => {
  it('has defaults: no subscriber, no events service, 30 s, 5 s doubling for 24 h', () => {
    expect(readEventsSettings(new ConfigReader({}))).toEqual({
      subscribers: [],
      eventsService: false,
      timeoutMs: 30_000,
      retryForMs: 86_400_000,
      retryDelayMs: 5_000,
      pollIntervalMs: 1_000,
      deliveredRetentionMs: 7 * 86_400_000,
      failedRetentionMs: 30 * 86_400_000,
    });
  });

  it('reads subscribers with their filters', () => {
    const settings = read({
      eventsService: true,
      timeout: { seconds: 5 },
      subscribers: [subscriber({ types: ['run.created'], actions: ['restart-service'] })],
    });
    expect(settings).toMatchObject({
      eventsService: true,
      timeoutMs: 5000,
      subscribers: [{ id: 'audit-sink', types: ['run.created'], actions: ['restart-service'] }],
    });
  });

  it.each([
    [{ id: undefined }, 'subscribers[0].id must be 1-64 characters of a-z, 0-9 and -'],
    [{ id: 'Audit Sink' }, 'subscribers[0] (Audit Sink).id must be 1-64 characters'],
    [{ id: 'events-service' }, 'subscribers[0] (events-service).id must not be events-service'],
    [{ url: undefined }, 'subscribers[0] (audit-sink).url is required'],
    [{ url: 'hooks.example.com' }, 'subscribers[0] (audit-sink).url must be an absolute URL'],
    [{ url: 'ftp://hooks.example.com' }, 'subscribers[0] (audit-sink).url must be http or https'],
    [{ signingSecret: undefined }, 'subscribers[0] (audit-sink).signingSecret is required'],
    [{ signingSecret: 'short' }, 'subscribers[0] (audit-sink).signingSecret must be at least 24 bytes'],
    [{ signingSecret: 'whsec_c2hvcnQ=' }, 'subscribers[0] (audit-sink).signingSecret must be at least 24 bytes'],
    [{ types: ['run.done'] }, 'subscribers[0] (audit-sink).types has "run.done", which is not one of'],
    [{ types: [] }, 'subscribers[0] (audit-sink).types must not be empty'],
    [{ actions: [] }, 'subscribers[0] (audit-sink).actions must not be empty'],
  ])('refuses %j at start-up, naming the subscriber and field', (overrides, message) => {
    expect(() => read({ subscribers: [subscriber(overrides)] })).toThrow(
      `selfServiceActions.events.${message}`,
    );
  });

  it('refuses two subscribers with one id, and durations that are not positive', () => {
    expect(() => read({ subscribers: [subscriber(), subscriber()] })).toThrow(
      'selfServiceActions.events.subscribers[1] (audit-sink).id is used by another subscriber',
    );
    expect(() => read({ timeout: { seconds: 0 } })).toThrow('selfServiceActions.events.timeout must be a positive duration');
  });

  it('uses a whsec_ secret as the bytes it encodes and any other as its own', () => {
    expect(signingKey(SECRET)).toBe(SECRET);
    expect(Buffer.from(signingKey('a plain secret of many bytes ü'), 'base64').toString('utf8')).toBe(
      'a plain secret of many bytes ü',
    );
  });
});
