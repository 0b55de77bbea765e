/** A stored screening's photo in the browser: fetched with the bearer token, shown from a blob: URL. */
import { useEffect, useMemo } from 'react';
import { Image, StyleSheet, Text } from 'react-native';

import { colors, font } from '@/ui/theme';
import { useScreeningPhotoQuery } from '../queries';

export function ScreeningPhoto({ id, testID }: { id: string; testID: string }) {
  const photo = useScreeningPhotoQuery(id);
  const uri = useMemo(() => (photo.data ? URL.createObjectURL(photo.data) : null), [photo.data]);
  useEffect(
    () => () => {
      if (uri) URL.revokeObjectURL(uri);
    },
    [uri],
  );
  if (photo.isError) return <Text style={styles.muted}>The photo could not be loaded.</Text>;
  if (!uri) return null;
  return <Image testID={testID} accessibilityLabel="The photo of this screening" source={{ uri }} style={styles.photo} resizeMode="contain" />;
}

const styles = StyleSheet.create({
  photo: { width: '100%', aspectRatio: 1, borderRadius: 10, backgroundColor: '#000' },
  muted: { color: colors.muted, fontSize: font.small },
});
