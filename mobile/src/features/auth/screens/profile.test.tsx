import { fireEvent, screen } from '@testing-library/react-native';
import { router } from 'expo-router';

import { ChangePasswordScreen } from './ChangePasswordScreen';
import { DeleteAccountScreen } from './DeleteAccountScreen';
import { EditProfileScreen } from './EditProfileScreen';
import { LoginScreen } from './LoginScreen';
import { RegisterScreen } from './RegisterScreen';
import { useSession } from '../session';
import { api } from '@/api';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

beforeEach(async () => {
  await signedIn();
});

describe('profile edit', () => {
  it('prefills the form, saves the trimmed values and says it was saved', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('PATCH', '/api/v1/auth/me', ({ body }) => ({ status: 200, body: { ...user, ...(body as object) } }));
    renderApp(<EditProfileScreen />);

    expect(await screen.findByTestId('profile-edit-name')).toHaveDisplayValue('Pat Patient');
    fireEvent.changeText(screen.getByTestId('profile-edit-phone'), ' +49 30 1234567 ');
    fireEvent.press(screen.getByTestId('profile-edit-save'));

    expect(await screen.findByTestId('profile-edit-message')).toHaveTextContent('Your profile has been saved.');
    fireEvent.press(screen.getByTestId('profile-edit-done'));
    expect(router.back).toHaveBeenCalled();
    expect(server.calls.find((c) => c.method === 'PATCH')!.body).toEqual({ full_name: 'Pat Patient', phone: '+49 30 1234567', date_of_birth: null, time_zone: 'Europe/Berlin' });
  });

  it("shows the server's field errors next to the fields", async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('PATCH', '/api/v1/auth/me', { status: 422, body: { detail: 'Invalid request', code: 'validation_error', errors: [{ loc: ['body', 'payload', 'full_name'], msg: 'String should have at most 150 characters', type: 'string_too_long' }] } });
    renderApp(<EditProfileScreen />);

    fireEvent.press(await screen.findByTestId('profile-edit-save'));

    expect(await screen.findByTestId('profile-edit-name-error')).toHaveTextContent('String should have at most 150 characters');
    expect(screen.queryByTestId('profile-edit-message')).toBeNull();
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

const weak = { status: 422, body: { detail: 'This password is too common.', code: 'weak_password' } };

describe('errors are said once', () => {
  it('a weak password at registration shows under the field only', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/register', weak);
    await api.setTokens(null);
    renderApp(<RegisterScreen />);

    fireEvent.changeText(screen.getByTestId('register-name'), 'Pat Patient');
    fireEvent.changeText(screen.getByTestId('register-email'), 'pat@example.org');
    fireEvent.changeText(screen.getByTestId('register-password'), 'password1');
    fireEvent.changeText(screen.getByTestId('register-confirm'), 'password1');
    fireEvent.press(screen.getByTestId('register-submit'));

    expect(await screen.findByTestId('register-password-error')).toHaveTextContent('This password is too common.');
    expect(screen.getAllByText('This password is too common.')).toHaveLength(1);
  });

  it('a weak new password shows under the field only', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/change-password', weak);
    renderApp(<ChangePasswordScreen />);

    fireEvent.changeText(screen.getByTestId('password-current'), 'Old-pass-2026');
    fireEvent.changeText(screen.getByTestId('password-new'), 'password1');
    fireEvent.changeText(screen.getByTestId('password-confirm'), 'password1');
    fireEvent.press(screen.getByTestId('password-submit'));

    expect(await screen.findByTestId('password-new-error')).toHaveTextContent('This password is too common.');
    expect(screen.getAllByText('This password is too common.')).toHaveLength(1);
  });
});

function DeleteThenLogin() {
  const { status } = useSession();
  return status === 'signedOut' ? <LoginScreen /> : <DeleteAccountScreen />;
}

describe('delete account', () => {
  it('signs out and tells the user on the sign-in screen that the account was deleted', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/delete-account', { status: 204 });
    server.on('POST', '/api/v1/auth/logout', { status: 204 });
    renderApp(<DeleteThenLogin />);

    fireEvent.changeText(await screen.findByTestId('delete-password'), 'Pass-2026-word');
    fireEvent.press(screen.getByTestId('delete-submit'));

    expect(await screen.findByTestId('account-deleted')).toHaveTextContent('Your account and its data have been deleted.');
    expect(await api.currentTokens()).toBeNull();
  });
});
