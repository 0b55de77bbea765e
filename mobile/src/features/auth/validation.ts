/** Client-side form checks: quick, friendly feedback before the server's authoritative validation. */
import type { FieldErrors } from '@/api/result';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 -]{5,30}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const MIN_PASSWORD = 8;

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function isPastDate(value: string, today: Date = new Date()): boolean {
  if (!DATE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value) return false;
  return parsed.getTime() < today.getTime();
}

function password(value: string, errors: FieldErrors, key: string): void {
  if (!value) errors[key] = 'Enter a password.';
  else if (value.length < MIN_PASSWORD) errors[key] = `Use at least ${MIN_PASSWORD} characters.`;
  else if (/^\d+$/.test(value)) errors[key] = 'A password cannot be only numbers.';
}

export type LoginForm = { email: string; password: string };
export function validateLogin(form: LoginForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!EMAIL.test(form.email.trim())) errors.email = 'Enter a valid e-mail address.';
  if (!form.password) errors.password = 'Enter your password.';
  return errors;
}

export type ProfileForm = { full_name: string; phone: string; date_of_birth: string; time_zone: string };
export function validateProfile(form: ProfileForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!form.full_name.trim()) errors.full_name = 'Enter your name.';
  if (form.phone.trim() && !PHONE.test(form.phone.trim())) errors.phone = 'Use digits, spaces, dashes and an optional leading +.';
  if (form.date_of_birth.trim() && !isPastDate(form.date_of_birth.trim())) errors.date_of_birth = 'Use a past date as YYYY-MM-DD.';
  if (!isValidTimeZone(form.time_zone.trim())) errors.time_zone = 'Use an IANA time zone such as Europe/Berlin.';
  return errors;
}

export type RegisterForm = ProfileForm & { email: string; password: string; confirm: string };
export function validateRegister(form: RegisterForm): FieldErrors {
  const errors: FieldErrors = { ...validateProfile(form) };
  if (!EMAIL.test(form.email.trim())) errors.email = 'Enter a valid e-mail address.';
  password(form.password, errors, 'password');
  if (!errors.password && form.confirm !== form.password) errors.confirm = 'The passwords do not match.';
  return errors;
}

export type ChangePasswordForm = { current_password: string; new_password: string; confirm: string };
export function validateChangePassword(form: ChangePasswordForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!form.current_password) errors.current_password = 'Enter your current password.';
  password(form.new_password, errors, 'new_password');
  if (!errors.new_password && form.new_password === form.current_password) errors.new_password = 'Choose a password different from the current one.';
  if (!errors.new_password && form.confirm !== form.new_password) errors.confirm = 'The passwords do not match.';
  return errors;
}

export function deviceTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
