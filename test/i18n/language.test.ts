import fc from 'fast-check';
import { BadInputError } from '../../src/errors';
import {
  isLanguageTag,
  normalizeLocalizedInput,
  parseAcceptLanguage,
  parseContentLanguage,
  pickLocalized,
} from '../../src/i18n/language';

describe('isLanguageTag', () => {
  it.each([
    'en',
    'EN',
    'fr-CH',
    'de-DE',
    'zh-Hant',
    'zh-Hant-TW',
    'sr-Latn-RS',
    'es-419',
    'de-CH-1996',
    'sl-rozaj-biske',
    'zh-yue-HK',
    'en-US-u-ca-gregory',
    'en-x-private',
    'x-whatever',
    'ast',
  ])('accepts %s', (tag) => expect(isLanguageTag(tag)).toBe(true));

  it.each([
    '',
    'e',
    'english',
    'en_US',
    'en-',
    '-en',
    'en--US',
    'en-US-',
    'xx-!!',
    'en US',
    ' en',
    '12',
    'en-a',
    'en-x',
    'en-u-',
    '*',
    '__proto__',
    'constructor',
    `en-${'abcdefgh-'.repeat(10)}x`,
  ])('rejects %j', (tag) => expect(isLanguageTag(tag)).toBe(false));

  it('never throws and stays fast on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(typeof isLanguageTag(s)).toBe('boolean');
      }),
    );
    const t0 = Date.now();
    isLanguageTag(`en${'-aaaaa'.repeat(10_000)}!`);
    isLanguageTag(`en${'-a-bb'.repeat(10_000)}!`);
    expect(Date.now() - t0).toBeLessThan(100);
  });
});

describe('parseAcceptLanguage', () => {
  it.each([[undefined], [''], ['   '], ['*'], [' * '], ['*;q=0.5'], [', ,']])('%j → null (whole map)', (h) => {
    expect(parseAcceptLanguage(h)).toBeNull();
  });

  it('orders a weighted list by q', () => {
    expect(parseAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8')).toEqual(['fr-CH', 'fr', 'en']);
    expect(parseAcceptLanguage('en;q=0.8, fr;q=0.9, fr-CH')).toEqual(['fr-CH', 'fr', 'en']);
  });

  it('is stable among equal weights and defaults q to 1', () => {
    expect(parseAcceptLanguage('de, en, fr;q=1, it;q=1.000')).toEqual(['de', 'en', 'fr', 'it']);
    expect(parseAcceptLanguage('es;q=0.5, pt;q=0.5, en;q=0.7')).toEqual(['en', 'es', 'pt']);
  });

  it('drops q=0, ignores * entries, skips malformed entries', () => {
    expect(parseAcceptLanguage('en;q=0, de')).toEqual(['de']);
    expect(parseAcceptLanguage('en;q=0.000, de;q=0.1')).toEqual(['de']);
    expect(parseAcceptLanguage('*, fr;q=0.5')).toEqual(['fr']);
    expect(parseAcceptLanguage('en;q=2, de;q=abc, it;q=0.1234, nl;q, xx-!!, pt;q=0.5')).toEqual(['pt']);
    expect(parseAcceptLanguage('en_US, de')).toEqual(['de']);
  });

  it('tolerates whitespace, the Q spelling and unknown parameters', () => {
    expect(parseAcceptLanguage('  fr ; q = 0.5 ,en ; Q=0.7 ')).toEqual(['en', 'fr']);
    expect(parseAcceptLanguage('fr;level=1;q=0.5, en;q=0.4')).toEqual(['fr', 'en']);
  });

  it('dedupes case-insensitively, keeping the most preferred', () => {
    expect(parseAcceptLanguage('en;q=0.5, EN, de')).toEqual(['EN', 'de']);
  });

  it('a header with nothing usable narrows to [] (default language, else any)', () => {
    expect(parseAcceptLanguage('!!!')).toEqual([]);
    expect(parseAcceptLanguage('en;q=0')).toEqual([]);
  });

  it('bounds the work on long headers', () => {
    const many = Array.from(
      { length: 1000 },
      (_, i) => `l${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (Math.floor(i / 26) % 26))}`,
    ).join(',');
    const r = parseAcceptLanguage(many);
    expect(r).not.toBeNull();
    expect(r!.length).toBeLessThanOrEqual(32);
    // A huge header is cut at an entry boundary, never inside a tag.
    const huge = `${'de;q=0.1,'.repeat(500)}fr`;
    expect(parseAcceptLanguage(huge)).toEqual(['de']);
    const t0 = Date.now();
    expect(parseAcceptLanguage(`${'a'.repeat(1_000_000)}`)).toEqual([]);
    parseAcceptLanguage(`en;${';'.repeat(1_000_000)}`);
    expect(Date.now() - t0).toBeLessThan(200);
  });

  it('property: never throws; returns null or well-formed tags', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (h) => {
        const r = parseAcceptLanguage(h);
        if (r !== null) for (const t of r) expect(isLanguageTag(t)).toBe(true);
      }),
    );
  });

  it('property: generated weighted lists come back sorted by weight', () => {
    const entry = fc.record({
      tag: fc.constantFrom('en', 'de', 'fr', 'fr-CH', 'it', 'es-419', 'zh-Hant'),
      q: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.tag, minLength: 1, maxLength: 7 }), (entries) => {
        const header = entries.map((e) => `${e.tag};q=${(e.q / 1000).toFixed(3)}`).join(', ');
        const expected = [...entries].sort((a, b) => b.q - a.q).map((e) => e.tag);
        expect(parseAcceptLanguage(header)).toEqual(expected);
      }),
    );
  });
});

describe('pickLocalized', () => {
  const map = { en: 'Hello', fr: 'Bonjour', 'de-DE': 'Hallo', 'zh-Hant': '你好' };

  it('null prefs → the whole map; absent map → null; empty map as is', () => {
    expect(pickLocalized(map, null, 'en')).toBe(map);
    expect(pickLocalized(null, ['en'], 'en')).toBeNull();
    expect(pickLocalized(undefined, null, 'en')).toBeNull();
    expect(pickLocalized({}, ['en'], 'en')).toEqual({});
  });

  it('exact match, case-insensitive, returning the stored key', () => {
    expect(pickLocalized(map, ['FR'], 'en')).toEqual({ fr: 'Bonjour' });
    expect(pickLocalized(map, ['de-de'], 'en')).toEqual({ 'de-DE': 'Hallo' });
  });

  it('weighted list with fallbacks: fr-CH → fr', () => {
    expect(pickLocalized(map, parseAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8'), 'en')).toEqual({ fr: 'Bonjour' });
  });

  it('falls down the list', () => {
    expect(pickLocalized(map, ['it', 'pt', 'fr'], 'en')).toEqual({ fr: 'Bonjour' });
  });

  it('truncates subtags one at a time (RFC 4647 lookup)', () => {
    expect(pickLocalized(map, ['zh-Hant-TW'], 'en')).toEqual({ 'zh-Hant': '你好' });
    expect(pickLocalized({ de: 'Hallo', en: 'Hi' }, ['de-x-private'], 'en')).toEqual({ de: 'Hallo' });
  });

  it('a same-language regional variant beats the next preference', () => {
    expect(pickLocalized(map, ['de-CH', 'en'], 'en')).toEqual({ 'de-DE': 'Hallo' });
    expect(pickLocalized(map, ['de', 'en'], 'en')).toEqual({ 'de-DE': 'Hallo' });
  });

  it('an exact match for a later preference does not beat an earlier one', () => {
    expect(pickLocalized({ 'en-GB': 'colour', fr: 'couleur' }, ['en-US', 'fr'], 'fr')).toEqual({ 'en-GB': 'colour' });
  });

  it('then the default language, then any language', () => {
    expect(pickLocalized(map, ['it'], 'fr')).toEqual({ fr: 'Bonjour' });
    expect(pickLocalized(map, ['it'], 'de')).toEqual({ 'de-DE': 'Hallo' });
    expect(pickLocalized({ pl: 'Cześć', cs: 'Ahoj' }, ['it'], 'en')).toEqual({ pl: 'Cześć' });
    expect(pickLocalized(map, [], 'fr')).toEqual({ fr: 'Bonjour' });
  });

  it('private-use tags only match themselves', () => {
    expect(pickLocalized({ 'x-a': '1', 'x-b': '2', en: 'e' }, ['x-b'], 'en')).toEqual({ 'x-b': '2' });
    expect(pickLocalized({ 'x-a': '1', en: 'e' }, ['x-c'], 'en')).toEqual({ en: 'e' });
  });

  it('property: a non-empty map and any prefs give exactly one of its entries', () => {
    const tag = fc.constantFrom('en', 'de', 'fr', 'fr-CH', 'de-AT', 'it', 'zh-Hant', 'x-a');
    fc.assert(
      fc.property(fc.dictionary(tag, fc.string(), { minKeys: 1 }), fc.array(tag), tag, (m, prefs, def) => {
        const r = pickLocalized(m, prefs, def)!;
        const entries = Object.entries(r);
        expect(entries).toHaveLength(1);
        const [k, v] = entries[0]!;
        expect(m[k]).toBe(v);
      }),
    );
  });
});

describe('parseContentLanguage', () => {
  it('first language, trimmed; * as is; absent/empty → undefined', () => {
    expect(parseContentLanguage(undefined)).toBeUndefined();
    expect(parseContentLanguage('')).toBeUndefined();
    expect(parseContentLanguage('  ')).toBeUndefined();
    expect(parseContentLanguage(' de-CH ')).toBe('de-CH');
    expect(parseContentLanguage('fr, en')).toBe('fr');
    expect(parseContentLanguage('*')).toBe('*');
  });
});

describe('normalizeLocalizedInput', () => {
  function badInput(fn: () => unknown): BadInputError {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(BadInputError);
      return err as BadInputError;
    }
    throw new Error('expected BadInputError');
  }

  it('undefined / null → undefined', () => {
    expect(normalizeLocalizedInput(undefined, 'name', 'fr', 'en')).toBeUndefined();
    expect(normalizeLocalizedInput(null, 'name', 'fr', 'en')).toBeUndefined();
  });

  it('a plain string is tagged with Content-Language, else the default language', () => {
    expect(normalizeLocalizedInput('Bonjour', 'name', 'fr-CH', 'en')).toEqual({ 'fr-CH': 'Bonjour' });
    expect(normalizeLocalizedInput('Hello', 'name', undefined, 'en')).toEqual({ en: 'Hello' });
    expect(normalizeLocalizedInput('Hallo', 'name', parseContentLanguage('de, en'), 'en')).toEqual({ de: 'Hallo' });
  });

  it('a plain string with Content-Language * is a 400 naming the field', () => {
    const err = badInput(() => normalizeLocalizedInput('x', 'description', '*', 'en'));
    expect(err.field).toBe('description');
    expect(err.message).toMatch(/description/);
  });

  it('an invalid Content-Language is a 400 naming the header', () => {
    const err = badInput(() => normalizeLocalizedInput('x', 'name', 'en_US', 'en'));
    expect(err.field).toBe('Content-Language');
  });

  it('a map keeps its keys as spelled', () => {
    const input = { EN: 'Hello', 'de-ch': 'Grüezi', 'zh-Hant': '你好' };
    const out = normalizeLocalizedInput(input, 'name', '*', 'en');
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    expect(normalizeLocalizedInput({}, 'name', undefined, 'en')).toEqual({});
  });

  it('a map key that is not a language tag names name.<key>', () => {
    const err = badInput(() => normalizeLocalizedInput({ en: 'a', 'xx-!!': 'b' }, 'name', undefined, 'en'));
    expect(err.field).toBe('name.xx-!!');
    expect(err.message).toMatch(/name\.xx-!!/);
  });

  it('a non-string value names name.<key>', () => {
    expect(badInput(() => normalizeLocalizedInput({ en: 1 }, 'name', undefined, 'en')).field).toBe('name.en');
    expect(badInput(() => normalizeLocalizedInput({ en: null }, 'category.slug', undefined, 'en')).field).toBe(
      'category.slug.en',
    );
    expect(badInput(() => normalizeLocalizedInput({ en: { x: 1 } }, 'name', undefined, 'en')).field).toBe('name.en');
  });

  it('the same language twice in different case is refused', () => {
    expect(badInput(() => normalizeLocalizedInput({ en: 'a', EN: 'b' }, 'name', undefined, 'en')).field).toBe('name.EN');
  });

  it('a __proto__ key is refused, not merged into a prototype', () => {
    const input: unknown = JSON.parse('{"__proto__": {"polluted": "yes"}, "en": "x"}');
    expect(badInput(() => normalizeLocalizedInput(input, 'name', undefined, 'en')).field).toBe('name.__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('long bad keys are cut in the error', () => {
    const err = badInput(() => normalizeLocalizedInput({ ['!'.repeat(10_000)]: 'x' }, 'name', undefined, 'en'));
    expect(err.field!.length).toBeLessThan(100);
  });

  it.each([[42], [true], [['en', 'x']], [new Date()]])('%j is neither a string nor a map → 400 naming the field', (value) => {
    const err = badInput(() => normalizeLocalizedInput(value, 'name', undefined, 'en'));
    expect(err.field).toBe('name');
    expect(err.message).toBe('name must be a map of language to text or a string');
  });
});
