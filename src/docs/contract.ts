import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

/** The contract file, relative to the repository root. */
export const CONTRACT_PATH = 'spec/customer-segment.openapi.yaml';

/** The OpenAPI document as far as this module reads or writes it; the rest passes through untouched. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; description?: string; [key: string]: unknown };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, unknown>; [key: string]: unknown };
  security?: Record<string, string[]>[];
  [key: string]: unknown;
}

/** The contract as this server serves it, serialized once at start-up. */
export interface ServedContract {
  document: OpenApiDocument;
  json: string;
  yaml: string;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The operations of a document: one per method under each path. */
export function operationsOf(document: OpenApiDocument): { method: string; path: string; operationId?: string }[] {
  const out: { method: string; path: string; operationId?: string }[] = [];
  for (const [p, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (METHODS.has(method)) out.push({ method, path: p, operationId: (op as { operationId?: string }).operationId });
    }
  }
  return out;
}

const SERVED_NOTE = `

## As served here

This copy of the contract is served by the customer segment gateway, which implements every
operation above from its own data:

* **Server**: \`/\` — "try it" calls go to the host that served this document, not to Emporix.
* **Authentication**: a bearer JWT (\`Authorization: Bearer …\`) that this server verifies; it
  issues none. The scopes are those named under "Required scopes" in each operation. The
  original document's OAuth2 client-credentials scheme (a token endpoint at Emporix) is replaced.
* **Beyond the contract**, every error below is answered in the contract's Error body: 405 for a
  documented path with another method, 413 / 414 / 415 for an oversized body, over-long path
  parameter or non-JSON body, 429 when rate limited (with \`Retry-After\`), 503 when token keys are
  unavailable. Every answer carries an \`X-Request-Id\`.`;

/**
 * The contract file rewritten for this server: `servers` is the relative URL `/` (the host that
 * serves the document, so the docs page's "try it" calls reach it, whatever name it is reached
 * by, with no Host header trusted), and the OAuth2 scheme pointing at Emporix's token endpoint
 * becomes the bearer JWT this server checks. Paths, schemas and examples are unchanged.
 */
export function serveContract(source: string): ServedContract {
  // YAML 1.2 core schema: the contract's unquoted example timestamps stay strings (spec/README.md, quirk 15).
  const document = parse(source) as OpenApiDocument;
  document.info = { ...document.info, description: `${document.info.description ?? ''}${SERVED_NOTE}` };
  document.servers = [{ url: '/', description: 'This server' }];
  document.components = {
    ...document.components,
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A token for one tenant, with the scopes the operation requires (`npm run token` makes one).',
      },
    },
  };
  document.security = [{ bearerAuth: [] }];
  return { document, json: JSON.stringify(document), yaml: stringify(document) };
}

/** The repository's contract file, found from here whether running from src/ (ts) or dist/src/ (built). */
export function contractFile(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, CONTRACT_PATH);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${CONTRACT_PATH} not found above ${from}`);
  }
}

/** Reads and rewrites the contract: once, at start-up. */
export function loadServedContract(file: string = contractFile()): ServedContract {
  return serveContract(fs.readFileSync(file, 'utf8'));
}
