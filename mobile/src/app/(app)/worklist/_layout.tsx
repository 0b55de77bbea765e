import { Stack } from 'expo-router';

export default function WorklistLayout() {
  return (
    <Stack>
      <Stack.Screen name="index" options={{ title: 'Worklist' }} />
      <Stack.Screen name="[id]" options={{ title: 'Review' }} />
    </Stack>
  );
}
