import path from 'node:path';
import addFormats from 'ajv-formats';
import { OpenAPIBackend } from 'openapi-backend';

/**
 * Validates REST answers against the contract (spec/customer-segment.openapi.yaml),
 * date-time formats included (ajv-formats; without it `format` is silently ignored).
 */
const SPEC = path.resolve(__dirname, '../../spec/customer-segment.openapi.yaml');

let api: Promise<OpenAPIBackend> | undefined;

function load(): Promise<OpenAPIBackend> {
  api ??= (async () => {
    const backend = new OpenAPIBackend({
      definition: SPEC,
      strict: false,
      quick: false,
      validate: true,
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    await backend.init();
    return backend;
  })();
  return api;
}

/** Throws with the validator's complaints when the body does not match the documented response. */
export async function expectContract(operationId: string, status: number, body: unknown): Promise<void> {
  const backend = await load();
  const result = backend.validateResponse(body, operationId, status);
  if (result.errors?.length) {
    throw new Error(
      `${operationId} ${status} does not match the contract: ${JSON.stringify(result.errors, null, 1)}\nbody: ${JSON.stringify(body)}`,
    );
  }
}
