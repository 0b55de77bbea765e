/**
 * The signed-in user's profile with links to edit it, change the password, notifications, "Download my
 * data" (a zip of everything the server holds: shared from the phone, downloaded on the web) and sign-out
 * (confirmed first when signing out would delete something on this device, e.g. screenings not sent yet).
 */
import { router } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { downloadMyData } from '../dataExport';
import { useMeQuery } from '../queries';
import { checkSignOut, useSession } from '../session';
import { failureMessage } from '@/api/result';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Card, Screen } from '@/ui/Screen';
import { colors, font, space } from '@/ui/theme';

function Row({ label, value, testID }: { label: string; value: string; testID: string }) {
  return (
    <View style={styles.row}>
      <Text style={styles.label}>{label}</Text>
      <Text style={styles.value} testID={testID}>
        {value || '—'}
      </Text>
    </View>
  );
}

export function ProfileScreen() {
  const me = useMeQuery();
  const { signOut } = useSession();
  const [signingOut, setSigningOut] = useState(false);
  /** What the user should know before signing out (screenings still waiting), while they decide; null when not asking. */
  const [warnings, setWarnings] = useState<string[] | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exportMessage, setExportMessage] = useState<{ text: string; tone: 'success' | 'error' } | null>(null);

  async function exportData() {
    setExporting(true);
    setExportMessage(null);
    try {
      const outcome = await downloadMyData();
      if (outcome.kind === 'shared' || outcome.kind === 'saved') setExportMessage({ text: `Your data was downloaded (${outcome.filename}).`, tone: 'success' });
      else setExportMessage({ text: failureMessage(outcome), tone: 'error' });
    } catch (error) {
      setExportMessage({ text: `Could not save your data: ${error instanceof Error ? error.message : String(error)}`, tone: 'error' });
    } finally {
      setExporting(false);
    }
  }

  async function requestSignOut() {
    setSigningOut(true);
    const found = await checkSignOut();
    if (found.length > 0) {
      setSigningOut(false);
      setWarnings(found);
      return;
    }
    await signOut();
  }

  function confirmSignOut() {
    setWarnings(null);
    setSigningOut(true);
    void signOut();
  }

  return (
    <Screen testID="screen-profile">
      <QueryView query={me} loadingLabel="Loading your profile…">
        {(user) => (
          <Card testID="profile-card">
            <Row label="Name" value={user.full_name ?? ''} testID="profile-name" />
            <Row label="E-mail" value={user.email} testID="profile-email" />
            <Row label="Phone" value={user.phone ?? ''} testID="profile-phone" />
            <Row label="Date of birth" value={user.date_of_birth ?? ''} testID="profile-dob" />
            <Row label="Time zone" value={user.time_zone} testID="profile-tz" />
          </Card>
        )}
      </QueryView>
      <Button variant="secondary" title="Edit profile" testID="profile-edit" onPress={() => router.push('/profile/edit')} />
      <Button variant="secondary" title="Notifications" testID="profile-notifications" onPress={() => router.push('/profile/notifications')} />
      <Button variant="secondary" title="Change password" testID="profile-password" onPress={() => router.push('/profile/password')} />
      <Button variant="secondary" title="Download my data" testID="profile-export" busy={exporting} onPress={() => void exportData()} />
      {exportMessage ? (
        <Text style={exportMessage.tone === 'error' ? styles.error : styles.success} testID="profile-export-message">
          {exportMessage.text}
        </Text>
      ) : null}
      {warnings ? (
        <Card testID="logout-confirm">
          {warnings.map((text) => (
            <Text key={text} style={styles.warning} testID="logout-confirm-message">
              {text}
            </Text>
          ))}
          <Button title="Sign out" testID="logout-confirm-yes" onPress={confirmSignOut} />
          <Button variant="secondary" title="Cancel" testID="logout-confirm-no" onPress={() => setWarnings(null)} />
        </Card>
      ) : (
        <Button title="Sign out" testID="logout" busy={signingOut} onPress={() => void requestSignOut()} />
      )}
      <Button variant="danger" title="Delete account" testID="profile-delete" onPress={() => router.push('/profile/delete')} />
    </Screen>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', justifyContent: 'space-between', paddingVertical: space.xs, gap: space.md },
  label: { color: colors.muted, fontSize: font.body },
  value: { color: colors.text, fontSize: font.body, flexShrink: 1, textAlign: 'right' },
  warning: { color: colors.text, fontSize: font.body, marginBottom: space.sm },
  error: { color: colors.danger, fontSize: font.body },
  success: { color: colors.success, fontSize: font.body },
});
