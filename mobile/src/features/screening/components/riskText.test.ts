import { FALLBACK_REASON_TEXT, joinReasons } from './riskText';

describe('joinReasons', () => {
  it('reads as one sentence for one, two and three reasons', () => {
    expect(joinReasons([])).toBe('');
    expect(joinReasons([FALLBACK_REASON_TEXT.user_request])).toBe('you asked for it');
    expect(joinReasons([FALLBACK_REASON_TEXT.high_risk, FALLBACK_REASON_TEXT.user_request])).toBe(
      'the device model found a higher risk and you asked for it',
    );
    expect(joinReasons(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
