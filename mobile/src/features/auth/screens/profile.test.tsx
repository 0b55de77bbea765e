import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { router } from 'expo-router';

import { ChangePasswordScreen } from './ChangePasswordScreen';
import { EditProfileScreen } from './EditProfileScreen';
import { api } from '@/api';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

beforeEach(async () => {
  await signedIn();
});

describe('profile edit', () => {
  it('prefills the form and saves the trimmed values', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('PATCH', '/api/v1/auth/me', ({ body }) => ({ status: 200, body: { ...user, ...(body as object) } }));
    renderApp(<EditProfileScreen />);

    expect(await screen.findByTestId('profile-edit-name')).toHaveDisplayValue('Pat Patient');
    fireEvent.changeText(screen.getByTestId('profile-edit-phone'), ' +49 30 1234567 ');
    fireEvent.press(screen.getByTestId('profile-edit-save'));

    await waitFor(() => expect(router.back).toHaveBeenCalled());
    expect(server.calls.find((c) => c.method === 'PATCH')!.body).toEqual({ full_name: 'Pat Patient', phone: '+49 30 1234567', date_of_birth: null, time_zone: 'Europe/Berlin' });
  });

  it("shows the server's field errors next to the fields", async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('PATCH', '/api/v1/auth/me', { status: 422, body: { detail: 'Invalid request', code: 'validation_error', errors: [{ loc: ['body', 'payload', 'full_name'], msg: 'String should have at most 150 characters', type: 'string_too_long' }] } });
    renderApp(<EditProfileScreen />);

    fireEvent.press(await screen.findByTestId('profile-edit-save'));

    expect(await screen.findByTestId('profile-edit-name-error')).toHaveTextContent('String should have at most 150 characters');
    expect(router.back).not.toHaveBeenCalled();
  });

  it('rejects an unknown time zone before calling the server', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    renderApp(<EditProfileScreen />);
    fireEvent.changeText(await screen.findByTestId('profile-edit-tz'), 'Europe/Atlantis');
    fireEvent.press(screen.getByTestId('profile-edit-save'));
    expect(await screen.findByTestId('profile-edit-tz-error')).toHaveTextContent(/IANA time zone/);
    expect(server.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
  });
});

describe('change password', () => {
  it('stores the new token pair the server hands back', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/change-password', { status: 200, body: { access: 'new-access', refresh: 'new-refresh' } });
    renderApp(<ChangePasswordScreen />);

    fireEvent.changeText(screen.getByTestId('password-current'), 'Old-pass-2026');
    fireEvent.changeText(screen.getByTestId('password-new'), 'New-pass-2026');
    fireEvent.changeText(screen.getByTestId('password-confirm'), 'New-pass-2026');
    fireEvent.press(screen.getByTestId('password-submit'));

    expect(await screen.findByTestId('form-message')).toHaveTextContent(/Password changed/);
    expect(await api.currentTokens()).toEqual({ access: 'new-access', refresh: 'new-refresh' });
  });

  it('marks a wrong current password', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/change-password', { status: 403, body: { detail: 'Current password is incorrect.', code: 'wrong_password' } });
    renderApp(<ChangePasswordScreen />);

    fireEvent.changeText(screen.getByTestId('password-current'), 'Wrong-pass-2026');
    fireEvent.changeText(screen.getByTestId('password-new'), 'New-pass-2026');
    fireEvent.changeText(screen.getByTestId('password-confirm'), 'New-pass-2026');
    fireEvent.press(screen.getByTestId('password-submit'));

    expect(await screen.findByTestId('password-current-error')).toHaveTextContent('Current password is incorrect.');
  });
});
