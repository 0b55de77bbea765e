/** Change the password; the server signs out every other session. */
import { useState } from 'react';

import { useChangePasswordMutation } from '../queries';
import { validateChangePassword } from '../validation';
import { failureMessage } from '@/api/result';
import { useForm } from '@/lib/useForm';
import { Button } from '@/ui/Button';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';

export function ChangePasswordScreen() {
  const change = useChangePasswordMutation();
  const form = useForm({ current_password: '', new_password: '', confirm: '' });
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);

  async function submit() {
    const errors = validateChangePassword(form.values);
    form.setErrors(errors);
    setMessage(null);
    if (Object.keys(errors).length) return;
    const result = await change.mutateAsync({ current_password: form.values.current_password, new_password: form.values.new_password });
    if (result.kind === 'ok') {
      form.setValues({ current_password: '', new_password: '', confirm: '' });
      setMessage({ text: 'Password changed. Other devices have been signed out.', tone: 'success' });
      return;
    }
    // What belongs to a field is said once, under that field; the banner is for the rest.
    const fieldErrors =
      result.kind === 'forbidden' ? { current_password: result.detail } : result.kind === 'validation' ? (result.code === 'weak_password' ? { new_password: result.detail } : result.fieldErrors) : {};
    form.setErrors(fieldErrors);
    if (!Object.keys(fieldErrors).length) setMessage({ text: failureMessage(result), tone: 'error' });
  }

  return (
    <Screen testID="screen-change-password">
      <FormMessage text={message?.text} tone={message?.tone} />
      <TextField label="Current password" testID="password-current" value={form.values.current_password} onChangeText={form.set('current_password')} error={form.errors.current_password} secureTextEntry autoComplete="current-password" />
      <TextField label="New password" testID="password-new" value={form.values.new_password} onChangeText={form.set('new_password')} error={form.errors.new_password} secureTextEntry autoComplete="new-password" />
      <TextField label="Repeat new password" testID="password-confirm" value={form.values.confirm} onChangeText={form.set('confirm')} error={form.errors.confirm} secureTextEntry autoComplete="new-password" />
      <Button title="Change password" testID="password-submit" busy={change.isPending} onPress={() => void submit()} />
    </Screen>
  );
}
