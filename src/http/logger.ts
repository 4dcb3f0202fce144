import type { FastifyBaseLogger } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import type { Config } from '../config';

/**
 * Log output waiting for a slow stdout is held up to this many bytes; past it, lines are dropped
 * (and counted) rather than held without bound.
 */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Lines are written in batches of this many bytes, or whatever has gathered every FLUSH_MS. */
const BATCH_BYTES = 4096;
const FLUSH_MS = 250;

let stdout: DestinationStream | undefined;
let dropped = 0;

/**
 * One asynchronous writer to stdout per process (pino's `sync: false` destination): a log call
 * appends to a buffer and returns. The buffer goes out in 4 KiB writes, or every 250 ms (a write
 * per line costs a request a few microseconds of thread-pool work; measured in bench/access-log.ts),
 * and pino flushes what is left when the process exits. Shared by every app a process builds.
 */
function stdoutDestination(): DestinationStream {
  if (!stdout) {
    const dest = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, maxLength: MAX_PENDING_BYTES });
    dest.on('drop', () => dropped++);
    setInterval(() => {
      try {
        dest.flush();
      } catch {
        // Destroyed at exit: nothing left to flush.
      }
    }, FLUSH_MS).unref();
    stdout = dest;
  }
  return stdout;
}

/** Log lines dropped because stdout did not keep up (metrics.ts reports it). */
export function droppedLogLines(): number {
  return dropped;
}

/**
 * The service's logger: JSON lines through the asynchronous stdout writer, or pino-pretty (in a
 * worker thread, loaded only then) for people at a terminal. Tests pass their own stream, written
 * synchronously so they can read a line as soon as its request has been answered. Undefined for
 * `LOG_LEVEL=silent`: Fastify then builds no logger at all.
 */
export function createLogger(config: Config, logStream?: { write(line: string): void }): FastifyBaseLogger | undefined {
  if (config.logLevel === 'silent') return undefined;
  const options = { level: config.logLevel };
  if (logStream) return pino(options, logStream);
  if (config.logFormat === 'pretty') {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino(options, stdoutDestination());
}
