import { BadInputError } from '../../errors';

/** One element's outcome in a bulk operation; `index` is added when the list is returned. */
export interface BulkOutcome {
  id?: string;
  code: number;
  status: string;
  message?: string;
}

export interface BulkResultShape extends BulkOutcome {
  index: number;
}

// Status texts as the contract's examples give them (204 is "OK" there, docs/behaviour.md keeps it).
const STATUS_TEXT: Record<number, string> = {
  201: 'Created',
  204: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
};

export function bulkOk(code: 201 | 204, id?: string): BulkOutcome {
  return { id, code, status: STATUS_TEXT[code] };
}

export function bulkError(code: 400 | 404 | 409, message: string, id?: string): BulkOutcome {
  return { id, code, status: STATUS_TEXT[code], message };
}

/** Runs a per-element validation, turning a BadInputError into that element's 400. */
export function validateEach<I, T>(inputs: readonly I[], fn: (input: I, i: number) => T): (T | BulkOutcome)[] {
  return inputs.map((input, i) => {
    try {
      return fn(input, i);
    } catch (e) {
      if (e instanceof BadInputError) return bulkError(400, e.message, idOf(input));
      throw e;
    }
  });
}

function idOf(input: unknown): string | undefined {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Attaches the 1-based positions the contract's examples use. */
export function indexed(outcomes: BulkOutcome[]): BulkResultShape[] {
  return outcomes.map((o, i) => ({ index: i + 1, ...o }));
}
