/** Blog endpoints: posts, search, bookmarks. */
import { api } from '@/api';
import type { Page } from '@/api/types';
import type { Post, PostSummary } from './types';

export const PAGE_SIZE = 20;

export const blogApi = {
  posts: (params: { search?: string; tag?: string; page?: number }) =>
    api.get<Page<PostSummary>>('/api/v1/posts', { query: { ...params, page_size: PAGE_SIZE } }),
  post: (slug: string) => api.get<Post>(`/api/v1/posts/${encodeURIComponent(slug)}`),
  bookmark: (slug: string) => api.put<void>(`/api/v1/posts/${encodeURIComponent(slug)}/bookmark`),
  unbookmark: (slug: string) => api.delete<void>(`/api/v1/posts/${encodeURIComponent(slug)}/bookmark`),
  bookmarks: (page: number) => api.get<Page<PostSummary>>('/api/v1/bookmarks', { query: { page, page_size: PAGE_SIZE } }),
};
