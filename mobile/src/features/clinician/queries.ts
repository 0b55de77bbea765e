/** TanStack Query hooks for the clinician's day: today's appointments (as their clinician) and visit outcomes. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { clinicianApi, type VisitOutcome } from './api';
import { unwrap } from '@/api/result';
import { RQKEY_APPOINTMENTS } from '@/features/appointments/queries';
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
