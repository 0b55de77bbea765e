/** Edit name, phone, date of birth and time zone. */
import { router } from 'expo-router';
import { useState } from 'react';

import { useMeQuery, useUpdateMeMutation } from '../queries';
import { validateProfile } from '../validation';
import { failureMessage } from '@/api/result';
import type { User } from '@/api/types';
import { useForm } from '@/lib/useForm';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';

function ProfileForm({ user }: { user: User }) {
  const update = useUpdateMeMutation();
  const form = useForm({ full_name: user.full_name ?? '', phone: user.phone ?? '', date_of_birth: user.date_of_birth ?? '', time_zone: user.time_zone });
  const [message, setMessage] = useState<{ text: string; tone: 'error' | 'success' } | null>(null);

  async function submit() {
    const errors = validateProfile(form.values);
    form.setErrors(errors);
    setMessage(null);
    if (Object.keys(errors).length) return;
    const v = form.values;
    const result = await update.mutateAsync({
      full_name: v.full_name.trim(),
      phone: v.phone.trim(),
      date_of_birth: v.date_of_birth.trim() || null,
      time_zone: v.time_zone.trim(),
    });
    if (result.kind === 'ok') return setMessage({ text: 'Your profile has been saved.', tone: 'success' });
    // What belongs to a field is said once, under that field; the banner is for the rest.
    const fieldErrors = result.kind === 'validation' ? result.fieldErrors : {};
    form.setErrors(fieldErrors);
    if (!Object.keys(fieldErrors).length) setMessage({ text: failureMessage(result), tone: 'error' });
  }

  return (
    <>
      <FormMessage text={message?.text} tone={message?.tone} testID="profile-edit-message" />
      <TextField label="Full name" testID="profile-edit-name" value={form.values.full_name} onChangeText={form.set('full_name')} error={form.errors.full_name} />
      <TextField label="Phone" testID="profile-edit-phone" value={form.values.phone} onChangeText={form.set('phone')} error={form.errors.phone} inputMode="tel" />
      <TextField label="Date of birth (YYYY-MM-DD)" testID="profile-edit-dob" value={form.values.date_of_birth} onChangeText={form.set('date_of_birth')} error={form.errors.date_of_birth} />
      <TextField label="Time zone" testID="profile-edit-tz" value={form.values.time_zone} onChangeText={form.set('time_zone')} error={form.errors.time_zone} autoCapitalize="none" />
      <Button title="Save" testID="profile-edit-save" busy={update.isPending} onPress={() => void submit()} />
      {message?.tone === 'success' ? <Button variant="secondary" title="Back to my profile" testID="profile-edit-done" onPress={() => router.back()} /> : null}
    </>
  );
}

export function EditProfileScreen() {
  const me = useMeQuery();
  return (
    <Screen testID="screen-profile-edit">
      <QueryView query={me}>{(user) => <ProfileForm user={user} />}</QueryView>
    </Screen>
  );
}
