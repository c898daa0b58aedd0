/**
 * The one place that renders HTML pages for people (the share page, its refusals, the end of an
 * OAuth sign-in, the API reference at /docs).
 *
 * - Templates are files in api/pages/*.eta rendered by Eta with automatic escaping: `<%= %>`
 *   escapes, and the only raw output (`<%~ %>`) is a layout's body or an included template.
 * - Assets (CSS, the share page's small script, the docs renderer) are files served by the API
 *   itself: api/pages/assets at /assets, and Swagger UI from the swagger-ui-dist npm package at
 *   /docs/assets. No CDN: the pages work with no network beyond the API.
 * - Security headers for every answer (helmet): a strict Content Security Policy (no inline script
 *   or style, scripts and styles only from the API, `form-action 'self'` plus the sign-in origins a
 *   form may redirect to), no framing, no referrer.
 */
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { Eta } from 'eta';
import type { HelmetOptions } from 'helmet';

const PAGES_DIR = path.join(__dirname, 'pages');
const eta = new Eta({ views: PAGES_DIR, autoEscape: true, cache: true });

export function renderPage(template: string, data: object): string {
  return eta.render(`./${template}`, data);
}

export function sendPage(response: Response, status: number, template: string, data: object): void {
  response.status(status).type('html').send(renderPage(template, data));
}

/**
 * A 303 with no body: Express's redirect body repeats the URL, and a share page's URL holds its
 * token, which must not appear in an answer body.
 */
export function seeOther(response: Response, url: string): void {
  response.status(303).location(url).end();
}

export interface PageSecurityOptions {
  /** Origins a form may be redirected to (providers' sign-in pages), besides the API itself. */
  formActionOrigins: string[];
  /** The public URL is https: ask browsers to upgrade any http subresource. */
  https: boolean;
}

/** helmet's options: one policy for every answer (JSON answers ignore it; pages need it). */
export function pageSecurity(options: PageSecurityOptions): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Profile pictures live on other https hosts; the docs renderer draws icons from data: URLs.
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'", ...new Set(options.formActionOrigins)],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  };
}

/** Static files the pages load: their own (/assets) and Swagger UI's (/docs/assets). */
export function pageAssets(): Router {
  const router = Router();
  const options = { index: false, maxAge: '1h', dotfiles: 'deny' } as const;
  router.use('/assets', express.static(path.join(PAGES_DIR, 'assets'), options));
  const swaggerUi = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const docsFiles = new Set(['/swagger-ui-bundle.js', '/swagger-ui.css', '/favicon-32x32.png', '/favicon-16x16.png']);
  router.use('/docs/assets', (request, _response, next) => (docsFiles.has(request.path) ? next() : next('router')), express.static(swaggerUi, options));
  return router;
}
