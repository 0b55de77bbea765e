import { Stack } from 'expo-router';

export default function ScreeningLayout() {
  return (
    <Stack>
      <Stack.Screen name="index" options={{ title: 'Screening' }} />
      <Stack.Screen name="result/[clientUuid]" options={{ title: 'Result' }} />
      <Stack.Screen name="history" options={{ title: 'My screenings' }} />
      <Stack.Screen name="queue" options={{ title: 'Waiting to sync' }} />
      <Stack.Screen name="detail/[id]" options={{ title: 'Screening' }} />
      <Stack.Screen name="share/[id]" options={{ title: 'Share' }} />
      <Stack.Screen name="lesions/index" options={{ title: 'My lesions' }} />
      <Stack.Screen name="lesions/new" options={{ title: 'New lesion' }} />
      <Stack.Screen name="lesions/[id]" options={{ title: 'Lesion timeline' }} />
      <Stack.Screen name="assign/[id]" options={{ title: 'Add to a lesion' }} />
    </Stack>
  );
}
