/** TanStack Query defaults: fetch even when NetInfo says offline (the client reports `offline`), retry only server errors. */
import { QueryClient } from '@tanstack/react-query';

import { ApiError } from '@/api/result';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        networkMode: 'always',
        staleTime: 30_000,
        retry: (count, error) => count < 2 && error instanceof ApiError && error.failure.kind === 'server' && error.failure.status >= 500,
      },
      mutations: { networkMode: 'always', retry: false },
    },
  });
}
