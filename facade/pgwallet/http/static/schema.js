// The OpenAPI page (/schema): Swagger UI, from the package, on the served document.
// A file rather than an inline script, so that the page's Content-Security-Policy
// (the dashboard's: only this origin) holds.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/schema/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the public validator is elsewhere on the internet: not asked
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
