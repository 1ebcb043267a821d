/** Real local HTTP(S) servers for the tests, each counting the requests it got. */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  host: string;
  port: number;
  /** Base URL, e.g. http://127.0.0.1:1234 (IPv6 hosts bracketed). */
  origin: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

export async function startServer(host: string, handler: Handler, opts: { tls?: boolean } = {}): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  };
  const server = opts.tls
    ? https.createServer({ key: fixture('receiver.key'), cert: fixture('receiver.pem') }, listener)
    : http.createServer(listener);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    origin: `${opts.tls ? 'https' : 'http'}://${bracketed}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on `host` where nothing listens (bound, then released). */
export async function closedPort(host: string): Promise<number> {
  const s = await startServer(host, () => undefined);
  await s.close();
  return s.port;
}

export const text =
  (status: number, body: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
