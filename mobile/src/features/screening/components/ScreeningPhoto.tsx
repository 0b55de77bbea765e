/** A stored screening's photo on phones: the authenticated endpoint, loaded by the image view with the bearer token. */
import { useEffect, useState } from 'react';
import { Image, StyleSheet } from 'react-native';

import { api } from '@/api';
import { route } from '@/api/types';

export function ScreeningPhoto({ id, testID }: { id: string; testID: string }) {
  const [access, setAccess] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void api.currentTokens().then((t) => live && setAccess(t?.access ?? null));
    return () => {
      live = false;
    };
  }, []);
  if (!access) return null;
  const uri = api.url(route('/api/v1/screenings/{screening_id}/photo', { screening_id: id }));
  return (
    <Image
      testID={testID}
      accessibilityLabel="The photo of this screening"
      source={{ uri, headers: { Authorization: `Bearer ${access}` } }}
      style={styles.photo}
      resizeMode="contain"
    />
  );
}

const styles = StyleSheet.create({ photo: { width: '100%', aspectRatio: 1, borderRadius: 10, backgroundColor: '#000' } });
