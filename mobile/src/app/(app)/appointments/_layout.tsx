import { Stack } from 'expo-router';

export default function AppointmentsLayout() {
  return (
    <Stack>
      <Stack.Screen name="index" options={{ title: 'My appointments' }} />
      <Stack.Screen name="book" options={{ title: 'Choose a clinician' }} />
      <Stack.Screen name="clinician/[id]" options={{ title: 'Book' }} />
      <Stack.Screen name="[id]" options={{ title: 'Appointment' }} />
    </Stack>
  );
}
