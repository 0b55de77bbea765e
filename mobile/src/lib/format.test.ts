import { dayInZone, dayKey, formatDateTime, formatMoney } from './format';
import { groupSlotsByDay } from '@/features/appointments/components/SlotPicker';

describe('time zones and money', () => {
  it('shows an instant in the user zone, not the device zone', () => {
    const iso = '2026-11-25T23:30:00+00:00';
    expect(formatDateTime(iso, 'Europe/Berlin')).toBe('Thu 26 Nov, 00:30');
    expect(formatDateTime(iso, 'America/New_York')).toBe('Wed 25 Nov, 18:30');
    expect(dayKey(iso, 'Europe/Berlin')).toBe('2026-11-26');
    expect(dayKey(iso, 'UTC')).toBe('2026-11-25');
  });

  it('groups slots by the calendar day in the zone, in time order', () => {
    const slots = [
      { start: '2026-11-26T08:00:00+00:00', end: '2026-11-26T08:30:00+00:00' },
      { start: '2026-11-25T23:30:00+00:00', end: '2026-11-26T00:00:00+00:00' },
      { start: '2026-11-25T09:00:00+00:00', end: '2026-11-25T09:30:00+00:00' },
    ];
    const days = groupSlotsByDay(slots, 'Europe/Berlin');
    expect([...days.keys()]).toEqual(['2026-11-25', '2026-11-26']);
    expect(days.get('2026-11-26')!.map((s) => s.start)).toEqual(['2026-11-25T23:30:00+00:00', '2026-11-26T08:00:00+00:00']);
  });

  it('computes today in a zone across the date line', () => {
    const now = new Date('2026-11-25T20:00:00Z');
    expect(dayInZone('Pacific/Auckland', 0, now)).toBe('2026-11-26');
    expect(dayInZone('America/Los_Angeles', 14, now)).toBe('2026-12-09');
  });

  it('formats integer minor units', () => {
    expect(formatMoney(1299, 'EUR')).toBe('€12.99');
    expect(formatMoney(5, 'EUR')).toBe('€0.05');
  });
});
