import { userIdOfToken, userIdOfTokens } from './identity';
import { fakeJwt } from '@/test/utils';

describe('the signed-in user from the session tokens', () => {
  it("reads the JWT's user_id claim (number or string)", () => {
    expect(userIdOfToken(fakeJwt({ token_type: 'access', user_id: 7, exp: 1_800_000_000 }))).toBe('7');
    expect(userIdOfToken(fakeJwt({ user_id: '42', name: 'Zoë' }))).toBe('42');
  });

  it('says nobody for tokens without a user', () => {
    expect(userIdOfToken('access-token')).toBeNull();
    expect(userIdOfToken('a.!!!.c')).toBeNull();
    expect(userIdOfToken(fakeJwt({ sub: 'x' }))).toBeNull();
    expect(userIdOfTokens(null)).toBeNull();
    expect(userIdOfTokens({ access: fakeJwt({ user_id: 9 }), refresh: 'opaque' })).toBe('9');
  });
});
