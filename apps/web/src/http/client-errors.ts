import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What Node's HTTP parser and timers refuse before there is a request for Express: status, code and words. */
function answerTo(code: string | undefined): { status: number; reason: string; code: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'headers_too_large',
        message: 'The request headers are too large (16 KiB in all at most): send fewer or shorter headers (a smaller Cookie?).',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        code: 'request_timeout',
        message:
          'The request did not arrive in time (its headers within a minute, the whole of it within the request timeout): send it again.',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        reason: 'Payload Too Large',
        code: 'body_too_large',
        message: 'The chunk extensions of the request body are too large.',
      };
    default:
      return { status: 400, reason: 'Bad Request', code: 'malformed_request', message: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * Errors of a connection before Express sees a request (headers over Node's limit, headers or a request that
 * never finish arriving, bytes that are not HTTP): answered in the API's shape, `{ error: { code, message } }`,
 * instead of Node's bare status line (a 431 or 408 with no body), then the connection is closed. As Node does,
 * nothing is written once a response to the connection has begun (its client would read a corrupted answer).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      const a = answerTo(err.code);
      const body = JSON.stringify({ error: { code: a.code, message: a.message } });
      socket.write(
        `HTTP/1.1 ${a.status} ${a.reason}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroySoon();
  });
}
