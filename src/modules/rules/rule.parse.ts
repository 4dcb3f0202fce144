import type { Dialect } from '../../db/knex';
import { BadInputError } from '../../errors';
import { limits } from '../../limits';
import { QueryError } from '../../query/errors';
import type { FieldResolver } from '../../query/fields';
import { compileQ } from '../../query/q-compile';
import { parseQ, type QNode, termsOf } from '../../query/q-parser';
import { customerRuleFields, itemRuleFields } from './rule.fields';

export type RuleSide = 'customer' | 'item';

/** A rule as stored and evaluated: its text, parsed, and what it reads. */
export interface ParsedRule {
  side: RuleSide;
  text: string;
  nodes: QNode[];
  /** Customer rules: names `legalEntity.*`, so its members are customer × legal entity (B2B). */
  b2b: boolean;
  /** Item rules: names `category.*`, so products are matched through their categories. */
  byCategory: boolean;
  /** Reads the clock (`now-180d`): evaluated on a schedule as well as on change. */
  usesNow: boolean;
}

const FIELDS: Record<RuleSide, FieldResolver> = { customer: customerRuleFields, item: itemRuleFields };
const PARAM: Record<RuleSide, string> = { customer: 'customerRule', item: 'itemRule' };
const RELATIVE = /^now([+-]\d+(ms|s|m|h|d|w))?$/;

/**
 * Parses and checks a rule: the q-language (same parser, values and errors), over the rule's own
 * fields. A bad rule is a 400 naming the parameter and the position (`customerRule: expected ':'
 * after field "customer.email" at position 14`). Empty text means "no rule".
 */
export function parseRule(side: RuleSide, text: string, dialect: Dialect = 'sqlite'): ParsedRule | null {
  if (text.trim() === '') return null;
  const param = PARAM[side];
  let nodes: QNode[];
  try {
    nodes = parseQ(text);
    // Compiled once and thrown away: an unknown field or a bad value is a 400 now, not a failed
    // evaluation later. (What compiling checks does not depend on the dialect.)
    compileQ(nodes, FIELDS[side], dialect);
  } catch (e) {
    if (e instanceof QueryError) throw new BadInputError(`${param}: ${e.message.replace(/^q: /, '')}`, param);
    throw e;
  }
  const terms = termsOf(nodes);
  const values = terms.flatMap((t) =>
    t.cond.op === 'cmp'
      ? t.cond.parts.map((p) => p.value)
      : t.cond.op === 'eq'
        ? [t.cond.value]
        : t.cond.op === 'in'
          ? t.cond.values
          : [],
  );
  return {
    side,
    text,
    nodes,
    b2b: terms.some((t) => t.field.startsWith('legalEntity.')),
    byCategory: terms.some((t) => t.field.startsWith('category.')),
    usesNow: values.some((v) => !v.quoted && RELATIVE.test(v.text)),
  };
}

/** The rule parameter's value from an input: null/absent/empty = no rule; else a string within the q limit. */
export function optionalRuleText(value: unknown, side: RuleSide): string | null {
  if (value === undefined || value === null || value === '') return null;
  const param = PARAM[side];
  if (typeof value !== 'string') throw new BadInputError(`${param} must be a string (q-language)`, param);
  const max = limits().ruleLength;
  if (value.length > max) throw new BadInputError(`${param}: ${value.length} characters; at most ${max}`, param);
  return value;
}

export { FIELDS as RULE_FIELDS };
