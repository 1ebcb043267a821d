import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// `.openapi()` on every schema of the contract: names components and adds descriptions and examples.
extendZodWithOpenApi(z);

export { z };
