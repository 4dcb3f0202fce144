import fs from 'node:fs';
import path from 'node:path';
import { printedSchema } from '../src/graphql/schema';

// `npm run schema:emit` writes schema/schema.graphql; `--check` fails when the file is stale.
const file = path.resolve(__dirname, '..', '..', 'schema', 'schema.graphql');
const sdl = printedSchema();
if (process.argv.includes('--check')) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (current !== sdl) {
    console.error('schema/schema.graphql is stale: run `npm run schema:emit` and commit it.');
    process.exit(1);
  }
  console.log('schema/schema.graphql is up to date.');
} else {
  fs.writeFileSync(file, sdl);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
