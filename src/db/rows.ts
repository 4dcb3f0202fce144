/**
 * The one place rows become values: JSON text, epoch-millisecond timestamps and 0/1 booleans
 * are converted here and nowhere else.
 */
export function parseJson<T>(text: unknown): T | null {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string') return text as T; // a driver that already parsed it
  return JSON.parse(text) as T;
}

export function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function msToDate(ms: unknown): Date | null {
  if (ms === null || ms === undefined) return null;
  return new Date(typeof ms === 'string' ? Number(ms) : (ms as number));
}

export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}

export function toInt(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** The versioned-document columns every table shares → the `metadata` of its record. */
export interface MetadataColumns {
  created_at: number | string;
  modified_at: number | string;
  version: number | string;
  metadata_mixins: string | null;
}

export function toMetadata(row: MetadataColumns): {
  createdAt: Date;
  modifiedAt: Date;
  version: number;
  mixins: Record<string, string> | null;
} {
  return {
    createdAt: msToDate(row.created_at) as Date,
    modifiedAt: msToDate(row.modified_at) as Date,
    version: toInt(row.version),
    mixins: parseJson(row.metadata_mixins),
  };
}

/** `validity_from` / `validity_to` columns (epoch ms) → `{ from, to }`, or null when neither is set. */
export function toValidity(row: {
  validity_from?: unknown;
  validity_to?: unknown;
}): { from: Date | null; to: Date | null } | null {
  const from = msToDate(row.validity_from ?? null);
  const to = msToDate(row.validity_to ?? null);
  return from || to ? { from, to } : null;
}
