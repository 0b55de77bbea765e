import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { Text } from 'react-native';

import { ProfileScreen } from './screens/ProfileScreen';
import { useSession } from './session';
import { api } from '@/api';
import { cart } from '@/features/shop/cart';
import { wireFeatures } from '@/features/wiring';
import { fakeServer, renderApp, signedIn, user } from '@/test/utils';

function Status() {
  const { status, endedReason } = useSession();
  return <Text testID="status">{`${status}${endedReason ? `:${endedReason}` : ''}`}</Text>;
}

beforeAll(() => wireFeatures());

describe('session', () => {
  it('signs out cleanly when the server rejects the refresh token', async () => {
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 401, body: { detail: 'Token expired', code: 'token_not_valid' } });
    server.on('POST', '/api/v1/auth/refresh', { status: 401, body: { detail: 'Refresh token was already used.', code: 'token_reused' } });
    cart.add({ id: 1, name: 'Cream', price_minor: 100, currency: 'EUR' });
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent('signedOut:expired'));
    expect(await api.currentTokens()).toBeNull();
    expect(cart.get().lines).toEqual([]);
  });

  it('logout tells the server, forgets the tokens and the cart', async () => {
    await signedIn();
    const server = fakeServer();
    server.on('GET', '/api/v1/auth/me', { status: 200, body: user });
    server.on('POST', '/api/v1/auth/logout', { status: 204 });
    cart.add({ id: 1, name: 'Cream', price_minor: 100, currency: 'EUR' });
    renderApp(
      <>
        <Status />
        <ProfileScreen />
      </>,
    );
    expect(await screen.findByTestId('profile-email')).toHaveTextContent(user.email);

    fireEvent.press(screen.getByTestId('logout'));

    await waitFor(() => expect(screen.getByTestId('status')).toHaveTextContent(/^signedOut$/));
    expect(server.calls.find((c) => c.path === '/api/v1/auth/logout')!.body).toEqual({ refresh: 'refresh-token' });
    expect(await api.currentTokens()).toBeNull();
    expect(cart.get().lines).toEqual([]);
  });
});
