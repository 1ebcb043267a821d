import net from 'node:net';

/**
 * A TCP proxy in front of a real service (PostgreSQL, Redis) that a test can cut and restore: the way to
 * take a dependency away from one platform without disturbing anything else on the machine.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    /** The address the proxy listens on (a test host's link address, for multi-host tests). */
    private readonly listenHost = '127.0.0.1',
  ) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, this.listenHost, resolve);
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Closes the listener and every open connection: the service is "down". */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** Listens again on the same port: the service is back. */
  async restore(): Promise<void> {
    if (this.server) return;
    await this.start(this.port);
  }
}

/**
 * A proxy in front of each of the test PostgreSQL and Redis, for a platform whose services a test takes away
 * and gives back: start() gives the ports to start the platform with; end() gives both services back, stops
 * the platform (which may then shut down cleanly), and closes the proxies.
 */
export class ServiceProxies {
  readonly pg: TcpProxy;
  readonly redis: TcpProxy;

  constructor(pgUrl: string, redisUrl: string) {
    const pg = new URL(pgUrl);
    const redis = new URL(redisUrl);
    this.pg = new TcpProxy(pg.hostname, Number(pg.port || 5432));
    this.redis = new TcpProxy(redis.hostname, Number(redis.port || 6379));
  }

  async start(): Promise<{ pgPort: number; redisPort: number }> {
    return { pgPort: await this.pg.start(), redisPort: await this.redis.start() };
  }

  async end(platform: { stop(): Promise<unknown> } | undefined): Promise<void> {
    await this.pg.restore().catch(() => undefined);
    await this.redis.restore().catch(() => undefined);
    await platform?.stop();
    await this.pg.cut();
    await this.redis.cut();
  }
}
