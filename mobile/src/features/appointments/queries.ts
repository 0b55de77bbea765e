/** TanStack Query hooks for appointments. Times are shown in the user's profile time zone. */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';

import { unwrap } from '@/api/result';
import type { Page } from '@/api/types';
import { useMeQuery } from '@/features/auth/queries';
import { deviceTimeZone } from '@/features/auth/validation';
import { uuid4 } from '@/lib/id';
import { appointmentsApi, PAGE_SIZE } from './api';

export const RQKEY_APPOINTMENTS = 'appointments';
export const RQKEY_CLINICIANS = 'clinicians';

function nextPage<T>(last: Page<T>, all: Page<T>[]): number | undefined {
  const loaded = all.reduce((n, p) => n + p.items.length, 0);
  return loaded < last.count && last.items.length === PAGE_SIZE ? all.length + 1 : undefined;
}

/** The zone to show times in: the profile's, else the device's. */
export function useUserTimeZone(): string {
  return useMeQuery().data?.time_zone || deviceTimeZone();
}

export function useCliniciansQuery() {
  return useInfiniteQuery({
    queryKey: [RQKEY_CLINICIANS, 'list'],
    queryFn: async ({ pageParam }) => unwrap(await appointmentsApi.clinicians(pageParam)),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function useClinicianQuery(id: number) {
  return useQuery({ queryKey: [RQKEY_CLINICIANS, 'detail', id], queryFn: async () => unwrap(await appointmentsApi.clinician(id)) });
}

export function useSlotsQuery(id: number, start: string, end: string, tz: string) {
  return useQuery({
    queryKey: [RQKEY_CLINICIANS, 'slots', id, start, end, tz],
    queryFn: async () => unwrap(await appointmentsApi.slots(id, start, end, tz)).items,
    staleTime: 10_000,
  });
}

export function useMyAppointmentsQuery() {
  return useInfiniteQuery({
    queryKey: [RQKEY_APPOINTMENTS, 'list'],
    queryFn: async ({ pageParam }) => unwrap(await appointmentsApi.mine(pageParam)),
    initialPageParam: 1,
    getNextPageParam: nextPage,
  });
}

export function useAppointmentQuery(id: number) {
  return useQuery({ queryKey: [RQKEY_APPOINTMENTS, 'detail', id], queryFn: async () => unwrap(await appointmentsApi.get(id)) });
}

function useInvalidateAppointments() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: [RQKEY_APPOINTMENTS] });
    void queryClient.invalidateQueries({ queryKey: [RQKEY_CLINICIANS, 'slots'] });
  };
}

/**
 * Book a slot. The idempotency key belongs to the (clinician, start) choice: a retry of the same
 * choice after a timeout reuses it, so the server books at most once.
 */
export function useBookMutation() {
  const invalidate = useInvalidateAppointments();
  const keys = useRef(new Map<string, string>());
  return useMutation({
    mutationFn: (input: { clinician_id: number; start: string; reason?: string }) => {
      const choice = `${input.clinician_id}@${input.start}`;
      const key = keys.current.get(choice) ?? uuid4();
      keys.current.set(choice, key);
      return appointmentsApi.book(input, key);
    },
    onSuccess: (result) => {
      if (result.kind === 'ok' || result.kind === 'conflict') invalidate();
    },
  });
}

export function useRescheduleMutation(id: number) {
  const invalidate = useInvalidateAppointments();
  return useMutation({ mutationFn: (start: string) => appointmentsApi.reschedule(id, start), onSuccess: invalidate });
}

export function useCancelAppointmentMutation(id: number) {
  const invalidate = useInvalidateAppointments();
  return useMutation({ mutationFn: () => appointmentsApi.cancel(id), onSuccess: invalidate });
}
