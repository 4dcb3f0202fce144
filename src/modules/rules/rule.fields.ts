import { makeResolver } from '../../query/fields';

/**
 * What segment rules may name (README "Segment rules"), as q-language fields over the reference
 * store. The table aliases are those of the evaluator's statements (rule.sql.ts): `c` customers,
 * `cle` customer ↔ legal entity links, `le` legal entities, `p` products, `anc` a product's
 * categories and their ancestors, `cat` the category row of one of those.
 */
export const customerRuleFields = makeResolver({
  columns: {
    'customer.id': { column: 'c.id', kind: 'string' },
    'customer.email': { column: 'c.email', kind: 'string' },
    'customer.firstName': { column: 'c.first_name', kind: 'string' },
    'customer.lastName': { column: 'c.last_name', kind: 'string' },
    // The link's id: a legal entity the store does not know still has one.
    'legalEntity.id': { column: 'cle.legal_entity_id', kind: 'string' },
    'legalEntity.name': { column: 'le.name', kind: 'string' },
  },
  json: { 'customer.mixins': 'c.mixins', 'legalEntity.mixins': 'le.mixins' },
});

export const itemRuleFields = makeResolver({
  columns: {
    'product.id': { column: 'p.id', kind: 'string' },
    'product.code': { column: 'p.code', kind: 'string' },
    // The link's id: an unknown category still has one.
    'category.id': { column: 'anc.category_id', kind: 'string' },
    'category.code': { column: 'cat.code', kind: 'string' },
  },
  json: { 'product.mixins': 'p.mixins' },
});
