import fc from 'fast-check';
import { unstorableText, unstorableTextProblems } from '../../domain/text';

describe('text that cannot be stored', () => {
  test('NUL and lone surrogates are named; paired surrogates (emoji) and other controls are fine', () => {
    expect(unstorableText('N\u0000L')).toMatch(/NUL/);
    expect(unstorableText('a\ud800b')).toMatch(/lone surrogate/);
    expect(unstorableText('a\udc00')).toMatch(/lone surrogate/);
    expect(unstorableText('\udc00\ud800')).toMatch(/lone surrogate/);
    expect(unstorableText('Zoë 👋 \t\n\u0001')).toBeNull();
  });

  test('every offending string and key is reported with its path, the rest is not', () => {
    const input = { firstName: 'N\u0000L', workingHours: { days: ['MON', 'T\ud800'] }, ok: 'fine', ['k\u0000y']: 'x', nested: [{ deep: 'x\u0000' }] };
    expect(unstorableTextProblems(input)).toEqual([
      { field: 'firstName', message: expect.stringMatching(/NUL/) },
      { field: 'workingHours.days.1', message: expect.stringMatching(/surrogate/) },
      { field: '"k\\u0000y"', message: expect.stringMatching(/^field name/) },
      { field: 'nested.0.deep', message: expect.stringMatching(/NUL/) },
    ]);
    expect(unstorableTextProblems('x\u0000')).toEqual([{ field: '(body)', message: expect.stringMatching(/NUL/) }]);
  });

  test('any well-formed text passes; inserting a NUL anywhere is caught', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(), (text, at) => {
        const index = at % (text.length + 1);
        return unstorableText(text.split('\u0000').join('')) === null && unstorableText(text.slice(0, index) + '\u0000' + text.slice(index)) !== null;
      }),
    );
  });
});
