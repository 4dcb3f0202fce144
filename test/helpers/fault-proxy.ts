import net from 'node:net';

/**
 * - `pass`: bytes flow both ways.
 * - `refuse`: the port is closed (new connections get ECONNREFUSED) and every open connection
 *   is reset, as when the database host goes down.
 * - `stall`: sockets stay open but every byte in either direction is dropped, as in a network
 *   partition. Connections that lived through a stall stay black holes afterwards (their bytes
 *   are lost, the protocol cannot resume), exactly like TCP connections whose packets were
 *   dropped; only connections opened after it work.
 */
export type FaultMode = 'pass' | 'refuse' | 'stall';

export interface FaultProxy {
  readonly port: number;
  /** Switches mode; resolves once the listener is in the state the mode needs. */
  setMode(mode: FaultMode): Promise<void>;
  /** Resets every open connection (both sides), like killing the service's sessions. */
  cut(): number;
  /** Open client connections right now. */
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Dropped bytes in a stall: this connection can never carry the protocol again. */
  dead: boolean;
}

/**
 * A TCP proxy in front of a database that fails on demand. Tests point the service at it;
 * the real database is never touched.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  const pairs = new Set<Pair>();

  const forward = (pair: Pair, from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (mode === 'stall') pair.dead = true;
      if (pair.dead) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  };

  const server = net.createServer((client) => {
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, dead: mode === 'stall' };
    pairs.add(pair);
    forward(pair, client, upstream);
    forward(pair, upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // A dead pair keeps its client socket open (that is the point of a stall); the database's
    // side may go, the client must find out on its own.
    client.on('close', end);
    client.on('error', end);
    upstream.on('error', () => (pair.dead ? upstream.destroy() : end()));
    upstream.on('close', () => {
      if (!pair.dead) end();
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;

  const cut = () => {
    const n = pairs.size;
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
    return n;
  };

  return {
    port,
    async setMode(next) {
      const was = mode;
      mode = next;
      if (next === 'refuse' && was !== 'refuse') {
        server.close();
        cut();
      } else if (was === 'refuse' && next !== 'refuse') {
        await listen(port);
      }
    },
    cut,
    connections: () => pairs.size,
    async close() {
      mode = 'refuse';
      cut();
      await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

/** The MySQL server a mysql:// URL names. */
export function mysqlTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 3306) };
}

/** The same mysql:// connection URL, through the proxy on `port`. */
export function throughProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}
