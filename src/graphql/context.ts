import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../auth/verifier';
import type { Viewer } from '../auth/viewer';
import type { Config } from '../config';
import type { Database } from '../db/knex';
import { parseAcceptLanguage, parseContentLanguage } from '../i18n/language';
import { CatalogRepository } from '../modules/catalog/catalog.repository';
import { CustomerAssignmentRepository } from '../modules/customer-assignments/customer-assignment.repository';
import { ItemAssignmentRepository } from '../modules/item-assignments/item-assignment.repository';
import { SegmentRepository } from '../modules/segments/segment.repository';
import { StorefrontRepository } from '../modules/storefront/storefront.repository';
import { CategoryTreeCache } from '../modules/storefront/tree-cache';
import { type EvaluatorOptions, RuleEvaluator } from '../modules/rules/rule.evaluator';
import { RuleRepository } from '../modules/rules/rule.repository';
import { Loaders } from './loaders';

/** Process-wide pieces the per-request contexts share: built once in buildApp. */
export interface Services {
  config: Config;
  db: Database;
  verifier: TokenVerifier;
  segments: SegmentRepository;
  catalog: CatalogRepository;
  customerAssignments: CustomerAssignmentRepository;
  itemAssignments: ItemAssignmentRepository;
  storefront: StorefrontRepository;
  /** Category trees kept built while exact (modules/storefront/tree-cache.ts). */
  categoryTrees: CategoryTreeCache;
  rules: RuleEvaluator;
  ruleRepository: RuleRepository;
  /** The service's clock (injectable for tests): rules and time-bound memberships read it. */
  clock: () => number;
}

export interface ServiceOptions {
  /** The clock segment rules read `now` from (tests inject one). */
  clock?: () => number;
  /** Where a failed rule evaluation's cause is logged. */
  onRuleError?: EvaluatorOptions['onError'];
}

export function createServices(config: Config, db: Database, verifier: TokenVerifier, opts: ServiceOptions = {}): Services {
  const segments = new SegmentRepository(db, config.activeRequiresValidity);
  const clock = opts.clock ?? Date.now;
  const rules = new RuleEvaluator(db, {
    now: clock,
    statementTimeoutMs: config.limits.rulesStatementTimeoutMs,
    onError: opts.onRuleError,
  });
  segments.attachRules(rules);
  const storefront = new StorefrontRepository(db, segments, {
    maxEntries: config.limits.categoryCoverCacheSize,
    maxBytes: config.limits.categoryCoverCacheBytes,
  });
  return {
    config,
    db,
    verifier,
    segments,
    rules,
    ruleRepository: new RuleRepository(db, rules),
    clock,
    catalog: new CatalogRepository(db, segments, rules),
    customerAssignments: new CustomerAssignmentRepository(db, segments),
    itemAssignments: new ItemAssignmentRepository(db, segments),
    storefront,
    categoryTrees: new CategoryTreeCache(db, storefront, {
      maxEntries: config.limits.categoryTreeCacheSize,
      maxBytes: config.limits.categoryTreeCacheBytes,
    }),
  };
}

export interface Language {
  /** Accept-Language preferences; null = the whole map. */
  accept: string[] | null;
  /** Content-Language of the body, for plain-string localized values. */
  contentLanguage?: string;
  defaultLanguage: string;
}

/** The request's languages from its headers (Node already joins repeated ones with ", "). */
export function languageOf(headers: IncomingHttpHeaders, defaultLanguage: string): Language {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return {
    accept: parseAcceptLanguage(first(headers['accept-language'])),
    contentLanguage: parseContentLanguage(first(headers['content-language'])),
    defaultLanguage,
  };
}

/** Per request, for GraphQL and REST alike. */
export interface Context {
  viewer: Viewer | null;
  services: Services;
  lang: Language;
  loaders: Loaders;
  /** The HTTP request being served (absent for the CLIs' contexts): for log lines only. */
  request?: FastifyRequest;
  /**
   * "Now" for this request, read once: time-bound memberships are judged at one instant
   * throughout a request (and loaders keyed by it batch together).
   */
  now: number;
}

export function createContext(services: Services, viewer: Viewer | null, lang: Language, request?: FastifyRequest): Context {
  return { viewer, services, lang, loaders: new Loaders(services, viewer?.tenant ?? ''), request, now: services.clock() };
}
