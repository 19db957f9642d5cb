// Swagger UI over the generated OpenAPI document (kept out of docs.html: the CSP allows no inline script).
/* global SwaggerUIBundle */
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null, // the default validator is an outside service: nothing leaves for the internet
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // over a hundred routes: a box to show one area's (its tag), and Swagger UI renders only what is in view
    filter: true,
  });
});
