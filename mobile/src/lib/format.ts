/** Money (integer minor units) and date/time formatting in an explicit IANA time zone. */

export function formatMoney(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-IE', { style: 'currency', currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

function parts(iso: string, timeZone: string, options: Intl.DateTimeFormatOptions): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(date) + ' UTC';
  }
}

/** "Tue 1 Dec, 09:30" in the given zone. */
export function formatDateTime(iso: string, timeZone: string): string {
  return parts(iso, timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

export function formatTime(iso: string, timeZone: string): string {
  return parts(iso, timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

export function formatDate(iso: string, timeZone = 'UTC'): string {
  return parts(iso, timeZone, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** The calendar day (YYYY-MM-DD) an instant falls on in the zone. */
export function dayKey(iso: string, timeZone: string): string {
  const date = new Date(iso);
  try {
    const p = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
    const get = (t: string) => p.find((x) => x.type === t)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')}`;
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

/** Today's date (YYYY-MM-DD) in the zone, plus `days`. */
export function dayInZone(timeZone: string, days = 0, now: Date = new Date()): string {
  return dayKey(new Date(now.getTime() + days * 86_400_000).toISOString(), timeZone);
}

export function formatDayHeading(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  return new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(date);
}
