import { ContractViolation, unknownQueryParameters } from '@batchcast/contract';
import type { RequestHandler } from 'express';

/**
 * A query parameter an endpoint of the API does not take (`GET /api/jobs?stauts=failed`) is refused with
 * `422 unknown_parameter` naming it, as a JSON field it does not take is (`unknown_field`), rather than
 * ignored: the answer would otherwise be another than the one asked for. The parameters each endpoint takes
 * are the contract's (packages/contract, the OpenAPI document).
 */
export function refuseUnknownQueryParameters(): RequestHandler {
  return (req, _res, next) => {
    const found = unknownQueryParameters(req.method, req.path, Object.keys(req.query ?? {}));
    if (!found) return next();
    const names = found.unknown.map((n) => JSON.stringify(n.slice(0, 100))).join(', ');
    const takes = found.parameters.length ? `it takes ${found.parameters.map((p) => `"${p}"`).join(', ')}` : 'it takes none';
    next(
      new ContractViolation(
        found.unknown[0]!.slice(0, 100),
        'unknown_parameter',
        `Not a query parameter of ${found.method} ${found.route}: ${names} (${takes}). Check the spelling (GET /api/openapi.json lists the parameters).`,
      ),
    );
  };
}
