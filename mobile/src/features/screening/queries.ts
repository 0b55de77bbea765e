/**
 * TanStack Query hooks for screenings: server history and detail, sharing, deleting, and the
 * result of the screening just run (kept in memory by client_uuid, so the result screen can be
 * opened by URL and survive a re-render; after a reload the outbox and the server still have it).
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { unwrap } from '@/api/result';
import type { Page } from '@/api/types';
import { screenPhoto } from './engine';
import type { Photo, QualityReport, ScreeningOutcome } from './engine.types';
import { PAGE_SIZE, screeningsApi, type HistoryFilters } from './api';

export const RQKEY_SCREENINGS = 'screenings';

export type ShownOutcome = Extract<ScreeningOutcome, { kind: 'done' | 'queued' }>;

/** What the result screen shows: the outcome plus what the person chose and saw before screening. */
export type ScreeningRun = {
  outcome: ShownOutcome;
  photo: Photo;
  bodySite: string;
  note: string;
  /** The quality report of the photo, and whether the person screened it despite its issues. */
  quality: QualityReport | null;
  qualityOverridden: boolean;
  finishedAt: string;
};

const runs = new Map<string, ScreeningRun>();

export function rememberRun(run: ScreeningRun): void {
  runs.set(run.outcome.clientUuid, run);
}

/** The run with this client_uuid from this app session, or null (e.g. after a reload). */
export function useScreeningRun(clientUuid: string) {
  return useQuery({
    queryKey: [RQKEY_SCREENINGS, 'run', clientUuid],
    queryFn: () => runs.get(clientUuid) ?? null,
    staleTime: Infinity,
    networkMode: 'always',
  });
}

export type ScreenInput = {
  photo: Photo;
  askServer: boolean;
  bodySite: string;
  note: string;
  quality: QualityReport | null;
  qualityOverridden: boolean;
};

/** Screen a photo through the engine (device first, the server when the fallback policy or the person asks). */
export function useScreenMutation() {
  const queryClient = useQueryClient();
  return useMutation({
    networkMode: 'always',
    mutationFn: async (input: ScreenInput): Promise<ScreeningOutcome> => {
      try {
        return await screenPhoto(input.photo, { askServer: input.askServer, bodySite: input.bodySite || undefined, note: input.note || undefined });
      } catch (error) {
        return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
      }
    },
    onSuccess: (outcome, input) => {
      if (outcome.kind !== 'done' && outcome.kind !== 'queued') return;
      const run: ScreeningRun = {
        outcome,
        photo: input.photo,
        bodySite: input.bodySite,
        note: input.note,
        quality: input.quality,
        qualityOverridden: input.qualityOverridden,
        finishedAt: new Date().toISOString(),
      };
      rememberRun(run);
      queryClient.setQueryData([RQKEY_SCREENINGS, 'run', outcome.clientUuid], run);
      void queryClient.invalidateQueries({ queryKey: [RQKEY_SCREENINGS, 'list'] });
    },
  });
}

function nextPage<T>(last: Page<T>, all: Page<T>[]): number | undefined {
  const loaded = all.reduce((n, p) => n + p.items.length, 0);
  return loaded < last.count && last.items.length === PAGE_SIZE ? all.length + 1 : undefined;
}

export function useScreeningsQuery(filters: HistoryFilters) {
  return useInfiniteQuery({
    queryKey: [RQKEY_SCREENINGS, 'list', filters.risk ?? 'all', filters.source ?? 'all'],
    queryFn: async ({ pageParam }) => unwrap(await screeningsApi.list(pageParam, filters)),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function useScreeningQuery(id: string) {
  return useQuery({ queryKey: [RQKEY_SCREENINGS, 'detail', id], queryFn: async () => unwrap(await screeningsApi.get(id)) });
}

/** The screening's photo as a Blob (fetched with the bearer token). */
export function useScreeningPhotoQuery(id: string, enabled = true) {
  return useQuery({
    queryKey: [RQKEY_SCREENINGS, 'photo', id],
    queryFn: async () => unwrap(await screeningsApi.photo(id)),
    enabled,
    staleTime: 60 * 60_000,
  });
}

export function useSharesQuery(id: string) {
  return useQuery({ queryKey: [RQKEY_SCREENINGS, 'shares', id], queryFn: async () => unwrap(await screeningsApi.shares(id)) });
}

export function useShareMutation(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (clinicianId: number) => screeningsApi.share(id, clinicianId),
    onSuccess: (result) => {
      if (result.kind === 'ok') void queryClient.invalidateQueries({ queryKey: [RQKEY_SCREENINGS, 'shares', id] });
    },
  });
}

export function useUnshareMutation(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (clinicianId: number) => screeningsApi.unshare(id, clinicianId),
    onSuccess: (result) => {
      if (result.kind === 'ok') void queryClient.invalidateQueries({ queryKey: [RQKEY_SCREENINGS, 'shares', id] });
    },
  });
}

export function useDeleteScreeningMutation(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => screeningsApi.remove(id),
    onSuccess: (result) => {
      if (result.kind !== 'ok' && result.kind !== 'not_found') return;
      queryClient.removeQueries({ queryKey: [RQKEY_SCREENINGS, 'detail', id] });
      queryClient.removeQueries({ queryKey: [RQKEY_SCREENINGS, 'photo', id] });
      void queryClient.invalidateQueries({ queryKey: [RQKEY_SCREENINGS, 'list'] });
    },
  });
}
