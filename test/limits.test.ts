import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { LIMIT_SPECS, type LimitSpec, loadLimits } from '../src/limits';

/** Limits as data: the README's table says what src/limits.ts says, for every entry there is. */
const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Limits'), readme.indexOf('\n## ', readme.indexOf('## Limits') + 1));
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );

describe.each(Object.entries(LIMIT_SPECS) as [string, LimitSpec][])('README "Limits" row of %s', (name, spec) => {
  test('names the limit, its default and its setting', () => {
    const row = rows.find((cells) => cells[0] === `\`${name}\``);
    if (!row) throw new Error(`README "## Limits" has no row for \`${name}\``);
    const [, defaultCell, settingCell, what] = row;
    // 65536 or 65,536: either spelling of the default.
    expect(defaultCell.replace(/[,_\s]/g, '')).toBe(String(spec.default));
    expect(settingCell).toBe(`\`${spec.env}\``);
    expect(what.length).toBeGreaterThan(10);
  });
});

test('the table has no row for a limit that does not exist', () => {
  const names = rows.slice(2).map((cells) => cells[0].replace(/`/g, ''));
  expect(names.sort()).toEqual(Object.keys(LIMIT_SPECS).sort());
});

describe('settings', () => {
  test('defaults, overridden by positive integers', () => {
    expect(loadLimits({}).jsonDepth).toBe(16);
    expect(loadLimits({ LIMIT_JSON_DEPTH: '8' }).jsonDepth).toBe(8);
    expect(() => loadConfig({ LIMIT_NAME_LENGTH: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LIMIT_NAME_LENGTH: 'lots' })).toThrow(ConfigError);
  });

  test('a delay may be 0 (off), not negative', () => {
    expect(loadLimits({ SHUTDOWN_DELAY_MS: '0' }).shutdownDelayMs).toBe(0);
    expect(() => loadConfig({ SHUTDOWN_DELAY_MS: '-1' })).toThrow(/SHUTDOWN_DELAY_MS must be an integer of at least 0/);
  });

  test('a limit fixed by a column size can be lowered, not raised', () => {
    expect(loadLimits({ LIMIT_ID_LENGTH: '32' }).idLength).toBe(32);
    expect(() => loadConfig({ LIMIT_ID_LENGTH: '65' })).toThrow(/LIMIT_ID_LENGTH must be at most 64/);
    expect(() => loadConfig({ LIMIT_TEXT_LENGTH: '256' })).toThrow(/LIMIT_TEXT_LENGTH must be at most 255/);
  });
});
