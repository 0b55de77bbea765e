/** Sign in with e-mail and password. */
import { Link } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text } from 'react-native';

import { failureMessage } from '@/api/result';
import { useForm } from '@/lib/useForm';
import { Button } from '@/ui/Button';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, space } from '@/ui/theme';
import { authApi } from '../api';
import { useSession } from '../session';
import { validateLogin } from '../validation';

export function LoginScreen() {
  const { signIn, endedReason } = useSession();
  const form = useForm({ email: '', password: '' });
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function submit() {
    const errors = validateLogin(form.values);
    form.setErrors(errors);
    setMessage(null);
    if (Object.keys(errors).length) return;
    setBusy(true);
    const result = await authApi.login({ email: form.values.email.trim(), password: form.values.password });
    setBusy(false);
    if (result.kind === 'ok') return signIn(result.data);
    if (result.kind === 'validation') form.setErrors(result.fieldErrors);
    setMessage(result.kind === 'unauthorized' ? result.detail || 'E-mail or password is incorrect.' : failureMessage(result));
  }

  return (
    <Screen title="Sign in" testID="screen-login">
      <Text style={styles.lead}>Screening results in this app are aids, never diagnoses.</Text>
      {endedReason === 'expired' && !message ? <FormMessage testID="session-expired" text="Your session has ended. Please sign in again." /> : null}
      {endedReason === 'deleted' && !message ? <FormMessage testID="account-deleted" tone="success" text="Your account and its data have been deleted." /> : null}
      <FormMessage text={message} />
      <TextField
        label="E-mail"
        testID="login-email"
        value={form.values.email}
        onChangeText={form.set('email')}
        error={form.errors.email}
        autoCapitalize="none"
        autoComplete="email"
        keyboardType="email-address"
        inputMode="email"
      />
      <TextField
        label="Password"
        testID="login-password"
        value={form.values.password}
        onChangeText={form.set('password')}
        error={form.errors.password}
        secureTextEntry
        autoComplete="current-password"
        onSubmitEditing={() => void submit()}
      />
      <Button title="Sign in" testID="login-submit" busy={busy} onPress={() => void submit()} />
      <Link href="/register" style={styles.link} testID="goto-register" accessibilityRole="link">
        No account yet? Create one
      </Link>
    </Screen>
  );
}

const styles = StyleSheet.create({
  lead: { color: colors.muted, marginBottom: space.md },
  link: { color: colors.primary, marginTop: space.lg, textAlign: 'center', padding: space.sm },
});
