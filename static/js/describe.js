// Audio description and spoken captions. Description cues always go into a
// polite live region under the video, so screen readers and braille displays
// get them even where the browser has no voice; with a voice they are also
// read aloud, and may pause the clip meanwhile (extended description).
// Spoken captions read the showing caption track aloud (EN 301 549, 7.1.5).
import {captionTracks, checkbox, cueText, el, fieldset, select, store} from './dom.js';

const KEY = 'newsreel:speech';
const RATES = ['0.75', '1', '1.25', '1.5', '1.75', '2'].map((rate) => [rate, `${rate}×`]);

/**
 * Add description and speech controls; returns {fields, settings, toggle}, or null with nothing to read.
 * With a spoken version (see spoken.js), "Audio description" switches to it, and the browser's voice
 * stays quiet about descriptions: the soundtrack speaks them.
 */
export function initDescriptions(media, announce, spoken = null) {
  const described = [...media.textTracks].find((track) => track.kind === 'descriptions');
  const captions = captionTracks(media);
  const speech = window.speechSynthesis;
  if (!described && !spoken && !(speech && captions.length)) return null;
  const prefs = store.read(KEY, {describe: false, spoken: false, extended: false, voice: '', rate: '1'});
  const save = () => store.write(KEY, prefs);
  const live = el('div', {class: 'app-player__description', 'aria-live': 'polite', lang: (described && described.language) || null});
  media.after(live);
  const fields = [];
  let voice;
  let rate;
  let resume = null;

  function say(text, lang, hold) {
    if (!speech || voice.control.value === 'none') return;
    const utterance = Object.assign(new SpeechSynthesisUtterance(text), {lang, rate: Number(rate.control.value)});
    utterance.voice = speech.getVoices().find((item) => item.voiceURI === voice.control.value) || null;
    if (hold && !media.paused) {
      media.pause();
      // Some engines never say "end": stop waiting after a generous reading time.
      const timer = setTimeout(() => resume && resume(), 2000 + (text.length * 90) / utterance.rate);
      resume = () => {
        clearTimeout(timer);
        resume = null;
        media.play().catch(() => {});
      };
      utterance.onend = utterance.onerror = () => resume && resume();
    }
    speech.speak(utterance);
  }

  // Whoever plays or seeks during a held description takes over from it.
  const stop = () => {
    resume = null;
    if (speech) speech.cancel();
  };
  media.addEventListener('play', () => { resume = null; });
  media.addEventListener('seeking', stop);

  let toggle = null;
  if (described || spoken) {
    // A page opened with ?described=1 plays the spoken version whatever was chosen before.
    const box = checkbox('Audio description', (spoken && spoken.on) || prefs.describe);
    let last = null;
    const voiced = () => spoken && spoken.on;
    const setMode = () => {
      // "hidden" loads the cues and fires cuechange without drawing them on the picture.
      // Set before switching source, so that the switch keeps this mode with the others.
      if (described) described.mode = box.control.checked ? 'hidden' : 'disabled';
      if (spoken) spoken.set(box.control.checked);
      // The cues still show under the picture, but a screen reader need not say them over the soundtrack.
      live.setAttribute('aria-live', voiced() ? 'off' : 'polite');
      if (box.control.checked && !voiced()) return;
      if (!box.control.checked) live.textContent = '';
      if (resume) resume();
      stop();
    };
    const message = () => (box.control.checked
      ? (voiced() ? 'Audio description on: the spoken version plays.' : 'Audio description on.')
      : 'Audio description off.');
    box.control.addEventListener('change', () => {
      prefs.describe = box.control.checked;
      save();
      setMode();
      if (spoken) announce(message());
    });
    if (described) {
      described.addEventListener('cuechange', () => {
        const cue = described.activeCues && described.activeCues[0];
        if (cue && cue !== last && box.control.checked) {
          live.replaceChildren(el('b', {lang: 'en'}, 'Description: '), cueText(cue));
          if (!voiced()) say(cueText(cue), described.language, prefs.extended);
        }
        last = cue;
      });
    }
    setMode();
    fields.push(box.field);
    toggle = () => {
      box.control.click();
      announce(message());
    };
  }
  if (!speech) return {fields, settings: null, toggle};

  if (captions.length) {
    const box = checkbox('Spoken captions', prefs.spoken);
    box.control.addEventListener('change', () => {
      prefs.spoken = box.control.checked;
      save();
      if (!prefs.spoken) stop();
    });
    for (const track of captions) {
      let said = [];
      track.addEventListener('cuechange', () => {
        const active = [...(track.activeCues || [])];
        if (prefs.spoken && track.mode === 'showing') {
          for (const cue of active) if (!said.includes(cue)) say(cueText(cue), track.language, false);
        }
        said = active;
      });
    }
    fields.push(box.field);
  }

  voice = select('Voice', [['', 'Browser default'], ['none', 'No voice: text only']], prefs.voice);
  rate = select('Speaking rate', RATES, prefs.rate);
  const parts = [voice.field, rate.field];
  for (const item of [voice, rate]) {
    item.control.addEventListener('change', () => {
      prefs.voice = voice.control.value;
      prefs.rate = rate.control.value;
      save();
    });
  }
  if (described) {
    const extended = checkbox('Pause the video while a description is read', prefs.extended);
    extended.control.addEventListener('change', () => {
      prefs.extended = extended.control.checked;
      save();
    });
    parts.push(extended.field);
  }
  // Voices arrive late in some browsers. Offer those that speak the clip's languages, or else all.
  const languages = [...captions, described].filter(Boolean).map((track) => track.language.split('-')[0]);
  const listVoices = () => {
    const all = speech.getVoices();
    const matching = all.filter((item) => languages.includes(item.lang.split('-')[0]));
    voice.control.replaceChildren(...[...voice.control.options].slice(0, 2),
      ...(matching.length ? matching : all).map((item) => el('option', {value: item.voiceURI}, `${item.name} (${item.lang})`)));
    voice.control.value = prefs.voice;
    if (voice.control.selectedIndex < 0) voice.control.value = '';
  };
  speech.addEventListener('voiceschanged', listVoices);
  listVoices();
  return {fields, settings: fieldset('Speech', ...parts), toggle};
}
