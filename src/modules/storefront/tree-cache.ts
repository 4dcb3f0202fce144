import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Database } from '../../db/knex';
import { readTenantVersion } from '../../db/tenant-version';
import type { Language } from '../../graphql/context';
import { pickLocalized } from '../../i18n/language';
import { categoryNodeBody, type TreeNodeData } from '../../rest/bodies';
import type { Membership } from '../segments/segment.repository';
import type { BuiltTrees, StorefrontRepository } from './storefront.repository';
import type { CategoryNodeRecord } from './storefront.type';
import { type VersionedEntry, VersionedCache } from './versioned-cache';

/** A tree request, resolved: whose trees, of which site, as at which instant. */
export interface TreeRequest {
  tenant: string;
  member: Membership;
  siteCode: string | undefined;
  at: number;
}

const gzipAsync = promisify(gzipCallback);

/** Answers smaller than this are not worth compressing. */
const GZIP_MIN_BYTES = 1024;

/** A REST answer of GET /segments/items/category-trees, serialized (UTF-8), with its entity tag. */
export interface TreeReply {
  etag: string;
  body: Buffer;
  /**
   * The same bytes gzip-compressed, made once per kept answer (in libuv's thread pool, shared by
   * concurrent requests) and kept beside it; absent for small answers.
   */
  gzip?: () => Promise<Buffer>;
}

/** A kept answer and, once a client has asked for it, its gzip form. */
interface Body {
  raw: Buffer;
  gzip?: Promise<Buffer>;
}

interface Entry extends BuiltTrees, VersionedEntry {
  /**
   * Serialized REST answers by language preference (Accept-Language, normalized), as bytes: a
   * kept answer is written to the socket as it is, not encoded again on every request.
   */
  bodies: Map<string, Body>;
  bodyBytes: number;
}

/**
 * GET /segments/items/category-trees nests subcategories 12 levels below a root (the GraphQL
 * operation behind it, rest/operations/storefront.graphql, has no unbounded recursion): the
 * serialized answer stops at the same depth.
 */
const REST_DEPTH = 13;

const EMPTY = Buffer.from('[]');

/** Part of every entity tag: a change in how answers are serialized changes them all. */
const FORMAT = 'tree-1';

/**
 * Category trees, built once per (tenant, set of active segments) and kept while exact.
 *
 * A tree depends on the categories and on the set's CATEGORY assignments valid at the instant
 * asked. Every write of those bumps the tenant's `category-tree` version in its own transaction
 * (triggers, migrations/008_tree_versions.ts), so a kept tree is used only when:
 *
 * - the version it was built at is the stored one — one primary-key read per request, which is
 *   what lets several instances keep their own caches with no messages between them; and
 * - the instant asked lies in the interval its build found exact (between the validity bounds
 *   of the set's assignments around the instant it was built for).
 *
 * The set itself (the member's active segments at that instant, of the site) is read on every
 * request: memberships, segment status and validity never make a stale tree look current.
 * No time-to-live decides anything. The REST answer is kept serialized per language next to the
 * records, with an entity tag from tenant, version, set, interval, site and language. The cache
 * is an LRU bounded by count and estimated bytes (limits.ts); concurrent misses of one tree at
 * one version share one build.
 */
export class CategoryTreeCache {
  private readonly cache: VersionedCache<Entry>;

  constructor(
    private readonly db: Database,
    private readonly repo: StorefrontRepository,
    opts: { maxEntries: number; maxBytes: number },
  ) {
    this.cache = new VersionedCache<Entry>({ ...opts, bytes: (e) => e.bytes + e.bodyBytes });
  }

  /** The trees (GraphQL's categoryTrees). */
  async trees(req: TreeRequest): Promise<CategoryNodeRecord[]> {
    const found = await this.entry(req);
    return found ? found.entry.roots : [];
  }

  /** The REST answer, serialized, and its entity tag. */
  async rest(req: TreeRequest, lang: Language): Promise<TreeReply> {
    const langKey = JSON.stringify([lang.accept, lang.defaultLanguage]);
    const found = await this.entry(req);
    if (!found) return { etag: this.etag(req, 0, '', -Infinity, Infinity, langKey), body: EMPTY };
    const { entry, key } = found;
    const etag = this.etag(req, entry.version, key, entry.from, entry.to, langKey);
    let body = entry.bodies.get(langKey);
    if (body === undefined) {
      body = { raw: Buffer.from(JSON.stringify(entry.roots.map((n) => restNode(n, lang, 1))), 'utf8') };
      entry.bodies.set(langKey, body);
      this.grow(key, entry, body.raw.length);
    }
    const kept = body;
    if (kept.raw.length < GZIP_MIN_BYTES) return { etag, body: kept.raw };
    const gzip = (): Promise<Buffer> => {
      if (kept.gzip === undefined) {
        kept.gzip = gzipAsync(kept.raw);
        kept.gzip.then(
          (zipped) => this.grow(key, entry, zipped.length),
          // Not kept: the next request tries again (the caller answers this one uncompressed).
          () => (kept.gzip = undefined),
        );
      }
      return kept.gzip;
    };
    return { etag, body: kept.raw, gzip };
  }

  /** Counts `bytes` more of an entry's answers against the cache's bound (which may drop it). */
  private grow(key: string, entry: Entry, bytes: number): void {
    entry.bodyBytes += bytes;
    this.cache.resized(key, entry);
  }

  /** Drops every kept tree (tests; the version makes this unnecessary for correctness). */
  clear(): void {
    this.cache.clear();
  }

  private etag(req: TreeRequest, version: number, key: string, from: number, to: number, langKey: string): string {
    const hash = createHash('sha256')
      .update([FORMAT, req.tenant, version, key, from, to, req.siteCode ?? '\u0000', langKey].join('\u0001'))
      .digest('base64url')
      .slice(0, 32);
    return `"${hash}"`;
  }

  /** The kept or freshly built trees for the request; undefined when it has no active segments. */
  private async entry(req: TreeRequest): Promise<{ entry: Entry; key: string } | undefined> {
    const [segments, version] = await Promise.all([
      this.repo.treeSegments(req.tenant, req.member, req.siteCode, req.at),
      readTenantVersion(this.db.knex, req.tenant, 'category-tree'),
    ]);
    if (!segments.length) return undefined;
    const key = `${req.tenant}\u0000${segments.join('\u0000')}`;
    const entry = await this.cache.get(key, version, req.at, async () => ({
      ...(await this.repo.treesOfSegments(req.tenant, segments, req.at)),
      version,
      bodies: new Map(),
      bodyBytes: 0,
    }));
    return { entry, key };
  }
}

/** A node as GET /segments/items/category-trees answers it: the GraphQL fields, then bodies.ts. */
function restNode(n: CategoryNodeRecord, lang: Language, depth: number): Record<string, unknown> {
  const c = n.category;
  const data: TreeNodeData = {
    id: c.id,
    parentId: c.parentId,
    code: c.code,
    name: pickLocalized(c.name, lang.accept, lang.defaultLanguage),
    localizedDescription: pickLocalized(c.description, lang.accept, lang.defaultLanguage),
    localizedSlug: pickLocalized(c.slug, lang.accept, lang.defaultLanguage),
    ecn: c.ecn,
    validity: c.validity ? { from: c.validity.from?.toISOString() ?? null, to: c.validity.to?.toISOString() ?? null } : null,
    position: c.position,
    published: c.published,
    isSegmentAssigned: n.isSegmentAssigned,
    subcategories: [],
  };
  const body = categoryNodeBody(data);
  if (depth < REST_DEPTH && n.subcategories.length) {
    body.subcategories = n.subcategories.map((s) => restNode(s, lang, depth + 1));
  }
  return body;
}
