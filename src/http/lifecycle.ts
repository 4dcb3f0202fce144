import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Whether the service is shutting down; and waiting for its connections to finish. */
export interface Lifecycle {
  readonly draining: boolean;
  startDraining(): void;
  /**
   * Resolves true once no connection is left open, closing the ones that sit idle after an
   * answer; false at the deadline. See `registerLifecycle`.
   */
  settle(deadline: number): Promise<boolean>;
}

interface SocketState {
  /** A request is being served on it. */
  busy: boolean;
  /** It has carried at least one answer (so an idle moment is keep-alive, not "not read yet"). */
  served: boolean;
}

/**
 * While draining, every answer asks its client to close the connection (keep-alive clients move
 * to another instance) and /health answers 503 (app.ts).
 *
 * Closing the listener would also close every connection Node thinks idle — including one whose
 * request has arrived but not been read yet because the event loop was busy, which the client
 * sees as a reset. So the listener stays open while draining and connections are left to end on
 * their own (Connection: close); only those idle after an answer are closed here. Once none is
 * left, closing the listener loses nothing.
 */
export function registerLifecycle(app: FastifyInstance): Lifecycle {
  let draining = false;
  const sockets = new Map<Socket, SocketState>();
  app.server.on('connection', (socket: Socket) => {
    sockets.set(socket, { busy: false, served: false });
    socket.once('close', () => sockets.delete(socket));
  });
  app.addHook('onRequest', (request, reply, done) => {
    const state = sockets.get(request.raw.socket);
    if (state) {
      state.busy = true;
      reply.raw.once('close', () => {
        state.busy = false;
        state.served = true;
      });
    }
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  return {
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
    async settle(deadline: number): Promise<boolean> {
      for (;;) {
        for (const [socket, state] of sockets) if (state.served && !state.busy) socket.destroy();
        if (sockets.size === 0) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
