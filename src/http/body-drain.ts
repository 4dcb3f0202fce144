import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** What is left of an unread body is read and thrown away up to this size and for this long. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const MAX_DRAIN_MS = 10_000;

/**
 * Reads what is left of a request body into nothing; resolves true once it has all arrived.
 *
 * An answer given before the body is read (a 401, 403 or 429 from an onRequest hook, a 413 on
 * Content-Length) leaves the client still sending. Left alone, that connection stalls with the
 * client blocked on a full socket; closed, the kernel resets it and the client sees EPIPE instead
 * of the answer. Reading the rest lets the client finish and read the answer. Bounded in bytes
 * and time: past either, the connection is closed (the client asked for that).
 */
export function drain(raw: IncomingMessage): Promise<boolean> {
  if (raw.complete || raw.readableEnded) return Promise.resolve(true);
  const declared = Number(raw.headers['content-length']);
  if (declared > MAX_DRAIN_BYTES) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      raw.removeListener('data', onData);
      raw.removeListener('end', onEnd);
      raw.removeListener('error', onError);
      if (!ok) raw.socket?.destroy();
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_DRAIN_BYTES) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), MAX_DRAIN_MS);
    timer.unref();
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.resume();
  });
}

/**
 * An answer ready while the request body is still arriving waits until the body is drained (see
 * `drain`). Node stops reading a request once its answer is sent, so draining has to come first.
 */
export function registerBodyDrain(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    // Callback form: the usual case (body read) costs no promise.
    if (raw.complete || raw.readableEnded) return done(null, payload);
    void drain(raw).then((ok) => {
      if (!ok) reply.header('connection', 'close');
      done(null, payload);
    });
  });
}
