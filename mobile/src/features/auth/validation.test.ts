import { isPastDate, validateChangePassword, validateLogin, validateProfile, validateRegister } from './validation';

const goodProfile = { full_name: 'Pat Patient', phone: '', date_of_birth: '', time_zone: 'Europe/Berlin' };

describe('form validation', () => {
  it('login needs a plausible e-mail and a password', () => {
    expect(validateLogin({ email: 'not-an-email', password: '' })).toEqual({ email: 'Enter a valid e-mail address.', password: 'Enter your password.' });
    expect(validateLogin({ email: ' pat@example.org ', password: 'x' })).toEqual({});
  });

  it('register rejects short, numeric and mismatched passwords', () => {
    const base = { ...goodProfile, email: 'pat@example.org', password: 'Sunscreen-2026', confirm: 'Sunscreen-2026' };
    expect(validateRegister(base)).toEqual({});
    expect(validateRegister({ ...base, password: 'short', confirm: 'short' }).password).toMatch(/at least 8/);
    expect(validateRegister({ ...base, password: '1234567890', confirm: '1234567890' }).password).toMatch(/only numbers/);
    expect(validateRegister({ ...base, confirm: 'Sunscreen-2025' }).confirm).toBe('The passwords do not match.');
  });

  it('profile checks phone, birth date and IANA time zone', () => {
    expect(validateProfile(goodProfile)).toEqual({});
    const errors = validateProfile({ full_name: ' ', phone: 'call me', date_of_birth: '2999-01-01', time_zone: 'Mars/Olympus' });
    expect(Object.keys(errors).sort()).toEqual(['date_of_birth', 'full_name', 'phone', 'time_zone']);
  });

  it('dates must exist and be in the past', () => {
    const today = new Date('2026-11-25T12:00:00Z');
    expect(isPastDate('1980-02-29', today)).toBe(true);
    expect(isPastDate('1981-02-29', today)).toBe(false);
    expect(isPastDate('2026-12-01', today)).toBe(false);
    expect(isPastDate('25/11/1980', today)).toBe(false);
  });

  it('a new password must differ from the current one and be repeated', () => {
    expect(validateChangePassword({ current_password: 'Old-pass-2026', new_password: 'Old-pass-2026', confirm: 'Old-pass-2026' }).new_password).toMatch(/different/);
    expect(validateChangePassword({ current_password: 'Old-pass-2026', new_password: 'New-pass-2026', confirm: 'nope' }).confirm).toBe('The passwords do not match.');
    expect(validateChangePassword({ current_password: '', new_password: 'New-pass-2026', confirm: 'New-pass-2026' })).toEqual({ current_password: 'Enter your current password.' });
  });
});
