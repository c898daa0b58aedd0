import fc from 'fast-check';
import { escapeHtml, renderTemplate } from '../../domain/templates';

describe('lead variables in templates', () => {
  const lead = { firstName: '<a href="https://evil.example">Invoice</a>', company: 'Tom & Jerry', lastName: null, title: 'CEO\r\nBcc: all@x.example' };

  test('into an HTML body, lead values are escaped: markup from an import never becomes a link', () => {
    expect(renderTemplate('<p>Hi {{firstName}} at {{ company }}</p>', lead, 'html')).toBe(
      '<p>Hi &lt;a href=&quot;https://evil.example&quot;&gt;Invoice&lt;/a&gt; at Tom &amp; Jerry</p>',
    );
  });

  test('the template itself (written by the campaign author) is kept as written', () => {
    expect(renderTemplate('<b>Hello</b> {{company}}', lead, 'html')).toBe('<b>Hello</b> Tom &amp; Jerry');
  });

  test('into a header, line breaks become spaces; into plain text, values are kept as they are', () => {
    expect(renderTemplate('Re: {{title}}', lead, 'header')).toBe('Re: CEO Bcc: all@x.example');
    expect(renderTemplate('Hi {{company}}', lead, 'text')).toBe('Hi Tom & Jerry');
  });

  test('only the lead’s own variables: inherited names and missing ones render as nothing', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
      expect(renderTemplate(`[{{${name}}}]`, lead, 'text')).toBe('[]');
    }
    expect(renderTemplate('[{{lastName}}][{{missing}}]', lead, 'html')).toBe('[][]');
  });

  test('escaped values never contain markup characters', () => {
    fc.assert(fc.property(fc.string(), (value) => !/[<>"']/.test(escapeHtml(value)) && !/&(?!amp;|lt;|gt;|quot;|#39;)/.test(escapeHtml(value))));
  });
});
