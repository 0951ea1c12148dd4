/**
 * German and English carry the same messages: the type already forces the same keys; this also checks that both
 * use the same placeholders and that no text is empty or left untranslated by mistake.
 */
import { describe, expect, it } from 'vitest';
import { de } from '../../src/web/i18n/de.js';
import { en } from '../../src/web/i18n/en.js';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('web app texts', () => {
  it('German and English have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(de).sort());
  });

  it('every text is non-empty and uses the same placeholders in both languages', () => {
    for (const key of Object.keys(de) as (keyof typeof de)[]) {
      expect(de[key].trim(), key).not.toBe('');
      expect(en[key].trim(), key).not.toBe('');
      expect(placeholders(en[key]), key).toEqual(placeholders(de[key]));
    }
  });

  it('the language toggle names the other language in its own words', () => {
    expect(de['lang.switch']).toBe('English');
    expect(en['lang.switch']).toBe('Deutsch');
    expect(de['forbidden.title']).toBe('Keine Berechtigung');
  });
});
