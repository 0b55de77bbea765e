/**
 * A body outline (front or back) drawn with plain Views, so it is the same on the web and on phones
 * without SVG. Tap to place a point (x, y in 0..1 of the map); existing lesions show as dots.
 */
import { Pressable, StyleSheet, Text, View, type GestureResponderEvent } from 'react-native';

import type { BodyView } from '../api';
import { colors, font } from '@/ui/theme';

export const MAP_WIDTH = 180;
export const MAP_HEIGHT = 360;

type Spot = { id: string; x: number; y: number; label: string };

type Props = {
  view: BodyView;
  /** The point being placed, if any. */
  point?: { x: number; y: number } | null;
  spots?: Spot[];
  onPlace?: (x: number, y: number) => void;
  onSpotPress?: (id: string) => void;
  testID: string;
};

// The outline: [left, top, width, height, radius] as fractions of the map.
const PARTS: [number, number, number, number, number][] = [
  [0.4, 0.01, 0.2, 0.1, 0.5], // head
  [0.45, 0.1, 0.1, 0.04, 0], // neck
  [0.3, 0.135, 0.4, 0.36, 0.15], // torso
  [0.15, 0.15, 0.13, 0.36, 0.4], // right arm (viewer's left on the front)
  [0.72, 0.15, 0.13, 0.36, 0.4], // left arm
  [0.31, 0.48, 0.18, 0.5, 0.3], // legs
  [0.51, 0.48, 0.18, 0.5, 0.3],
];

const clamp = (v: number) => Math.min(1, Math.max(0, v));

export function BodyMap({ view, point, spots = [], onPlace, onSpotPress, testID }: Props) {
  function place(event: GestureResponderEvent) {
    // Phones give locationX/Y; in the browser a click's offsetX/Y is the same (the outline's parts
    // and the point let clicks through, so the map itself is the target).
    const e = event.nativeEvent as { locationX?: number; locationY?: number; offsetX?: number; offsetY?: number };
    const x = Number.isFinite(e.locationX) ? e.locationX : e.offsetX;
    const y = Number.isFinite(e.locationY) ? e.locationY : e.offsetY;
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) return;
    onPlace?.(clamp(x / MAP_WIDTH), clamp(y / MAP_HEIGHT));
  }
  return (
    <View style={styles.wrap}>
      <Text style={styles.caption}>{view === 'front' ? 'Front (as you face someone)' : 'Back'}</Text>
      <Pressable
        testID={testID}
        onPress={onPlace ? place : undefined}
        disabled={!onPlace}
        accessibilityRole={onPlace ? 'adjustable' : 'image'}
        accessibilityLabel={onPlace ? `Body map, ${view}: tap where the lesion is` : `Body map, ${view}`}
        style={styles.map}
      >
        {PARTS.map(([left, top, width, height, radius], i) => (
          <View
            key={i}
            pointerEvents="none"
            style={[styles.part, { left: left * MAP_WIDTH, top: top * MAP_HEIGHT, width: width * MAP_WIDTH, height: height * MAP_HEIGHT, borderRadius: radius * width * MAP_WIDTH }]}
          />
        ))}
        {spots.map((s) => (
          <Pressable
            key={s.id}
            testID={`${testID}-spot-${s.id}`}
            accessibilityRole="button"
            accessibilityLabel={s.label}
            onPress={onSpotPress ? () => onSpotPress(s.id) : undefined}
            style={[styles.spot, { left: s.x * MAP_WIDTH - 7, top: s.y * MAP_HEIGHT - 7 }]}
          />
        ))}
        {point ? <View pointerEvents="none" testID={`${testID}-point`} style={[styles.point, { left: point.x * MAP_WIDTH - 9, top: point.y * MAP_HEIGHT - 9 }]} /> : null}
      </Pressable>
    </View>
  );
}

const styles = StyleSheet.create({
  wrap: { alignItems: 'center', marginVertical: 8 },
  caption: { color: colors.muted, fontSize: font.small, marginBottom: 4 },
  map: { width: MAP_WIDTH, height: MAP_HEIGHT, backgroundColor: colors.card, borderWidth: 1, borderColor: colors.border, borderRadius: 8 },
  part: { position: 'absolute', backgroundColor: '#E6D3C3' },
  spot: { position: 'absolute', width: 14, height: 14, borderRadius: 7, backgroundColor: colors.primary, borderWidth: 2, borderColor: '#fff' },
  point: { position: 'absolute', width: 18, height: 18, borderRadius: 9, backgroundColor: colors.danger, borderWidth: 3, borderColor: '#fff' },
});
