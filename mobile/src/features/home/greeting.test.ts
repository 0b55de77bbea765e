import { greetingName } from './greeting';

describe('greetingName', () => {
  it.each([
    ['Pat Patient', 'Pat'],
    ['Dr. Clara Klein', 'Dr. Klein'],
    ['Prof. Dr. Anna Maria Weber', 'Prof. Dr. Weber'],
    ['dr Ole', 'dr Ole'],
    ['Dr.', 'Dr.'],
    ['  ', null],
    [null, null],
  ])('%p -> %p', (name, expected) => {
    expect(greetingName(name)).toBe(expected);
  });
});
