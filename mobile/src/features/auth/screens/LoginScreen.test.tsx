import { fireEvent, screen, waitFor } from '@testing-library/react-native';

import { LoginScreen } from './LoginScreen';
import { api } from '@/api';
import { fakeServer, renderApp, user } from '@/test/utils';

beforeEach(async () => {
  await api.setTokens(null);
});

describe('LoginScreen', () => {
  it('shows field errors and sends nothing when the form is invalid', async () => {
    const server = fakeServer();
    renderApp(<LoginScreen />);

    fireEvent.press(screen.getByTestId('login-submit'));

    expect(await screen.findByTestId('login-email-error')).toHaveTextContent('Enter a valid e-mail address.');
    expect(screen.getByTestId('login-password-error')).toHaveTextContent('Enter your password.');
    expect(server.calls).toHaveLength(0);
  });

  it("shows the server's message for wrong credentials and stores no tokens", async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/login', { status: 401, body: { detail: 'E-mail or password is incorrect.', code: 'invalid_credentials' } });
    renderApp(<LoginScreen />);

    fireEvent.changeText(screen.getByTestId('login-email'), 'pat@example.org');
    fireEvent.changeText(screen.getByTestId('login-password'), 'wrong-password');
    fireEvent.press(screen.getByTestId('login-submit'));

    expect(await screen.findByTestId('form-message')).toHaveTextContent('E-mail or password is incorrect.');
    expect(await api.currentTokens()).toBeNull();
    expect(server.calls.filter((c) => c.path === '/api/v1/auth/refresh')).toHaveLength(0);
  });

  it('says so when offline', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/login', () => 'offline');
    renderApp(<LoginScreen />);

    fireEvent.changeText(screen.getByTestId('login-email'), 'pat@example.org');
    fireEvent.changeText(screen.getByTestId('login-password'), 'Sunscreen-2026');
    fireEvent.press(screen.getByTestId('login-submit'));

    expect(await screen.findByTestId('form-message')).toHaveTextContent(/offline/i);
  });

  it('stores the token pair on success', async () => {
    const server = fakeServer();
    server.on('POST', '/api/v1/auth/login', { status: 200, body: { access: 'acc', refresh: 'ref', user } });
    renderApp(<LoginScreen />);

    fireEvent.changeText(screen.getByTestId('login-email'), ' pat@example.org ');
    fireEvent.changeText(screen.getByTestId('login-password'), 'Sunscreen-2026');
    fireEvent.press(screen.getByTestId('login-submit'));

    await waitFor(async () => expect(await api.currentTokens()).toEqual({ access: 'acc', refresh: 'ref' }));
    expect(server.calls[0]!.body).toEqual({ email: 'pat@example.org', password: 'Sunscreen-2026' });
    const SecureStore = jest.requireMock('expo-secure-store') as { __store: Map<string, string> };
    expect(JSON.parse(SecureStore.__store.get('skinscreen.session.v1')!)).toEqual({ access: 'acc', refresh: 'ref' });
  });
});
