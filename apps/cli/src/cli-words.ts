/**
 * The server's messages are written for its HTTP API and some send the reader to an endpoint ("GET /api/models
 * lists the models"). A person at the command line is sent to the command that does it instead.
 */
const HTTP_HINTS: readonly [RegExp, string][] = [
  [/GET \/api\/models lists the models and their versions/, 'batchcast models list shows the models (--json: every version)'],
  [/GET \/api\/jobs\?status=running lists them/, 'batchcast jobs --status running lists them'],
];

export function inCliWords(message: string): string {
  return HTTP_HINTS.reduce((text, [http, cli]) => text.replace(http, cli), message);
}
