import fc from 'fast-check';
import { normaliseProfileUrl, profileSlug } from '../../../integrations/linkedin/gateway';

const JANE = 'https://www.linkedin.com/in/jane-doe';
const JEROME = 'https://www.linkedin.com/in/j%C3%A9r%C3%B4me-martin';

describe('normaliseProfileUrl: one canonical spelling', () => {
  it.each([
    // already canonical
    ['https://www.linkedin.com/in/jane-doe', JANE],
    // trailing slashes
    ['https://www.linkedin.com/in/jane-doe/', JANE],
    ['https://www.linkedin.com/in/jane-doe///', JANE],
    // query strings and fragments
    ['https://www.linkedin.com/in/jane-doe?trk=public_profile_browsemap', JANE],
    ['https://www.linkedin.com/in/jane-doe/?originalSubdomain=fr&utm_source=share', JANE],
    ['https://www.linkedin.com/in/jane-doe#experience', JANE],
    ['https://www.linkedin.com/in/jane-doe/?a=1#b', JANE],
    ['https://www.linkedin.com/in/jane-doe?', JANE],
    // hosts
    ['https://linkedin.com/in/jane-doe', JANE],
    ['https://fr.linkedin.com/in/jane-doe', JANE],
    ['https://uk.linkedin.com/in/jane-doe/', JANE],
    ['https://m.linkedin.com/in/jane-doe', JANE],
    ['https://WWW.LINKEDIN.COM/in/jane-doe', JANE],
    ['https://www.linkedin.com./in/jane-doe', null],
    ['https://www.linkedin.com:443/in/jane-doe', JANE],
    // schemes
    ['http://www.linkedin.com/in/jane-doe', JANE],
    ['HTTPS://www.linkedin.com/in/jane-doe', JANE],
    ['www.linkedin.com/in/jane-doe', JANE],
    ['linkedin.com/in/jane-doe/', JANE],
    ['//www.linkedin.com/in/jane-doe', JANE],
    // letter case of the path
    ['https://www.linkedin.com/in/Jane-Doe', JANE],
    ['https://www.linkedin.com/IN/JANE-DOE', JANE],
    ['https://www.linkedin.com/In/jane-DOE', JANE],
    // white space around
    ['  https://www.linkedin.com/in/jane-doe \n', JANE],
    // percent-encoding: unnecessary, lower-case hex, upper-case hex, none
    ['https://www.linkedin.com/in/%6Aane-doe', JANE],
    ['https://www.linkedin.com/in/%4Aane-%44oe', JANE],
    ['https://www.linkedin.com/in/j%C3%A9r%C3%B4me-martin', JEROME],
    ['https://www.linkedin.com/in/j%c3%a9r%c3%b4me-martin', JEROME],
    ['https://www.linkedin.com/in/J%C3%89R%C3%94ME-MARTIN', JEROME],
    ['https://www.linkedin.com/in/jérôme-martin', JEROME],
    ['https://fr.linkedin.com/in/Jérôme-Martin/?locale=fr_FR', JEROME],
    // Unicode normalisation: é as e + combining acute accent
    ['https://www.linkedin.com/in/je\u0301ro\u0302me-martin', JEROME],
    ['https://www.linkedin.com/in/je%CC%81ro%CC%82me-martin', JEROME],
    // other scripts
    ['https://www.linkedin.com/in/%E5%BC%A0%E4%BC%9F', 'https://www.linkedin.com/in/%E5%BC%A0%E4%BC%9F'],
    ['https://www.linkedin.com/in/мария-иванова', 'https://www.linkedin.com/in/%D0%BC%D0%B0%D1%80%D0%B8%D1%8F-%D0%B8%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0'],
    ['https://www.linkedin.com/in/МАРИЯ-ИВАНОВА', 'https://www.linkedin.com/in/%D0%BC%D0%B0%D1%80%D0%B8%D1%8F-%D0%B8%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0'],
    // LinkedIn's suffixes, underscores and dots are part of the slug
    ['https://www.linkedin.com/in/jane-doe-4b2a91b7/', 'https://www.linkedin.com/in/jane-doe-4b2a91b7'],
    ['https://www.linkedin.com/in/ada_lovelace', 'https://www.linkedin.com/in/ada_lovelace'],
    ['https://www.linkedin.com/in/a.b', 'https://www.linkedin.com/in/a.b'],
    ['https://www.linkedin.com/in/123456', 'https://www.linkedin.com/in/123456'],
    // backslashes are slashes in http(s) URLs
    ['https://www.linkedin.com\\in\\Jane-Doe', JANE],
  ])('%s → %s', (input, expected) => {
    if (expected === null) expect(() => normaliseProfileUrl(input)).toThrow(RangeError);
    else expect(normaliseProfileUrl(input)).toBe(expected);
  });
});

describe('normaliseProfileUrl: not a profile URL', () => {
  it.each([
    ['empty', ''],
    ['spaces', '   '],
    ['a name', 'jane doe'],
    ['another site', 'https://example.com/in/jane-doe'],
    ['a look-alike host', 'https://www.linkedin.com.evil.example/in/jane-doe'],
    ['a look-alike domain', 'https://notlinkedin.com/in/jane-doe'],
    ['a deeper sub-domain', 'https://a.b.linkedin.com/in/jane-doe'],
    ['an unknown sub-domain', 'https://api.linkedin.com/in/jane-doe'],
    ['a company page', 'https://www.linkedin.com/company/acme'],
    ['a school page', 'https://www.linkedin.com/school/hec-paris/'],
    ['a post', 'https://www.linkedin.com/posts/jane-doe_activity-7123456789'],
    ['a feed update', 'https://www.linkedin.com/feed/update/urn:li:activity:7123456789/'],
    ['Sales Navigator', 'https://www.linkedin.com/sales/lead/ACwAAB,NAME_SEARCH,abc'],
    ['Sales Navigator people', 'https://www.linkedin.com/sales/people/ACwAAB'],
    ['a legacy public URL', 'https://www.linkedin.com/pub/jane-doe/1a/2b/3c'],
    ['a profile sub-page', 'https://www.linkedin.com/in/jane-doe/details/experience/'],
    ['a profile with a locale segment', 'https://www.linkedin.com/in/jane-doe/fr'],
    ['no slug', 'https://www.linkedin.com/in/'],
    ['no slug, double slash', 'https://www.linkedin.com/in//jane-doe'],
    ['the home page', 'https://www.linkedin.com/'],
    ['another scheme', 'ftp://www.linkedin.com/in/jane-doe'],
    ['javascript', 'javascript:alert(1)//www.linkedin.com/in/jane-doe'],
    ['mailto', 'mailto:jane@linkedin.com'],
    ['credentials', 'https://user:pass@www.linkedin.com/in/jane-doe'],
    ['a port', 'https://www.linkedin.com:8443/in/jane-doe'],
    ['http on 443', 'http://www.linkedin.com:443/in/jane-doe'],
    ['a trailing-dot host', 'https://www.linkedin.com./in/jane-doe'],
    ['an encoded slash', 'https://www.linkedin.com/in/jane%2Fdoe'],
    ['an encoded space', 'https://www.linkedin.com/in/jane%20doe'],
    ['an encoded query mark', 'https://www.linkedin.com/in/jane%3Fdoe'],
    ['malformed percent-encoding', 'https://www.linkedin.com/in/jane%E0%A4%A'],
    ['a lone percent', 'https://www.linkedin.com/in/jane%'],
    ['punctuation only', 'https://www.linkedin.com/in/---'],
    ['dots only', 'https://www.linkedin.com/in/...'],
    ['an emoji', 'https://www.linkedin.com/in/jane-😀'],
    ['a control character', 'https://www.linkedin.com/in/jane%00doe'],
  ])('%s: %s', (_case, input) => {
    expect(() => normaliseProfileUrl(input)).toThrow(RangeError);
  });

  it('names the URL and the reason, and cuts very long input', () => {
    expect(() => normaliseProfileUrl('https://www.linkedin.com/company/acme')).toThrow(
      'Not a LinkedIn profile URL (path must be /in/<profile>): "https://www.linkedin.com/company/acme"',
    );
    let message = '';
    try {
      normaliseProfileUrl(`https://example.com/${'x'.repeat(5000)}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.length).toBeLessThan(300);
  });

  it('rejects non-strings from untyped callers', () => {
    expect(() => normaliseProfileUrl(42 as unknown as string)).toThrow(RangeError);
  });
});

describe('profileSlug', () => {
  it('gives the decoded, lower-case slug', () => {
    expect(profileSlug('https://fr.linkedin.com/in/J%C3%A9r%C3%B4me-Martin/')).toBe('jérôme-martin');
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------

/** Characters of real slugs: ASCII letters and digits, `-`, `_`, accented and non-Latin letters. */
const slugChar = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split(''),
  'é', 'è', 'ô', 'ü', 'ñ', 'ç', 'ø', 'å', 'ß', 'ł', 'ğ', 'ı', 'ж', 'я', 'λ', 'ω', '张', '伟', 'ا', 'م', 'ह',
);
/** A canonical (NFC, lower-case) slug with at least one letter or digit. */
const slug = fc
  .array(slugChar, { minLength: 1, maxLength: 30 })
  .map((chars) => chars.join(''))
  .filter((text) => /[\p{L}\p{N}]/u.test(text));

const hex = (byte: number, upper: boolean) => {
  const digits = byte.toString(16).padStart(2, '0');
  return `%${upper ? digits.toUpperCase() : digits}`;
};

/** One way of writing a character: as is, upper-cased (when that round-trips), or percent-encoded with either hex case. */
const spelling = (char: string) =>
  fc.constantFrom('plain', 'upper', 'encoded-upper', 'encoded-lower').map((how) => {
    if (how === 'upper') return char.toUpperCase().toLowerCase() === char && char.toUpperCase().length === char.length ? char.toUpperCase() : char;
    if (how === 'plain') return char;
    return [...Buffer.from(char, 'utf8')].map((byte) => hex(byte, how === 'encoded-upper')).join('');
  });

const decorated = (canonicalSlug: string) =>
  fc
    .record({
      scheme: fc.constantFrom('https://', 'http://', 'HTTPS://', 'Http://', '', '//'),
      host: fc.constantFrom('www.linkedin.com', 'linkedin.com', 'fr.linkedin.com', 'de.linkedin.com', 'uk.linkedin.com', 'm.linkedin.com', 'WWW.LinkedIn.com', 'FR.LINKEDIN.COM'),
      inSegment: fc.constantFrom('/in/', '/IN/', '/In/'),
      slugSpelling: fc.tuple(...[...canonicalSlug].map(spelling)).map((parts) => parts.join('')),
      slashes: fc.integer({ min: 0, max: 3 }).map((count) => '/'.repeat(count)),
      query: fc.option(
        fc.constantFrom('?trk=public_profile', '?originalSubdomain=fr', '?', '?a=1&b=%2F', '?utm_source=share&utm_medium=member_desktop'),
        { nil: '' },
      ),
      fragment: fc.option(fc.constantFrom('#', '#about', '#experience-section'), { nil: '' }),
      padding: fc.constantFrom('', ' ', '\t', '\n '),
    })
    .map((parts) => `${parts.padding}${parts.scheme}${parts.host}${parts.inSegment}${parts.slugSpelling}${parts.slashes}${parts.query}${parts.fragment}${parts.padding}`);

describe('normaliseProfileUrl properties', () => {
  it('every decoration of a slug normalises to the same canonical URL', () => {
    fc.assert(
      fc.property(
        slug.chain((canonicalSlug) => fc.tuple(fc.constant(canonicalSlug), decorated(canonicalSlug), decorated(canonicalSlug))),
        ([canonicalSlug, first, second]) => {
          const expected = `https://www.linkedin.com/in/${encodeURIComponent(canonicalSlug)}`;
          expect(normaliseProfileUrl(first)).toBe(expected);
          expect(normaliseProfileUrl(second)).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('is idempotent, and its output is a valid URL that round-trips its slug', () => {
    fc.assert(
      fc.property(slug.chain(decorated), (url) => {
        const once = normaliseProfileUrl(url);
        expect(normaliseProfileUrl(once)).toBe(once);
        expect(new URL(once).href).toBe(once);
        expect(once).toMatch(/^https:\/\/www\.linkedin\.com\/in\/[A-Za-z0-9%_.-]+$/);
        expect(once).not.toMatch(/%[0-9A-F]?[a-f]/); // percent-encoding always upper-case hex
      }),
      { numRuns: 1000 },
    );
  });

  it('different slugs stay different people', () => {
    fc.assert(
      fc.property(slug, slug, (a, b) => {
        fc.pre(a !== b);
        expect(normaliseProfileUrl(`https://www.linkedin.com/in/${a}`)).not.toBe(normaliseProfileUrl(`https://www.linkedin.com/in/${b}`));
      }),
    );
  });

  it('either returns a canonical URL or throws a RangeError, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.string().map((tail) => `https://www.linkedin.com/in/${tail}`),
          fc.string({ unit: 'grapheme' }).map((tail) => `linkedin.com/in/${tail}`),
        ),
        (input) => {
          try {
            const result = normaliseProfileUrl(input);
            expect(normaliseProfileUrl(result)).toBe(result);
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
