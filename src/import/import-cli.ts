import 'reflect-metadata';
import { isTenant, TENANT_RULE } from '../auth/tenant';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { type Database, migrateLatest, openDatabase } from '../db/knex';
import { isLanguageTag } from '../i18n/language';
import { setLimits } from '../limits';
import { type ImportProgress, type ImportSummary, runImport } from './import';
import { KINDS } from './import.lines';

/**
 * `npm run import -- --tenant T FILE…`: NDJSON files into the tenant's reference store and
 * assignments, against the database the server uses (same config, same migrations).
 */
export const USAGE = `Usage: npm run import -- --tenant <tenant> [options] FILE...

Streams NDJSON files into the tenant's reference store and assignments: one JSON object per
line, with a "kind" of ${KINDS.join(', ')}.
Rejected lines are reported as FILE:LINE: reason and skipped; the rest is written.

Options:
  --tenant <tenant>      tenant to write to (required; ^[a-z][a-z0-9]+$, 3-16 characters)
  --batch-size <n>       lines of one kind per transaction (default 1000; 1-10000)
  --language <tag>       language of localized fields given as plain strings
                         (default: DEFAULT_LANGUAGE, else en)
  --quiet                no progress lines (rejections and the summary are still printed)
  -h, --help             this text

Exit status: 0 when every line was processed (rejected lines included), 1 on a fatal error
(e.g. the database is unreachable), 2 on a usage error.
`;

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Runs the CLI; resolves to the exit code (0 done, 1 fatal, 2 usage). */
export async function main(argv: string[], env: Record<string, string | undefined>, out: CliOutput): Promise<number> {
  const usageError = (message: string): number => {
    out.stderr(`error: ${message}\n\n${USAGE}`);
    return 2;
  };

  let values: { tenant?: string; 'batch-size'?: string; language?: string; quiet?: boolean; help?: boolean };
  let files: string[];
  try {
    ({ values, positionals: files } = parseArgs({
      args: argv,
      options: {
        tenant: { type: 'string' },
        'batch-size': { type: 'string' },
        language: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : 'bad arguments');
  }
  if (values.help) {
    out.stdout(USAGE);
    return 0;
  }
  const tenant = values.tenant;
  if (!tenant) return usageError('--tenant is required');
  if (!isTenant(tenant)) return usageError(`--tenant "${tenant}" is not a valid tenant (${TENANT_RULE})`);
  let batchSize: number | undefined;
  if (values['batch-size'] !== undefined) {
    batchSize = Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000) {
      return usageError(`--batch-size "${values['batch-size']}" must be an integer from 1 to 10000`);
    }
  }
  if (values.language !== undefined && !isLanguageTag(values.language)) {
    return usageError(`--language "${values.language}" is not a language tag`);
  }
  if (!files.length) return usageError('no input file given');
  for (const file of files) {
    try {
      if (!fs.statSync(file).isFile()) return usageError(`${file} is not a file`);
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      return usageError(`cannot read ${file}`);
    }
  }

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return usageError(err.message);
    throw err;
  }

  // The transaction retry bounds (DB_TX_*) are limits like the server's.
  setLimits(config.limits);
  let db: Database | undefined;
  try {
    db = openDatabase(config.db, config.limits);
    await migrateLatest(db);
    const summary = await runImport({
      db,
      tenant,
      files,
      batchSize,
      lang: { contentLanguage: values.language, defaultLanguage: config.defaultLanguage },
      onReject: (r) => out.stderr(`${r.file}:${r.line}: ${r.reason}\n`),
      onProgress: values.quiet ? undefined : (p) => out.stderr(`import: ${progressLine(p)}\n`),
    });
    out.stdout(summaryText(summary, tenant, config.db.client));
    return 0;
  } catch (err) {
    out.stderr(`error: import stopped: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await db?.knex.destroy();
  }
}

const num = (n: number): string => n.toLocaleString('en-US');

function progressLine(p: ImportProgress): string {
  return `${num(p.read)} lines read, ${num(p.written)} written, ${num(p.rejected)} rejected, ${num(p.rate)} lines/s`;
}

function summaryText(s: ImportSummary, tenant: string, client: string): string {
  const kinds = Object.entries(s.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${num(n)}`)
    .join(', ');
  return (
    `imported into tenant ${tenant} (${client}) in ${(s.elapsedMs / 1000).toFixed(1)} s: ${progressLine(s)}\n` +
    (kinds ? `written by kind: ${kinds}\n` : '')
  );
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
