// Starts Swagger UI for /api/docs (a static file: the Content Security Policy allows no
// inline script).
"use strict";
window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  // "Try it out" from a signed-in browser: cookie-authenticated writes need the CSRF token.
  requestInterceptor: function (request) {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) request.headers["X-CSRF-Token"] = meta.content;
    return request;
  },
});
