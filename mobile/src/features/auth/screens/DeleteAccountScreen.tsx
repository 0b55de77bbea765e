/** Delete the account after confirming the password; then the app is signed out. */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { StyleSheet, Text } from 'react-native';

import { authApi } from '../api';
import { useSession } from '../session';
import { api } from '@/api';
import { failureMessage } from '@/api/result';
import { Button } from '@/ui/Button';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, space } from '@/ui/theme';

export function DeleteAccountScreen() {
  const { signOut } = useSession();
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    setMessage(null);
    if (!password) return setError('Enter your password to confirm.');
    setBusy(true);
    const result = await authApi.deleteAccount(password);
    setBusy(false);
    if (result.kind === 'ok') {
      // The account and its sessions are gone on the server; forget them here too.
      await api.setTokens(null);
      queryClient.clear();
      await signOut('deleted');
      return;
    }
    // A wrong password is said once, under the field.
    if (result.kind === 'forbidden') setError(result.detail);
    else setMessage(failureMessage(result));
  }

  return (
    <Screen testID="screen-delete-account">
      <Text style={styles.warning}>
        This permanently deletes your account, appointments and saved data. It cannot be undone.
      </Text>
      <FormMessage text={message} />
      <TextField label="Password" testID="delete-password" value={password} onChangeText={(t) => { setPassword(t); setError(undefined); }} error={error} secureTextEntry />
      <Button variant="danger" title="Delete my account" testID="delete-submit" busy={busy} onPress={() => void submit()} />
    </Screen>
  );
}

const styles = StyleSheet.create({ warning: { color: colors.danger, marginBottom: space.md } });
