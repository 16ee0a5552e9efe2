import fs from 'node:fs';
import path from 'node:path';

const packageDir = path.resolve(__dirname, '..');

/**
 * Every key path of config.d.ts, lists written as `[]` (`selfServiceActions.actions[].id`):
 * `keys` are values and lists, `groups` objects that only hold other keys. A union of objects
 * (`method:` then `| {` branches, as the method types are) is a group whose branches' keys
 * are all its keys.
 */
function configKeys(source: string): { keys: string[]; groups: string[] } {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const keys: string[] = [];
  const groups: string[] = [];
  const stack: string[] = [];
  let union: string | undefined;
  for (const line of withoutComments.split('\n')) {
    const key = line.match(/^\s*(\w+)\??:\s*(.*)$/);
    if (key) {
      const [, name, rest] = key;
      const opensList = /^Array<\{\s*$/.test(rest);
      const opensObject = /^\{\s*$/.test(rest);
      const opensUnion = rest.trim() === '';
      const full = [...stack, opensList ? `${name}[]` : name].join('.');
      (opensObject || opensUnion ? groups : keys).push(opensList ? full.slice(0, -2) : full);
      if (opensList || opensObject) {
        stack.push(opensList ? `${name}[]` : name);
      }
      if (opensUnion) {
        union = name;
      }
    } else if (/^\s*\|\s*\{\s*$/.test(line) && union) {
      // Each branch closes with its own `}`.
      stack.push(union);
    } else if (/^\s*\}>?;?\s*$/.test(line)) {
      stack.pop();
    }
  }
  return { keys, groups };
}

describe('the README configuration reference', () => {
  it('lists every key of config.d.ts, and no other', () => {
    const { keys, groups } = configKeys(fs.readFileSync(path.join(packageDir, 'config.d.ts'), 'utf8'));
    const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
    const section = readme.split('## Configuration reference')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `(selfServiceActions[^`]*)` \|/gm)].map(m => m[1]);
    expect(keys.length).toBeGreaterThan(30);
    expect(keys.filter(key => !documented.includes(key))).toEqual([]);
    expect(documented.filter(key => !keys.includes(key) && !groups.includes(key))).toEqual([]);
  });
});
