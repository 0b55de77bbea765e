/** Renders a TanStack query's loading / error / offline / empty / data states in one place. */
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';

import { asFailure } from '@/api/result';
import { EmptyState, ErrorState, LoadingState } from './States';

type Props<T> = {
  query: UseQueryResult<T, Error>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: { title: string; body?: string; action?: { title: string; onPress: () => void; testID: string } };
  loadingLabel?: string;
};

export function QueryView<T>({ query, children, isEmpty, empty, loadingLabel }: Props<T>) {
  if (query.data === undefined) {
    if (query.isError) return <ErrorState failure={asFailure(query.error)} onRetry={() => void query.refetch()} />;
    return <LoadingState label={loadingLabel} />;
  }
  if (isEmpty?.(query.data)) {
    return <EmptyState title={empty?.title ?? 'Nothing here yet'} body={empty?.body} action={empty?.action} />;
  }
  return <>{children(query.data)}</>;
}
