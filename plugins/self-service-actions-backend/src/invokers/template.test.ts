import { placesReportToken, renderStringMap, renderTemplate, TemplateContext } from './template';

const context: TemplateContext = {
  reportToken: 'tok',
  run: { id: 'run-1', reportUrl: 'http://backstage/api/self-service-actions/report' },
  inputs: { reason: 'a & b', replicas: 3, flags: ['x', 'y'], optional: null, nested: { deep: true } },
  entity: { kind: 'Component', metadata: { name: 'payments', tags: ['a'] } },
  user: { ref: 'user:default/jane' },
  action: { id: 'restart', name: 'Restart', type: 'Day2' },
};

describe('renderTemplate', () => {
  it('keeps the JSON type of a value that is the whole string', () => {
    expect(
      renderTemplate(
        {
          replicas: '{{ replicas }}',
          flags: '{{inputs.flags}}',
          nested: '{{ nested }}',
          tags: '{{ entity.metadata.tags }}',
          optional: '{{ optional }}',
        },
        context,
      ),
    ).toEqual({ replicas: 3, flags: ['x', 'y'], nested: { deep: true }, tags: ['a'], optional: null });
  });

  it('stringifies values inside longer strings and replaces every occurrence', () => {
    expect(
      renderTemplate('{{ replicas }}x{{ replicas }} for {{ entity.metadata.name }} by {{ user.ref }}{{ optional }}', context),
    ).toBe('3x3 for payments by user:default/jane');
    expect(renderTemplate('flags: {{ flags }}', context)).toBe('flags: ["x","y"]');
  });

  it('resolves the token, its configure8 alias, run and action fields', () => {
    expect(
      renderTemplate(
        ['{{ reportToken }}', '{{ c8ReportToken }}', '{{ run.id }}', '{{ run.reportUrl }}', '{{ action.type }}'],
        context,
      ),
    ).toEqual(['tok', 'tok', 'run-1', context.run.reportUrl, 'Day2']);
  });

  it('keeps placeholders that name nothing, including inherited properties', () => {
    expect(
      renderTemplate(
        ['{{ nope }}', 'a {{ entity.spec.type }} b', '{{ constructor }}', '{{ inputs.__proto__ }}', '{{ reason.length }}'],
        context,
      ),
    ).toEqual(['{{ nope }}', 'a {{ entity.spec.type }} b', '{{ constructor }}', '{{ inputs.__proto__ }}', '{{ reason.length }}']);
  });

  it('never scans substituted values again', () => {
    const sneaky = { ...context, inputs: { reason: '{{ reportToken }}' } };
    expect(renderTemplate('why: {{ reason }}', sneaky)).toBe('why: {{ reportToken }}');
    expect(renderTemplate('{{ reason }}', sneaky)).toBe('{{ reportToken }}');
  });

  it('URL-encodes values placed in a URL', () => {
    expect(renderTemplate('https://h/x/{{ reason }}?q={{ reason }}', context, 'url')).toBe(
      'https://h/x/a%20%26%20b?q=a%20%26%20b',
    );
  });

  it('refuses a line break placed in a header', () => {
    const evil = { ...context, inputs: { reason: 'x\r\nX-Injected: 1' } };
    expect(() => renderStringMap({ 'X-Reason': '{{ reason }}' }, evil, 'header')).toThrow(
      'line break',
    );
    expect(renderStringMap({ 'X-Reason': 'why {{ reason }}' }, context, 'header')).toEqual({
      'X-Reason': 'why a & b',
    });
  });

  it('never creates __proto__, constructor or prototype keys', () => {
    const template = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 1, "prototype": 2, "ok": "{{ replicas }}"}');
    const rendered = renderTemplate(template, context) as Record<string, unknown>;
    expect(Object.keys(rendered)).toEqual(['ok']);
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('tells whether a template places the report token itself', () => {
    expect(placesReportToken({ a: '{{ reportToken }}' })).toBe(true);
    expect(placesReportToken({}, { h: 'Bearer {{c8ReportToken}}' })).toBe(true);
    expect(placesReportToken({ a: '{{ run.id }}' }, {}, {}, 'https://h')).toBe(false);
  });
});
