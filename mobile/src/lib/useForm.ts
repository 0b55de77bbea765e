/** Minimal form state: values, per-field setters and errors (client- or server-side). */
import { useCallback, useState } from 'react';

import type { FieldErrors } from '@/api/result';

export function useForm<T extends Record<string, string>>(initial: T) {
  const [values, setValues] = useState<T>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = useCallback(
    (field: keyof T & string) => (text: string) => {
      setValues((v) => ({ ...v, [field]: text }));
      setErrors((e) => {
        if (!e[field]) return e;
        const next = { ...e };
        delete next[field];
        return next;
      });
    },
    [],
  );
  return { values, setValues, errors, setErrors, set };
}
