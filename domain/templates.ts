/**
 * Lead variables in notes, messages and emails: `{{firstName}}`, `{{ company }}`, or any of the
 * lead's own variables. A variable the lead lacks renders as nothing, so a sentence never shows
 * raw braces to a prospect. Pure: used by activities and by the API's previews alike.
 *
 * Lead data is untrusted (it comes from imports), and the campaign author's template is not:
 * - into an HTML body, values are escaped, so a lead named `<a href="…">Invoice</a>` shows those
 *   characters and never becomes a link in mail sent from the customer's own inbox;
 * - into a header (the subject), line breaks become spaces, so a value cannot add a header;
 * - only the lead's own variables are looked up: `{{constructor}}` or `{{toString}}` render as
 *   nothing, never as a property inherited by every object.
 */
const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]{0,39})\s*\}\}/g;

/** Where the rendered text goes: plain text (LinkedIn notes and messages), an HTML body, or a header. */
export type TemplateContext = 'text' | 'html' | 'header';

export type TemplateVariables = Readonly<Record<string, string | null | undefined>>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

function inContext(value: string, context: TemplateContext): string {
  if (context === 'html') return escapeHtml(value);
  if (context === 'header') return value.replace(/[\r\n]+/g, ' ');
  return value;
}

export function renderTemplate(template: string, variables: TemplateVariables, context: TemplateContext): string {
  return template.replace(PLACEHOLDER, (_placeholder, name: string) => {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    return typeof value === 'string' ? inContext(value, context) : '';
  });
}
