/**
 * Take or choose a lesion photo in the browser: two file inputs (`accept="image/*"`), one with
 * `capture="environment"` so phone browsers open the rear camera. The chosen file becomes a blob:
 * URL the engine decodes with createImageBitmap (which applies EXIF orientation itself).
 */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import { StyleSheet, View } from 'react-native';

import { Button } from '@/ui/Button';
import { FormMessage } from '@/ui/States';
import { space } from '@/ui/theme';
import type { Photo } from '../engine.types';

type Props = { onPicked: (photo: Photo) => void; hasPhoto: boolean };

const hidden = { display: 'none' } as const;

export function PhotoPicker({ onPicked, hasPhoto }: Props) {
  const camera = useRef<HTMLInputElement>(null);
  const library = useRef<HTMLInputElement>(null);
  const current = useRef<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => () => {
    if (current.current) URL.revokeObjectURL(current.current);
  }, []);

  function picked(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = ''; // choosing the same file again still fires a change
    if (!file) return;
    if (file.type && !file.type.startsWith('image/')) {
      setMessage(`“${file.name}” is not a photo. Choose a JPEG, PNG or HEIC image.`);
      return;
    }
    setMessage(null);
    if (current.current) URL.revokeObjectURL(current.current);
    const uri = URL.createObjectURL(file);
    current.current = uri;
    onPicked({ uri, mimeType: file.type || undefined });
  }

  return (
    <View style={styles.wrap}>
      <FormMessage text={message} testID="capture-message" />
      <input ref={camera} type="file" accept="image/*" capture="environment" style={hidden} data-testid="capture-camera-input" onChange={picked} />
      <input ref={library} type="file" accept="image/*" style={hidden} data-testid="capture-file-input" onChange={picked} />
      <Button title={hasPhoto ? 'Retake photo' : 'Take a photo'} testID="capture-camera" onPress={() => camera.current?.click()} />
      <Button variant="secondary" title="Choose a photo" testID="capture-library" onPress={() => library.current?.click()} />
    </View>
  );
}

const styles = StyleSheet.create({ wrap: { marginBottom: space.sm } });
