/**
 * New screening: take or choose a photo, check its quality on exactly what the model will see,
 * optionally say where the lesion is and add a note, then screen it (on the device first; the
 * clinic's server too when the fallback policy or the person asks; queued when offline).
 */
import { router } from 'expo-router';
import { useEffect, useRef, useState } from 'react';
import { Image, StyleSheet, Text, View } from 'react-native';

import { useOnline } from '@/lib/network';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { Card, Screen } from '@/ui/Screen';
import { FormMessage, LoadingState } from '@/ui/States';
import { TextField } from '@/ui/TextField';
import { colors, font, space } from '@/ui/theme';
import { exposeBenchHook } from '../components/benchHook';
import { PhotoPicker } from '../components/PhotoPicker';
import { QualityVerdict } from '../components/QualityVerdict';
import { getClassifier, preparePhoto, useModel, useOutbox } from '../engine';
import type { ModelState, Photo, QualityReport } from '../engine.types';
import { checkQuality, QUALITY_INPUT_SIZE } from '../quality';
import { useScreenMutation } from '../queries';

export const BODY_SITES = ['Face', 'Scalp', 'Neck', 'Chest', 'Back', 'Abdomen', 'Arm', 'Hand', 'Leg', 'Foot', 'Other'] as const;

type Check = { state: 'idle' } | { state: 'checking' } | { state: 'done'; report: QualityReport } | { state: 'error'; message: string };

type Runtime = { state: 'idle' | 'starting' | 'ready' } | { state: 'error'; error: string };

/**
 * Start the classifier (LiteRT's WASM on the web, fast-tflite on phones) as soon as the screen opens
 * with a model, so it is loaded while the person takes the photo, and still there if the network
 * drops before they press "screen".
 */
function useRuntime(model: ModelState): Runtime {
  const [started, setStarted] = useState<{ version: string; error: string | null } | null>(null);
  const version = model.state === 'ready' ? model.manifest.version : null;
  useEffect(() => {
    if (!version) return undefined;
    let live = true;
    getClassifier().then(
      () => live && setStarted({ version, error: null }),
      (error: unknown) => live && setStarted({ version, error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      live = false;
    };
  }, [version]);
  if (!version) return { state: 'idle' };
  if (started?.version !== version) return { state: 'starting' };
  return started.error === null ? { state: 'ready' } : { state: 'error', error: started.error };
}

function ModelStatus({ model, runtime, online }: { model: ModelState; runtime: Runtime; online: boolean }) {
  let text: string;
  const unavailable = (why: string) =>
    online
      ? `The on-device model is not available (${why}). The clinic’s server will screen your photo instead.`
      : `The on-device model is not available (${why}). Your photo will be kept and screened when you are back online.`;
  if (model.state === 'loading') text = 'Getting the screening model ready…';
  else if (model.state === 'error') text = unavailable(model.error);
  else if (runtime.state === 'error') text = unavailable(runtime.error);
  else if (runtime.state !== 'ready') text = `Starting model ${model.manifest.version} on this device…`;
  else {
    text = `Model ${model.manifest.version} is ready on this device${model.source === 'bootstrap' ? ' (the one built into the app)' : ''}. Screening works offline.`;
  }
  return (
    <Text style={[styles.status, (model.state === 'error' || runtime.state === 'error') && styles.statusError]} testID="model-status">
      {text}
    </Text>
  );
}

export function NewScreeningScreen() {
  const model = useModel();
  const runtime = useRuntime(model);
  const online = useOnline();
  const outbox = useOutbox();
  const screen = useScreenMutation();
  const [photo, setPhoto] = useState<Photo | null>(null);
  const [check, setCheck] = useState<Check>({ state: 'idle' });
  const [override, setOverride] = useState(false);
  const [bodySite, setBodySite] = useState('');
  const [note, setNote] = useState('');
  const [askServer, setAskServer] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const latest = useRef(0);
  useEffect(exposeBenchHook, []);

  const waiting = outbox.items.filter((i) => i.status !== 'synced').length;

  async function picked(next: Photo) {
    const run = ++latest.current;
    setPhoto(next);
    setOverride(false);
    setMessage(null);
    setCheck({ state: 'checking' });
    try {
      const prepared = await preparePhoto(next, QUALITY_INPUT_SIZE);
      const report = checkQuality(prepared.tensor, prepared.size);
      if (run === latest.current) setCheck({ state: 'done', report });
    } catch (error) {
      if (run !== latest.current) return;
      const detail = error instanceof Error ? error.message : String(error);
      setCheck({ state: 'error', message: `This file could not be read as a photo (${detail}). Try another one.` });
    }
  }

  async function submit() {
    if (!photo || check.state !== 'done') return;
    if (note.length > 500) return setMessage('Keep the note under 500 characters.');
    setMessage(null);
    const outcome = await screen.mutateAsync({
      photo,
      askServer,
      bodySite,
      note: note.trim(),
      quality: check.report,
      qualityOverridden: !check.report.ok,
    });
    if (outcome.kind === 'done' || outcome.kind === 'queued') {
      // The result has its own screen; coming back here starts a new screening from a clean form.
      latest.current += 1;
      setPhoto(null);
      setCheck({ state: 'idle' });
      setOverride(false);
      setBodySite('');
      setNote('');
      setAskServer(false);
      router.push({ pathname: '/screening/result/[clientUuid]', params: { clientUuid: outcome.clientUuid } });
    } else if (outcome.kind === 'quality') {
      setCheck({ state: 'done', report: outcome.report });
    } else {
      setMessage(outcome.message);
    }
  }

  const report = check.state === 'done' ? check.report : null;
  const canScreen = report !== null && (report.ok || override);

  return (
    <Screen testID="screen-screening-new" title="Screen a lesion">
      <Text style={styles.intro}>
        Photograph one lesion from about 10 cm, in good light, with the lesion in the middle. The result is a screening aid, not a diagnosis.
      </Text>
      <ModelStatus model={model} runtime={runtime} online={online} />
      <View style={styles.links}>
        <Button variant="secondary" title="My screenings" testID="goto-history" onPress={() => router.push('/screening/history')} />
        {waiting > 0 ? (
          <Button variant="secondary" title={`Waiting to sync (${waiting})`} testID="goto-queue" onPress={() => router.push('/screening/queue')} />
        ) : null}
      </View>

      <PhotoPicker onPicked={(p) => void picked(p)} hasPhoto={photo !== null} />

      {photo ? (
        <Card testID="capture-preview">
          <Image source={{ uri: photo.uri }} style={styles.preview} resizeMode="contain" accessibilityLabel="The photo you chose" testID="capture-image" />
        </Card>
      ) : null}
      {check.state === 'checking' ? <LoadingState label="Checking the photo…" testID="quality-checking" /> : null}
      {check.state === 'error' ? <FormMessage text={check.message} testID="quality-error" /> : null}
      {report ? <QualityVerdict report={report} /> : null}
      {report && !report.ok ? (
        <Chip
          label="Screen this photo anyway (the result may be unreliable)"
          selected={override}
          onPress={() => setOverride((v) => !v)}
          testID="quality-override"
        />
      ) : null}

      {report ? (
        <>
          <Text style={styles.label}>Where is the lesion? (optional)</Text>
          <View style={styles.chips} testID="body-sites">
            {BODY_SITES.map((site) => (
              <Chip key={site} label={site} selected={bodySite === site} onPress={() => setBodySite(bodySite === site ? '' : site)} testID={`body-site-${site.toLowerCase()}`} />
            ))}
          </View>
          <TextField
            label="Note for your clinician (optional)"
            testID="screening-note"
            value={note}
            onChangeText={setNote}
            multiline
            maxLength={500}
            placeholder="e.g. appeared in spring, has grown, itches"
          />
          <Chip
            label="Also ask the clinic’s server"
            selected={askServer}
            onPress={() => setAskServer((v) => !v)}
            testID="ask-server"
            accessibilityLabel="Also ask the clinic’s server for its answer"
          />
          <FormMessage text={message} testID="screening-message" />
          <Button title="Screen this photo" testID="screening-submit" disabled={!canScreen} busy={screen.isPending} onPress={() => void submit()} />
          {!canScreen ? <Text style={styles.hint}>Retake the photo, or choose to screen it anyway.</Text> : null}
        </>
      ) : null}
    </Screen>
  );
}

const styles = StyleSheet.create({
  intro: { fontSize: font.body, color: colors.text, marginBottom: space.sm },
  status: { fontSize: font.small, color: colors.muted, marginBottom: space.sm },
  statusError: { color: colors.warning },
  links: { flexDirection: 'row', gap: space.sm, flexWrap: 'wrap', marginBottom: space.sm },
  preview: { width: '100%', aspectRatio: 1, borderRadius: 8, backgroundColor: '#000' },
  label: { fontSize: font.small, color: colors.text, fontWeight: '600', marginBottom: space.xs },
  chips: { flexDirection: 'row', flexWrap: 'wrap', marginBottom: space.sm },
  hint: { fontSize: font.small, color: colors.muted, textAlign: 'center' },
});
