/**
 * Email signatures (SPEC §3): sanitising the HTML an identity's owner writes, and its plain-text
 * rendering. Pure functions (no I/O, no clock), but built on sanitize-html (and through it
 * htmlparser2 and postcss), so this module is for the API side only: it sanitises a signature
 * when it is saved, and workflow code only ever sees the stored, already-safe HTML. Do not import
 * it from workflows/.
 *
 * A signature is written in one of two modes:
 * - 'rich-text': what an editor toolbar produces: paragraphs, bold/italic/underline/strike,
 *   links, spans, lists, images, block quotes. No tables.
 * - 'html' ("advanced HTML mode"): pasted HTML. Adds the layout signatures are usually built
 *   with: div, tables, headings, hr, font, small, sup, sub, center.
 *
 * Sanitising keeps an allowlist and drops everything else; the rules are the same in both modes:
 * - Tags outside the mode's list are dropped and their text kept, except for elements whose
 *   content is not visible text (script, style, svg, iframe, head, ...): dropped whole.
 *   <style> blocks go too: their CSS cannot be checked rule by rule, and many mail clients
 *   strip them anyway.
 * - Attributes are allowlisted per tag: no on* handlers, no id/class. Inline `style` is kept on
 *   every allowed tag, reduced to SAFE_STYLE_PROPERTIES with values made of keywords, numbers,
 *   colours and quoted font names: no url(), expression(), escapes or other functions.
 * - Links keep an href only if it is an absolute http, https, mailto or tel URL (entity- or
 *   whitespace-obfuscated schemes are decoded first, so they cannot sneak through); an anchor
 *   without one becomes a span. Links always get rel="noopener noreferrer"; target="_blank" is
 *   kept only when it was there.
 * - Images keep a src only if it is an absolute http or https URL (no data:, no relative URL, no
 *   protocol-relative URL); an image without one is dropped. They keep alt, width and height.
 * - Comments (including Outlook's conditional comments) are dropped.
 * The output is canonical: sanitising it again returns it unchanged.
 */
import sanitizeHtml from 'sanitize-html';

export type SignatureMode = 'rich-text' | 'html';

/** Longest signature input accepted, in characters (the API schema enforces it). */
export const SIGNATURE_MAX_LENGTH = 10_000;

const RICH_TEXT_TAGS = [
  ...['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'a', 'span'],
  ...['ul', 'ol', 'li', 'img', 'blockquote'],
];
const TABLE_TAGS = ['table', 'tbody', 'thead', 'tr', 'td', 'th'];
const HTML_ONLY_TAGS = [
  'div',
  ...TABLE_TAGS,
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
  ...['hr', 'font', 'small', 'sup', 'sub', 'center'],
];
const TABLE_ATTRIBUTES = ['colspan', 'rowspan', 'align', 'valign', 'width', 'cellpadding', 'cellspacing', 'border'];

/**
 * Elements whose content is not visible text, dropped together with their content (sanitize-html
 * would otherwise drop the tag but keep the text). Includes sanitize-html's own defaults.
 */
const DROPPED_WITH_CONTENT = [
  ...['script', 'style', 'textarea', 'option', 'xmp'], // sanitize-html's defaults
  ...['noscript', 'noembed', 'noframes', 'template', 'title', 'head', 'select'],
  ...['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math'],
];

const LINK_SCHEMES = ['http', 'https', 'mailto', 'tel'];
const IMAGE_SCHEMES = ['http', 'https'];

/**
 * One CSS value: keywords, numbers with units, #hex colours, quoted font names, commas, slashes,
 * and the colour functions rgb()/rgba()/hsl()/hsla() with numeric arguments. No other
 * parentheses (url(), expression(), var()), no backslash escapes, no colons or semicolons.
 */
const SAFE_CSS_VALUE = /^(?:[-+\w\s.,#%'"/]|(?:rgba?|hsla?)\([\d\s.,%/]*\))+$/i;

const SAFE_STYLE_PROPERTIES = [
  ...['color', 'background-color'],
  ...['font', 'font-family', 'font-size', 'font-style', 'font-variant', 'font-weight'],
  ...['text-align', 'text-decoration', 'text-indent', 'text-transform'],
  ...['margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left'],
  ...['padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left'],
  ...['border', 'border-top', 'border-right', 'border-bottom', 'border-left'],
  ...['border-color', 'border-style', 'border-width', 'border-radius', 'border-collapse', 'border-spacing'],
  ...['width', 'height', 'line-height', 'vertical-align'],
];

/**
 * Whether `url` is absolute with one of `schemes`. Browsers ignore leading/trailing spaces and
 * control characters and tabs/newlines anywhere in a URL, so those are removed before looking;
 * entities were already decoded by the parser.
 */
function hasScheme(url: string | undefined, schemes: readonly string[]): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is being removed
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec((url ?? '').replace(/[\u0000-\u0020]/g, ''));
  return scheme !== null && schemes.includes(scheme[1]!.toLowerCase());
}

/** A link with an allowed URL, with rel set; otherwise a span, so its text stays. */
function transformLink(_tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const { href, target, style } = attribs;
  const styleOnly: sanitizeHtml.Attributes = style === undefined ? {} : { style };
  if (!hasScheme(href, LINK_SCHEMES)) return { tagName: 'span', attribs: styleOnly };
  return {
    tagName: 'a',
    attribs: {
      ...styleOnly,
      href: href!,
      ...(target?.toLowerCase() === '_blank' ? { target: '_blank' } : {}),
      rel: 'noopener noreferrer',
    },
  };
}

/** An image loses a src that is not an allowed URL (and is then dropped by exclusiveFilter). */
function transformImage(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  if (hasScheme(attribs.src, IMAGE_SCHEMES)) return { tagName, attribs };
  const withoutSrc = { ...attribs };
  delete withoutSrc.src;
  return { tagName, attribs: withoutSrc };
}

function optionsFor(mode: SignatureMode): sanitizeHtml.IOptions {
  const html = mode === 'html';
  const tableAttributes = html ? Object.fromEntries(TABLE_TAGS.map((tag) => [tag, TABLE_ATTRIBUTES])) : {};
  return {
    allowedTags: html ? [...RICH_TEXT_TAGS, ...HTML_ONLY_TAGS] : RICH_TEXT_TAGS,
    allowedAttributes: {
      '*': ['style'],
      a: ['href', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      ...tableAttributes,
      ...(html ? { font: ['color', 'face', 'size'] } : {}),
    },
    allowedStyles: { '*': Object.fromEntries(SAFE_STYLE_PROPERTIES.map((property) => [property, [SAFE_CSS_VALUE]])) },
    allowedSchemes: LINK_SCHEMES,
    allowedSchemesByTag: { img: IMAGE_SCHEMES },
    allowProtocolRelative: false,
    nonTextTags: DROPPED_WITH_CONTENT,
    transformTags: { a: transformLink, img: transformImage },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  };
}

const OPTIONS_BY_MODE: Record<SignatureMode, sanitizeHtml.IOptions> = {
  'rich-text': optionsFor('rich-text'),
  html: optionsFor('html'),
};

/** Enough passes for any input seen; each pass can only restructure, never reintroduce what was dropped. */
const MAX_SANITISE_PASSES = 5;

/**
 * Safe HTML for the signature, per the rules above. Throws a RangeError for an unknown mode.
 * Sanitised to a fixpoint: dropping a tag can leave markup that parses differently the next time
 * (`<li><form><li>` becomes nested items, which a parser then flattens), and the stored signature
 * must read back exactly as it was saved.
 */
export function sanitizeSignature(mode: SignatureMode, html: string): string {
  if (!Object.hasOwn(OPTIONS_BY_MODE, mode)) {
    throw new RangeError(`unknown signature mode ${JSON.stringify(mode)} (expected "rich-text" or "html")`);
  }
  let current = sanitizeHtml(html, OPTIONS_BY_MODE[mode]);
  for (let pass = 1; pass < MAX_SANITISE_PASSES; pass += 1) {
    const next = sanitizeHtml(current, OPTIONS_BY_MODE[mode]);
    if (next === current) break;
    current = next;
  }
  return current;
}

/** Tags that start and end a line of text. */
const LINE_TAGS = new Set([
  ...['p', 'div', 'li', 'ul', 'ol', 'blockquote', 'table', 'tr', 'hr', 'center'],
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
]);
const CELL_TAGS = new Set(['td', 'th']);
const ESCAPED_CHARACTERS: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** sanitize-html hands text over escaped, and escapes exactly these three characters. */
function unescapeText(escaped: string): string {
  return escaped.replace(/&(?:amp|lt|gt);/g, (entity) => ESCAPED_CHARACTERS[entity]!);
}

/** What follows a link's text: its URL when the text does not already say it. */
function linkSuffix(href: string, text: string): string {
  const shown = text.replace(/\s+/g, ' ').trim();
  if (shown === '') return href;
  const withoutScheme = href.replace(/^(?:mailto|tel):/i, '');
  return shown === href || shown === withoutScheme ? '' : ` (${href})`;
}

/**
 * The signature as plain text, for text/plain email parts. Sanitised first (html mode), so it
 * shows exactly what the HTML part shows. br is a line break; paragraphs, divs, list items,
 * table rows and headings are lines of their own; table cells are separated by a space. Links
 * read "text (url)" unless the text already is the URL (or the address of a mailto:/tel: link).
 * Images contribute nothing. Entities are decoded, runs of whitespace become one space, lines
 * are trimmed, at most one blank line is kept in a row, and the whole is trimmed.
 */
export function signatureAsText(html: string): string {
  let text = '';
  const openLinks: { href: string; textStart: number }[] = [];
  const startLine = () => {
    text = text.replace(/ +$/, '');
    if (text !== '' && !text.endsWith('\n')) text += '\n';
  };
  sanitizeHtml(sanitizeSignature('html', html), {
    allowedTags: [],
    allowedAttributes: {},
    onOpenTag: (tag, attribs) => {
      if (tag === 'br') text += '\n';
      else if (LINE_TAGS.has(tag)) startLine();
      else if (CELL_TAGS.has(tag)) text += ' ';
      else if (tag === 'a') openLinks.push({ href: attribs.href ?? '', textStart: text.length });
    },
    onCloseTag: (tag) => {
      if (LINE_TAGS.has(tag)) startLine();
      else if (CELL_TAGS.has(tag)) text += ' ';
      else if (tag === 'a') {
        const link = openLinks.pop();
        if (link?.href) text += linkSuffix(link.href, text.slice(link.textStart));
      }
    },
    textFilter: (escaped) => {
      text += unescapeText(escaped).replace(/\s+/g, ' ');
      return '';
    },
  });
  return text
    .split('\n')
    .map((line) => line.replace(/ +/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
