// Start and stop throwaway http/https servers on 127.0.0.1 with a free port. Closing also drops keep-alive
// connections, so a test file's process exits as soon as its tests are done.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testTls } from './tls.js';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface StartedServer {
  server: http.Server | https.Server;
  port: number;
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`, no trailing slash. */
  origin: string;
  close(): Promise<void>;
}

export interface StartServerOptions {
  /** Serve https with the runner's test certificate (default false). */
  https?: boolean;
}

/** Listens on 127.0.0.1:0. A handler that throws or rejects answers 500 (if nothing was sent) instead of hanging. */
export async function startServer(handler: RequestHandler, options: StartServerOptions = {}): Promise<StartedServer> {
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`test server handler failed: ${error instanceof Error ? error.message : String(error)}`);
        } else {
          res.destroy();
        }
      });
  };
  const server = options.https
    ? https.createServer({ cert: testTls().cert, key: testTls().key }, listener)
    : http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}

/** Stops accepting, drops idle and active keep-alive connections, and resolves when the server has closed. */
export function closeServer(server: http.Server | https.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** Reads a request body to a Buffer. */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request with the path sent exactly as given (fetch and WHATWG URL would resolve `..` and `%2e%2e` before
 * sending, which hides what a server does with them), and optionally a chunked body (no Content-Length), as some
 * HTTP clients and proxies send it.
 */
export async function rawRequest(
  origin: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; chunked?: boolean } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        req.setHeader('transfer-encoding', 'chunked');
        req.write(options.body);
      } else {
        req.setHeader('content-length', Buffer.byteLength(options.body));
        req.write(options.body);
      }
    }
    req.end();
  });
}
