import { type ClassType, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';

/** A page as resolvers return it: rows and count are fetched only when their fields are selected. */
export interface PageRoot<T> {
  pageNumber: number;
  pageSize: number;
  load: () => Promise<T[]>;
  count: () => Promise<number>;
}

/**
 * The page type of a list (`SegmentPage`, `CustomerAssignmentPage`, …) and the resolver of its
 * two lazy fields: `items` runs the page query, `totalCount` the count query, each only when
 * selected. One definition, so every listing pages and counts the same way.
 */
export function pageOf<T>(itemType: ClassType, name: string, what: string) {
  @ObjectType(name, { description: `One page of ${what}.` })
  class Page {
    @Field(() => [itemType])
    items!: T[];

    @Field(() => Int, { description: 'Matches ignoring paging. Counted only when asked for.' })
    totalCount!: number;

    @Field(() => Int)
    pageNumber!: number;

    @Field(() => Int)
    pageSize!: number;
  }

  @Resolver(() => Page)
  class PageResolver {
    @FieldResolver(() => [itemType])
    items(@Root() page: PageRoot<T>): Promise<T[]> {
      return page.load();
    }

    @FieldResolver(() => Int)
    totalCount(@Root() page: PageRoot<T>): Promise<number> {
      return page.count();
    }
  }

  return { Page, PageResolver };
}
