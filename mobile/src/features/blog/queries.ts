/** TanStack Query hooks for the blog; bookmarking is optimistic and rolls back on failure. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { ApiError, unwrap } from '@/api/result';
import type { Page } from '@/api/types';
import { blogApi, PAGE_SIZE } from './api';
import type { Post } from './types';

export const RQKEY_POSTS = 'posts';
export const RQKEY_BOOKMARKS = 'bookmarks';

function nextPage<T>(last: Page<T>, all: Page<T>[]): number | undefined {
  const loaded = all.reduce((n, p) => n + p.items.length, 0);
  return loaded < last.count && last.items.length === PAGE_SIZE ? all.length + 1 : undefined;
}

export function usePostsQuery(search: string, tag: string | null) {
  return useInfiniteQuery({
    queryKey: [RQKEY_POSTS, 'list', { search, tag }],
    queryFn: async ({ pageParam }) => unwrap(await blogApi.posts({ search, tag: tag ?? undefined, page: pageParam })),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function usePostQuery(slug: string) {
  return useQuery({ queryKey: [RQKEY_POSTS, 'detail', slug], queryFn: async () => unwrap(await blogApi.post(slug)) });
}

export function useBookmarksQuery() {
  return useInfiniteQuery({
    queryKey: [RQKEY_BOOKMARKS],
    queryFn: async ({ pageParam }) => unwrap(await blogApi.bookmarks(pageParam)),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function useBookmarkMutation(slug: string) {
  const queryClient = useQueryClient();
  const key = [RQKEY_POSTS, 'detail', slug];
  return useMutation({
    mutationFn: async (bookmarked: boolean) => {
      const result = bookmarked ? await blogApi.bookmark(slug) : await blogApi.unbookmark(slug);
      if (result.kind !== 'ok') throw new ApiError(result);
      return bookmarked;
    },
    onMutate: async (bookmarked) => {
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<Post>(key);
      if (previous) queryClient.setQueryData<Post>(key, { ...previous, bookmarked });
      return { previous };
    },
    onError: (_error, _bookmarked, context) => {
      if (context?.previous) queryClient.setQueryData(key, context.previous);
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: [RQKEY_BOOKMARKS] });
      void queryClient.invalidateQueries({ queryKey: [RQKEY_POSTS, 'list'] });
    },
  });
}
