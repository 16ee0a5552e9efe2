import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A request the receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: any;
  rawBody: string;
}

/** An answer: a status with a body and headers, or `raw` control of the response (bytes, timing, resets). */
export type Answer =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { raw: (res: http.ServerResponse) => void };

/** How the receiver answers a path. */
export type Responder = (request: ReceivedRequest) => Promise<Answer> | Answer;

/**
 * A real HTTP server on loopback standing in for the external system a webhook calls:
 * it records every request and answers as the test tells it per path.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  on(path: string, responder: Responder): this {
    this.responders.set(path, responder);
    return this;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown = rawBody;
        try {
          body = JSON.parse(rawBody);
        } catch {
          // keep the text
        }
        const request: ReceivedRequest = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          rawBody,
        };
        this.requests.push(request);
        const responder = this.responders.get(url.pathname);
        try {
          const answer = responder ? await responder(request) : { status: 404 };
          if ('raw' in answer) {
            answer.raw(res);
            return;
          }
          res.writeHead(answer.status, {
            ...(answer.body !== undefined && typeof answer.body !== 'string'
              ? { 'content-type': 'application/json' }
              : {}),
            ...answer.headers,
          });
          const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
          res.end(answer.body === undefined ? undefined : text);
        } catch {
          res.destroy();
        }
      });
    });
    this.server.on('connection', socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>(resolve => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** A loopback port nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}
