import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { MetricsConfig } from '../config';

/** A scrape that has not sent its request within this long is cut; scrapers send at once. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * GET /metrics on a port of its own (METRICS_PORT, on METRICS_HOST): nothing else is served
 * there, and it needs no token — whoever can reach that interface may scrape. A bare Node
 * listener rather than a second Fastify: it answers one path. It opens when the app is ready
 * (a port that cannot be bound fails start-up) and closes with the app.
 */
export function serveMetricsPort(
  app: FastifyInstance,
  config: MetricsConfig,
  contentType: string,
  exposition: () => Promise<string>,
): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    exposition().then(
      (text) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(text),
      (err: unknown) => {
        app.log.error({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  app.addHook('onReady', async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  });
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return server;
}
