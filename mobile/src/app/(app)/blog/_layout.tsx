import { Stack } from 'expo-router';

export default function BlogLayout() {
  return (
    <Stack>
      <Stack.Screen name="index" options={{ title: 'Blog' }} />
      <Stack.Screen name="[slug]" options={{ title: 'Article' }} />
      <Stack.Screen name="bookmarks" options={{ title: 'My bookmarks' }} />
    </Stack>
  );
}
