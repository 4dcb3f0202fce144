import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config';
import { loadServedContract, type ServedContract } from '../docs/contract';
import { errorBody } from '../rest/http-errors';

/** Where the served contract lives: beside the REST paths it describes. */
export const OPENAPI_JSON = '/customer-segment/openapi.json';
export const OPENAPI_YAML = '/customer-segment/openapi.yaml';
export const DOCS = '/docs';

/**
 * The CSP of the docs page, and only of it (security.ts denies everything elsewhere). Swagger UI
 * is served from our own node_modules: its scripts, styles and images come from this origin, its
 * stylesheet draws icons as data: URLs, and its "try it" calls go back to this origin. No inline
 * script or style is needed, nothing from another host is allowed.
 */
export const DOCS_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * The service describes itself: the REST contract as served here (JSON and YAML, no token), an
 * interactive page to read and try it (Swagger UI, bundled, works offline), and an index at `/`.
 */
export async function registerDocs(app: FastifyInstance, config: Config): Promise<void> {
  const contract = loadServedContract();
  registerContract(app, contract);
  registerIndex(app, config);
  // Encapsulated: the relaxed CSP and the `swagger` decorator stay with the docs routes.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      // Read by security.ts (once per route); set here because the plugin adds its routes itself.
      route.config = Object.assign({}, route.config, { helmet: { contentSecurityPolicy: DOCS_CSP } });
    });
    // Static mode: no routes are scanned; the UI is handed the document served at OPENAPI_JSON.
    // (Cast: the plugin types it as openapi-types' Document; ours is a looser view of the same object.)
    await docs.register(swagger, { mode: 'static', specification: { document: contract.document as never } });
    await docs.register(swaggerUi, {
      routePrefix: DOCS,
      theme: { title: `${contract.document.info.title} — REST API` },
      uiConfig: {
        // No top bar: it offers to load any URL as a document, which this page has no use for.
        layout: 'BaseLayout',
        deepLinking: true,
        displayOperationId: true,
        // The pasted token lives as long as the tab, not in localStorage.
        persistAuthorization: false,
      },
    });
  });
}

function registerContract(app: FastifyInstance, contract: ServedContract): void {
  const served: [string, string, string][] = [
    [OPENAPI_JSON, 'application/json; charset=utf-8', contract.json],
    [OPENAPI_YAML, 'application/yaml', contract.yaml],
  ];
  for (const [url, type, body] of served) {
    app.get(url, async (_request, reply) => reply.type(type).send(body));
    // Like the REST paths beside them (rest/adapter.ts): another method is a 405 in the Error body.
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      handler: async (_request, reply) =>
        reply.code(405).header('allow', 'GET, HEAD').send(errorBody(405, 'Method not allowed; this path supports GET, HEAD')),
    });
  }
}

interface Link {
  href: string;
  title: string;
}

function links(config: Config): Record<string, Link> {
  return {
    graphql: {
      href: '/graphql',
      title: config.graphqlSandbox
        ? 'GraphQL endpoint; open it in a browser for Apollo Sandbox'
        : 'GraphQL endpoint (POST, or GET with apollo-require-preflight)',
    },
    docs: { href: DOCS, title: 'REST API documentation: read and try the contract with a token' },
    openapi: { href: OPENAPI_JSON, title: 'The REST contract (OpenAPI 3.0, JSON) as served here' },
    openapiYaml: { href: OPENAPI_YAML, title: 'The same in YAML' },
    health: { href: '/health', title: 'Health: 200 when the database answers and the service is not draining' },
    live: { href: '/health/live', title: 'Liveness: 200 while the process answers' },
    ready: { href: '/health/ready', title: 'Readiness: like /health' },
  };
}

/** `GET /`: where things are. JSON for programs; a plain page of links for a browser. */
function registerIndex(app: FastifyInstance, config: Config): void {
  const index = { service: 'customer-segment-gateway', links: links(config) };
  const json = JSON.stringify(index);
  // No style or script: it renders under the deny-all CSP of every other route.
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Customer segment service</title></head><body>',
    '<h1>Customer segment service</h1><ul>',
    ...Object.values(index.links).map((l) => `<li><a href="${l.href}">${l.href}</a> — ${l.title}</li>`),
    '</ul></body></html>',
  ].join('\n');
  app.get('/', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Accept');
    return prefersHtml(request.headers.accept)
      ? reply.type('text/html; charset=utf-8').send(html)
      : reply.type('application/json; charset=utf-8').send(json);
  });
}

/**
 * Whether an Accept header ranks text/html above application/json (ties and no header: JSON).
 * Each is weighed by the most specific range that matches it (RFC 9110 §12.5.1).
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  return quality(accept, 'text/html') > quality(accept, 'application/json');
}

function quality(accept: string, mediaType: string): number {
  const [type] = mediaType.split('/');
  let best = { specificity: 0, q: 0 };
  for (const range of accept.split(',')) {
    const [name, ...params] = range.trim().toLowerCase().split(';');
    const r = name.trim();
    const specificity = r === mediaType ? 3 : r === `${type}/*` ? 2 : r === '*/*' ? 1 : 0;
    if (specificity <= best.specificity) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q;
}
