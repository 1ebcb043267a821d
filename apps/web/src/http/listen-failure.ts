import { StartError } from '@batchcast/runtime';

/**
 * Why the server could not listen, in words that name the address and say what to do. These are causes a
 * restart does not cure, so they are StartErrors: the supervisor stops the platform instead of retrying.
 */
export function listenFailure(err: Error, host: string, port: number, variable: 'PORT' | 'DEV_OUTBOX_PORT' = 'PORT'): Error {
  const code = (err as { code?: string }).code;
  const where = `${host}:${port}`;
  // The development outbox can also be turned off; the app's port cannot.
  const orOff = variable === 'DEV_OUTBOX_PORT' ? ', or to off for no development outbox' : '';
  if (code === 'EADDRINUSE') {
    return new StartError(
      `cannot listen on ${where}: port ${port} is already in use (another batchcast, or another program). Stop it, or set ${variable} to a free port${orOff}.`,
    );
  }
  if (code === 'EACCES') {
    const example = variable === 'PORT' ? 'PORT=3000) behind a proxy' : 'DEV_OUTBOX_PORT=3001)';
    return new StartError(
      `cannot listen on ${where}: port ${port} needs privileges this process does not have. Use a port above 1023 (e.g. ${example}${orOff}.`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new StartError(
      `cannot listen on ${where}: HOST=${host} is not an address of this machine. Use 0.0.0.0 (every interface) or 127.0.0.1 (this machine only).`,
    );
  }
  return err;
}
