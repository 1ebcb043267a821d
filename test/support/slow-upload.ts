import http from 'node:http';

/**
 * A multipart upload written by hand, a piece at a time (chunked transfer encoding): the test decides when the
 * server gets each byte. `fieldsAfter` go after the file (the old path: the job is only made at the end).
 */
export function startSlowUpload(
  url: string,
  fieldsBefore: Record<string, string>,
  fieldsAfter: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  const boundary = `----early${Date.now()}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const req = http.request(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => req.write(data, (err) => (err ? reject(err) : resolve())));
  return {
    answer,
    async start(): Promise<void> {
      await write(
        Object.entries(fieldsBefore)
          .map(([k, v]) => field(k, v))
          .join(''),
      );
      await write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\n`);
    },
    write,
    async end(): Promise<{ status: number; body: string }> {
      await write(
        `\r\n${Object.entries(fieldsAfter)
          .map(([k, v]) => field(k, v))
          .join('')}--${boundary}--\r\n`,
      );
      req.end();
      return answer;
    },
    abort(): void {
      req.destroy();
    },
  };
}
