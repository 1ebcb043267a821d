import { readFile, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export type PortName = 'postgres' | 'redis';

/**
 * The TCP ports of the embedded servers on 127.0.0.1. Each server keeps the port it had last time when it
 * is still free (so a URL someone copied keeps working across restarts), else gets a new free one.
 */
export async function choosePort(embeddedDir: string, name: PortName, avoid: number[] = []): Promise<number> {
  const saved = (await readPorts(embeddedDir))[name];
  if (saved !== undefined && !avoid.includes(saved) && (await isPortFree(saved))) return saved;
  for (;;) {
    const port = await freePort();
    if (!avoid.includes(port)) return port;
  }
}

/** Called once, after every server has started (a read-modify-write: not for concurrent callers). */
export async function savePorts(embeddedDir: string, chosen: Partial<Record<PortName, number>>): Promise<void> {
  const file = path.join(embeddedDir, 'ports.json');
  const ports = await readPorts(embeddedDir);
  for (const [name, port] of Object.entries(chosen)) if (port !== undefined) ports[name as PortName] = port;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(ports)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

async function readPorts(embeddedDir: string): Promise<Partial<Record<PortName, number>>> {
  try {
    return JSON.parse(await readFile(path.join(embeddedDir, 'ports.json'), 'utf8')) as Partial<Record<PortName, number>>;
  } catch {
    return {};
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
