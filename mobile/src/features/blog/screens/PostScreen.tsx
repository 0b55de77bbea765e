/** One article, rendered from its sanitised HTML, with a bookmark toggle. */
import { useLocalSearchParams } from 'expo-router';
import { StyleSheet, Text, View } from 'react-native';

import { useBookmarkMutation, usePostQuery } from '../queries';
import { asFailure, failureMessage } from '@/api/result';
import { formatDate } from '@/lib/format';
import { HtmlView } from '@/lib/html';
import { Button } from '@/ui/Button';
import { QueryView } from '@/ui/QueryView';
import { Screen } from '@/ui/Screen';
import { FormMessage } from '@/ui/States';
import { colors, font, space } from '@/ui/theme';

export function PostScreen() {
  const { slug } = useLocalSearchParams<{ slug: string }>();
  const post = usePostQuery(slug);
  const bookmark = useBookmarkMutation(slug);

  return (
    <Screen testID="screen-post">
      <QueryView query={post} loadingLabel="Loading article…">
        {(p) => (
          <View>
            <Text style={styles.title} accessibilityRole="header" testID="post-title">
              {p.title}
            </Text>
            <Text style={styles.meta}>{[p.author_name, p.published_at ? formatDate(p.published_at) : null].filter(Boolean).join(' · ')}</Text>
            <FormMessage text={bookmark.isError ? failureMessage(asFailure(bookmark.error)) : null} testID="bookmark-error" />
            <Button
              variant={p.bookmarked ? 'secondary' : 'primary'}
              title={p.bookmarked ? '★ Bookmarked (remove)' : '☆ Bookmark'}
              testID="bookmark-toggle"
              busy={bookmark.isPending}
              onPress={() => bookmark.mutate(!p.bookmarked)}
            />
            <View style={styles.body}>
              <HtmlView html={p.body_html} testID="post-body" />
            </View>
          </View>
        )}
      </QueryView>
    </Screen>
  );
}

const styles = StyleSheet.create({
  title: { fontSize: font.heading, fontWeight: '700', color: colors.text },
  meta: { color: colors.muted, marginVertical: space.sm },
  body: { marginTop: space.lg },
});
