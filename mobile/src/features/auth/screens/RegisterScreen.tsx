/** Create an account, then sign straight in. */
import { Link } from 'expo-router';
import { useState } from 'react';
import { StyleSheet } from 'react-native';

import { failureMessage } from '@/api/result';
import { useForm } from '@/lib/useForm';
import { Button } from '@/ui/Button';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, space } from '@/ui/theme';
import { authApi } from '../api';
import { useSession } from '../session';
import { deviceTimeZone, validateRegister } from '../validation';

export function RegisterScreen() {
  const { signIn } = useSession();
  const form = useForm({ full_name: '', email: '', password: '', confirm: '', phone: '', date_of_birth: '', time_zone: deviceTimeZone() });
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function submit() {
    const errors = validateRegister(form.values);
    form.setErrors(errors);
    setMessage(null);
    if (Object.keys(errors).length) return;
    setBusy(true);
    const v = form.values;
    const email = v.email.trim();
    const created = await authApi.register({
      email,
      password: v.password,
      full_name: v.full_name.trim(),
      phone: v.phone.trim(),
      date_of_birth: v.date_of_birth.trim() || null,
      time_zone: v.time_zone.trim(),
    });
    if (created.kind !== 'ok') {
      setBusy(false);
      // What belongs to a field is said once, under that field; the banner is for the rest.
      const fieldErrors = created.kind !== 'validation' ? {} : created.code === 'weak_password' ? { password: created.detail } : created.fieldErrors;
      form.setErrors(fieldErrors);
      setMessage(Object.keys(fieldErrors).length ? null : failureMessage(created));
      return;
    }
    const login = await authApi.login({ email, password: v.password });
    setBusy(false);
    if (login.kind === 'ok') return signIn(login.data);
    setMessage(`Your account was created, but signing in failed: ${failureMessage(login)}`);
  }

  return (
    <Screen title="Create account" testID="screen-register">
      <FormMessage text={message} />
      <TextField label="Full name" testID="register-name" value={form.values.full_name} onChangeText={form.set('full_name')} error={form.errors.full_name} autoComplete="name" />
      <TextField label="E-mail" testID="register-email" value={form.values.email} onChangeText={form.set('email')} error={form.errors.email} autoCapitalize="none" keyboardType="email-address" inputMode="email" autoComplete="email" />
      <TextField label="Password" testID="register-password" value={form.values.password} onChangeText={form.set('password')} error={form.errors.password} secureTextEntry autoComplete="new-password" hint="At least 8 characters, not only numbers." />
      <TextField label="Repeat password" testID="register-confirm" value={form.values.confirm} onChangeText={form.set('confirm')} error={form.errors.confirm} secureTextEntry autoComplete="new-password" />
      <TextField label="Phone (optional)" testID="register-phone" value={form.values.phone} onChangeText={form.set('phone')} error={form.errors.phone} keyboardType="phone-pad" inputMode="tel" />
      <TextField label="Date of birth (optional, YYYY-MM-DD)" testID="register-dob" value={form.values.date_of_birth} onChangeText={form.set('date_of_birth')} error={form.errors.date_of_birth} placeholder="1980-04-30" />
      <TextField label="Time zone" testID="register-tz" value={form.values.time_zone} onChangeText={form.set('time_zone')} error={form.errors.time_zone} autoCapitalize="none" hint="Appointment times are shown in this zone." />
      <Button title="Create account" testID="register-submit" busy={busy} onPress={() => void submit()} />
      <Link href="/login" style={styles.link} testID="goto-login" accessibilityRole="link">
        Already registered? Sign in
      </Link>
    </Screen>
  );
}

const styles = StyleSheet.create({
  link: { color: colors.primary, marginTop: space.lg, textAlign: 'center', padding: space.sm },
});
