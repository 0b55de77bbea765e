/**
 * Take or choose a lesion photo on a phone (expo-image-picker). Permissions are asked only on the
 * person's tap, and a refusal says exactly where to turn it back on. No editing/cropping: the model's
 * own centre crop is what the quality check and the classifier see.
 */
import * as ImagePicker from 'expo-image-picker';
import { useState } from 'react';
import { Linking, StyleSheet, View } from 'react-native';

import { Button } from '@/ui/Button';
import { FormMessage } from '@/ui/States';
import { space } from '@/ui/theme';
import type { Photo } from '../engine.types';

type Props = { onPicked: (photo: Photo) => void; hasPhoto: boolean };

const OPTIONS: ImagePicker.ImagePickerOptions = { mediaTypes: ['images'], quality: 1, allowsEditing: false, exif: false };

function photoFrom(result: ImagePicker.ImagePickerResult): Photo | null {
  if (result.canceled) return null;
  const asset = result.assets[0];
  if (!asset) return null;
  return { uri: asset.uri, mimeType: asset.mimeType ?? undefined, width: asset.width, height: asset.height };
}

export function PhotoPicker({ onPicked, hasPhoto }: Props) {
  const [message, setMessage] = useState<string | null>(null);
  const [blocked, setBlocked] = useState(false);

  async function take() {
    setMessage(null);
    const permission = await ImagePicker.requestCameraPermissionsAsync();
    if (!permission.granted) {
      setBlocked(!permission.canAskAgain);
      setMessage(
        permission.canAskAgain
          ? 'SkinScreen needs the camera to photograph the lesion. You can also choose a photo you already took.'
          : 'Camera access is turned off for SkinScreen. Turn it on in your phone’s Settings, or choose a photo from your library.',
      );
      return;
    }
    try {
      const photo = photoFrom(await ImagePicker.launchCameraAsync(OPTIONS));
      if (photo) onPicked(photo);
    } catch {
      setMessage('The camera could not be opened on this device. Choose a photo from your library instead.');
    }
  }

  async function choose() {
    setMessage(null);
    const permission = await ImagePicker.requestMediaLibraryPermissionsAsync();
    if (!permission.granted) {
      setBlocked(!permission.canAskAgain);
      setMessage(
        permission.canAskAgain
          ? 'SkinScreen needs access to your photos to screen one you already took.'
          : 'Photo access is turned off for SkinScreen. Turn it on in your phone’s Settings to choose a photo.',
      );
      return;
    }
    const photo = photoFrom(await ImagePicker.launchImageLibraryAsync(OPTIONS));
    if (photo) onPicked(photo);
  }

  return (
    <View style={styles.wrap}>
      <FormMessage text={message} testID="capture-message" />
      {blocked ? <Button variant="secondary" title="Open Settings" testID="capture-settings" onPress={() => void Linking.openSettings()} /> : null}
      <Button title={hasPhoto ? 'Retake photo' : 'Take a photo'} testID="capture-camera" onPress={() => void take()} />
      <Button variant="secondary" title="Choose from library" testID="capture-library" onPress={() => void choose()} />
    </View>
  );
}

const styles = StyleSheet.create({ wrap: { marginBottom: space.sm } });
