/** Blog endpoints: posts, search, bookmarks. */
import { api } from '@/api';
import { route, type Page } from '@/api/types';
import type { Post, PostSummary } from './types';

export const PAGE_SIZE = 20;

export const blogApi = {
  posts: (params: { search?: string; tag?: string; page?: number }) =>
    api.get<Page<PostSummary>>(route('/api/v1/posts'), { query: { ...params, page_size: PAGE_SIZE } }),
  post: (slug: string) => api.get<Post>(route('/api/v1/posts/{slug}', { slug })),
  bookmark: (slug: string) => api.put<void>(route('/api/v1/posts/{slug}/bookmark', { slug })),
  unbookmark: (slug: string) => api.delete<void>(route('/api/v1/posts/{slug}/bookmark', { slug })),
  bookmarks: (page: number) => api.get<Page<PostSummary>>(route('/api/v1/bookmarks'), { query: { page, page_size: PAGE_SIZE } }),
};
