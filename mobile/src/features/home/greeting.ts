/** The name to greet someone by: the first name, or title and surname ("Dr. Klein") when the name starts with a title. */
const TITLES = new Set(['dr', 'dr.', 'prof', 'prof.', 'mr', 'mr.', 'mrs', 'mrs.', 'ms', 'ms.', 'mx', 'mx.']);

export function greetingName(fullName: string | null | undefined): string | null {
  const words = (fullName ?? '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  const titles: string[] = [];
  while (words.length > 1 && TITLES.has(words[0]!.toLowerCase())) titles.push(words.shift()!);
  if (titles.length === 0) return words[0]!;
  return `${titles.join(' ')} ${words[words.length - 1]!}`;
}
