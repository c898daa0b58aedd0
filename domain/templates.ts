/**
 * Lead variables in notes, messages and emails: `{{firstName}}`, `{{ company }}`, or any of the
 * lead's own variables. A variable the lead lacks renders as nothing, so a sentence never shows
 * raw braces to a prospect. Pure: used by activities and by the API's previews alike.
 */
const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]{0,39})\s*\}\}/g;

export function renderTemplate(template: string, variables: Record<string, string | null | undefined>): string {
  return template.replace(PLACEHOLDER, (_placeholder, name: string) => variables[name] ?? '');
}
