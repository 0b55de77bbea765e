/**
 * A button for something that cannot be undone: the first tap asks inline (same on web and phones,
 * where Alert has no web implementation), the second does it.
 */
import { useState } from 'react';
import { StyleSheet, Text } from 'react-native';

import { Button } from './Button';
import { Card } from './Screen';
import { colors, font, space } from './theme';

type Props = {
  title: string;
  /** The question, e.g. "Cancel your appointment on Tue 1 Dec, 09:30?" */
  question: string;
  confirmTitle: string;
  keepTitle: string;
  onConfirm: () => void | Promise<void>;
  testID: string;
  busy?: boolean;
  variant?: 'primary' | 'secondary' | 'danger';
};

export function ConfirmButton({ title, question, confirmTitle, keepTitle, onConfirm, testID, busy, variant = 'danger' }: Props) {
  const [asking, setAsking] = useState(false);
  if (!asking) return <Button variant={variant} title={title} testID={testID} busy={busy} onPress={() => setAsking(true)} />;
  return (
    <Card testID={`${testID}-confirm`}>
      <Text style={styles.question} role="alert" testID={`${testID}-question`}>
        {question}
      </Text>
      <Button
        variant={variant}
        title={confirmTitle}
        testID={`${testID}-yes`}
        busy={busy}
        onPress={() => {
          setAsking(false);
          void onConfirm();
        }}
      />
      <Button variant="secondary" title={keepTitle} testID={`${testID}-no`} onPress={() => setAsking(false)} />
    </Card>
  );
}

const styles = StyleSheet.create({
  question: { color: colors.text, fontSize: font.body, marginBottom: space.sm },
});
