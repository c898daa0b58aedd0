/*
 * /docs: Swagger UI (from the swagger-ui-dist npm package, served by the API at /docs/assets)
 * rendering /openapi.json. Nothing is fetched from anywhere else: the validator badge is off.
 */
(function () {
  'use strict';
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    // Deep links put a link inside each operation's toggle button (nested controls for assistive technology).
    deepLinking: false,
    docExpansion: 'list',
    defaultModelsExpandDepth: 1,
    defaultModelExpandDepth: 2,
    displayRequestDuration: true,
    validatorUrl: null,
    // Plain examples: the highlighting theme's colours fail WCAG contrast on its dark background.
    syntaxHighlight: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
})();
