import net from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now (the kernel's choice), for the platforms the tests and the bench
 * start side by side. Another process may take it before it is used; the platform then says the port is in use.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
