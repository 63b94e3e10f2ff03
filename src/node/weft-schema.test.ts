/**
 * docs/weft.schema.json says what the `weft.json` parser takes: the same fields at each level
 * (read from description.ts itself), the same capability, thread model and polyfill names, and
 * every `weft.json` the docs show uses only those fields.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, THREAD_MODELS, VARIANT_HOSTS } from '../profile/caps.js';
import { POLYFILLS } from '../profile/polyfills.js';

const read = (rel: string) => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');
const schema = JSON.parse(read('docs/weft.schema.json'));
const variant = schema.properties.variants.items;

/** The field names of one `new Set([...])` key list of the parser. */
function parserKeys(name: string): string[] {
  const list = new RegExp(`const ${name} = new Set\\(\\[([^\\]]*)\\]`).exec(read('src/node/description.ts'));
  expect(list, `description.ts declares ${name}`).not.toBeNull();
  const code = list![1]!.replace(/\/\/[^\n]*/g, '');
  return [...code.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
}

/** Every weft.json in the docs: ```json blocks shortly after "weft.json", and `cat > .../weft.json` heredocs. */
function documented(): { where: string; json: Record<string, unknown> }[] {
  const files = [
    'docs/contract.md',
    ...readdirSync(new URL('../../docs/guides', import.meta.url)).map((f) => `docs/guides/${f}`),
  ];
  return files.flatMap((where) => {
    const text = read(where);
    const blocks = [
      ...text.matchAll(/weft\.json[\s\S]{0,200}?```json\n([\s\S]*?)```/g),
      ...text.matchAll(/weft\.json <<'JSON'\n([\s\S]*?)\nJSON/g),
    ];
    return blocks.map((m) => ({ where, json: JSON.parse(m[1]!) }));
  });
}

describe('docs/weft.schema.json', () => {
  it('names the fields the parser takes, at the top and in each variant, and refuses others', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(parserKeys('MODULE_KEYS'));
    expect(Object.keys(variant.properties).sort()).toEqual(parserKeys('VARIANT_KEYS'));
    expect(schema.additionalProperties).toBe(false);
    expect(variant.additionalProperties).toBe(false);
  });

  it('names the capabilities, thread models and polyfills weft knows', () => {
    const capPattern = variant.properties.requires.oneOf[1].items.pattern as string;
    expect(/\(([^)]*)\)/.exec(capPattern)![1]!.split('|')).toEqual([...CAPABILITIES]);
    expect(variant.properties.model.enum).toEqual([...THREAD_MODELS]);
    expect(variant.properties.polyfills.oneOf[1].items.enum).toEqual([...POLYFILLS]);
    expect(variant.properties.hosts.oneOf[1].items.enum).toEqual([...VARIANT_HOSTS]);
  });

  it('covers every weft.json the docs show', () => {
    const shown = documented();
    expect(shown.length).toBeGreaterThanOrEqual(3);
    for (const { where, json } of shown) {
      for (const key of Object.keys(json))
        expect(schema.properties, `${where}: ${key}`).toHaveProperty([key]);
      for (const v of json.variants as Record<string, unknown>[])
        for (const key of Object.keys(v))
          expect(variant.properties, `${where}: variants[].${key}`).toHaveProperty([key]);
    }
  });
});
