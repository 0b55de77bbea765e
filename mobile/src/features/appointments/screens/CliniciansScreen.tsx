/** Pick a clinician to book with. */
import { router } from 'expo-router';
import { View } from 'react-native';

import { useCliniciansQuery } from '../queries';
import { asFailure } from '@/api/result';
import { Button } from '@/ui/Button';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';

export function CliniciansScreen() {
  const clinicians = useCliniciansQuery();
  const items = clinicians.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Screen testID="screen-clinicians">
      {clinicians.data === undefined ? (
        clinicians.isError ? <ErrorState failure={asFailure(clinicians.error)} onRetry={() => void clinicians.refetch()} /> : <LoadingState label="Loading clinicians…" />
      ) : items.length === 0 ? (
        <EmptyState title="No clinicians available" body="No clinician takes bookings right now." />
      ) : (
        <View testID="clinician-list">
          {items.map((c) => (
            <ListItem
              key={c.id}
              testID={`clinician-${c.id}`}
              title={c.full_name}
              subtitle={[c.speciality, c.clinic].filter(Boolean).join(' · ')}
              onPress={() => router.push({ pathname: '/appointments/clinician/[id]', params: { id: String(c.id) } })}
            />
          ))}
          {clinicians.hasNextPage ? <Button variant="secondary" title="Load more" testID="clinicians-more" onPress={() => void clinicians.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}
