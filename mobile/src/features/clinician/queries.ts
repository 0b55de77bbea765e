/** TanStack Query hooks for the clinician's day: today's appointments (as their clinician) and visit outcomes. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { clinicianApi, WORKLIST_PAGE_SIZE, type ReviewInput, type VisitOutcome, type WorklistFilters } from './api';
import { unwrap } from '@/api/result';
import { RQKEY_APPOINTMENTS } from '@/features/appointments/queries';
import { RQKEY_SCREENINGS } from '@/features/screening/queries';
import type { Appointment } from '@/features/appointments/types';
import { dayKey, dayInZone } from '@/lib/format';

export const RQKEY_CLINICIAN_DAY = 'clinician-day';

/**
 * Appointments where `clinicianId` is the clinician that fall on today's date in `timeZone`, by start.
 * Asks for a day either side and keeps today's by the zone's calendar, so no zone arithmetic is needed.
 */
export function useTodaysVisitsQuery(clinicianId: number | undefined, timeZone: string) {
  const today = dayInZone(timeZone);
  return useQuery({
    queryKey: [RQKEY_APPOINTMENTS, RQKEY_CLINICIAN_DAY, clinicianId, today, timeZone],
    enabled: clinicianId !== undefined,
    queryFn: async (): Promise<Appointment[]> => {
      const now = Date.now();
      const page = unwrap(await clinicianApi.appointmentsBetween(new Date(now - 86_400_000).toISOString(), new Date(now + 86_400_000).toISOString()));
      return page.items
        .filter((a) => a.clinician.id === clinicianId && dayKey(a.start, timeZone) === today)
        .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    },
  });
}

export function useVisitOutcomeMutation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status }: { id: number; status: VisitOutcome }) => clinicianApi.setOutcome(id, status),
    onSuccess: (result) => {
      if (result.kind === 'ok') void queryClient.invalidateQueries({ queryKey: [RQKEY_APPOINTMENTS] });
    },
  });
}

export const RQKEY_WORKLIST = 'worklist';

export function useWorklistQuery(filters: WorklistFilters) {
  return useInfiniteQuery({
    queryKey: [RQKEY_WORKLIST, filters],
    queryFn: async ({ pageParam }) => unwrap(await clinicianApi.worklist(filters, pageParam)),
    // Changing a filter keeps the current rows on screen until the new ones arrive.
    placeholderData: keepPreviousData,
    initialPageParam: 1,
    getNextPageParam: (last, all) => {
      const loaded = all.reduce((n, p) => n + p.items.length, 0);
      return loaded < last.count && last.items.length === WORKLIST_PAGE_SIZE ? all.length + 1 : undefined;
    },
  });
}

/** High-risk screenings on my worklist no clinician has reviewed yet (the home screen's count). */
export function useUnreviewedHighRiskQuery(enabled: boolean) {
  return useQuery({
    queryKey: [RQKEY_WORKLIST, 'unreviewed-high'],
    enabled,
    queryFn: async () => unwrap(await clinicianApi.worklist({ risk: 'high', reviewed: false }, 1)).count,
  });
}

export function useReviewMutation(screeningId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ReviewInput) => clinicianApi.review(screeningId, input),
    onSuccess: (result) => {
      if (result.kind !== 'ok') return;
      void queryClient.invalidateQueries({ queryKey: [RQKEY_WORKLIST] });
      void queryClient.invalidateQueries({ queryKey: [RQKEY_SCREENINGS] });
    },
  });
}
