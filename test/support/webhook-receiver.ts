import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a webhook receiver got: the request, and what became of its answer. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The status answered; null while held (or never, when the sender went away first). */
  answered: number | null;
  /** Whether the answer reached the sender's socket (false when it was gone before we answered). */
  answerDelivered: boolean;
  /** Resolves when the sender's connection closes. */
  closed: Promise<void>;
}

/**
 * How to answer a request: a status (with an optional body), a redirect, or `hold`: keep the request open
 * until release() (or the sender giving up), to make timeouts and crashes mid-delivery.
 */
export type Reply = number | { status: number; body?: string; headers?: Record<string, string> } | 'hold';

/**
 * A real HTTP receiver for webhook tests, on 127.0.0.1 (allowed with WEBHOOK_ALLOW_HOSTS=127.0.0.1:*, as it listens on a port of its own): it
 * records every request with its headers and exact body, and answers as scripted (the replies in order,
 * then `fallback`). Tests wait for requests with waitFor (a positive signal, never a sleep).
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly server: http.Server;
  private script: Reply[] = [];
  private fallback: Reply = 200;
  private held: (() => void)[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The next answers, in order; after them, `fallback` (200 unless changed). */
  reply(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  otherwise(fallback: Reply): this {
    this.fallback = fallback;
    return this;
  }

  /** Answers every held request with 200 (a request whose sender went away meanwhile gets nothing). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  /** Resolves once `n` requests have arrived (all of them so far, when they have). */
  waitFor(n: number, timeoutMs = 60_000): Promise<ReceivedRequest[]> {
    if (this.requests.length >= n) return Promise.resolve(this.requests.slice(0, n));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`webhook receiver: ${this.requests.length} of ${n} requests within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.requests.slice(0, n));
        },
      });
    });
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      let onClose: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (onClose = resolve));
      res.once('close', onClose);
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(parts).toString('utf8'),
        answered: null,
        answerDelivered: false,
        closed,
      };
      this.requests.push(received);
      for (const w of this.waiters.filter((w) => this.requests.length >= w.n)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
      const reply = this.script.shift() ?? this.fallback;
      const answer = (r: Exclude<Reply, 'hold'>) => {
        const { status, body, headers } = typeof r === 'number' ? { status: r, body: `status ${r}`, headers: {} } : r;
        received.answered = status;
        if (res.destroyed || req.socket.destroyed) return;
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(body ?? '', () => {
          received.answerDelivered = true;
        });
      };
      if (reply === 'hold') this.held.push(() => answer(200));
      else answer(reply);
    });
  }
}
