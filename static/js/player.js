// Newsreel's player enhancements. The page works without this script: native
// controls, captions, a server-rendered transcript, and time links that load
// the page at a moment. Components are found by data-module; the script adds
// behaviour and controls around them and never replaces them.
import {initChapters} from './chapters.js';
import {initDescriptions} from './describe.js';
import {captionTracks, clock, el, select} from './dom.js';
import {initPreferences} from './preferences.js';
import {initShortcuts} from './shortcuts.js';
import {initSpoken} from './spoken.js';
import {initTranscript} from './transcript.js';

// The controls' words are English whatever the article's language, so they say so with lang="en".
function enhancePlayer(figure, media) {
  const status = el('p', {class: 'app-player__status app-visually-hidden', role: 'status', lang: 'en'});
  const announce = (text) => { status.textContent = text; };

  const speed = select('Speed', ['0.75', '1', '1.25', '1.5', '1.75', '2'].map((rate) => [rate, `${rate}×`]), '1');
  const options = [...speed.control.options];
  speed.control.addEventListener('change', () => { media.playbackRate = Number(speed.control.value); });
  // The native menu can change the rate too: keep the select truthful.
  media.addEventListener('ratechange', () => {
    const option = options.find((item) => Number(item.value) === media.playbackRate);
    if (option) option.selected = true;
  });
  const step = (by) => {
    const option = options[Math.min(options.length - 1, Math.max(0, speed.control.selectedIndex + by))];
    option.selected = true;
    media.playbackRate = Number(option.value);
    announce(`Speed ${option.text}.`);
  };
  const jump = (by) => {
    media.currentTime = Math.min(Math.max(0, media.currentTime + by), media.duration || 0);
    announce(`${clock(media.currentTime)}.`);
  };

  const captions = captionTracks(media);
  let chosen = captions.find((track) => track.mode === 'showing') || captions[0];
  media.textTracks.addEventListener('change', () => {
    chosen = captions.find((track) => track.mode === 'showing') || chosen;
  });
  const description = initDescriptions(media, announce, initSpoken(figure, media));
  const actions = {
    k: () => (media.paused ? media.play().catch(() => {}) : media.pause()),
    j: () => jump(-10),
    l: () => jump(10),
    m: () => {
      media.muted = !media.muted;
      announce(`Sound ${media.muted ? 'off' : 'on'}.`);
    },
    '<': () => step(-1),
    '>': () => step(1),
  };
  if (chosen) {
    actions.c = () => {
      const showing = chosen.mode === 'showing';
      chosen.mode = showing ? 'disabled' : 'showing';
      announce(showing ? 'Captions off.' : `Captions on: ${chosen.label}.`);
    };
  }
  if (description && description.toggle) actions.d = description.toggle;
  const shortcuts = initShortcuts(figure, actions);
  media.setAttribute('aria-keyshortcuts', Object.keys(actions).join(' '));

  // Settings share one closed panel: the player stays compact, on a phone and in an embed frame.
  const style = media.localName === 'video' && captions.length ? initPreferences(figure, announce) : null;
  const speech = description && description.settings;
  const parts = [el('div', {class: 'app-player__controls', lang: 'en'}, speed.field, ...(description ? description.fields : []), shortcuts.button)];
  if (style || speech) {
    parts.push(el('details', {class: 'app-panel', lang: 'en'}, el('summary', {class: 'app-panel__summary'},
      style && speech ? 'Caption and speech settings' : style ? 'Caption settings' : 'Speech settings'),
    el('div', {class: 'app-panel__body'}, ...[style, speech].filter(Boolean))));
  }
  // Placed before the figcaption, which must stay the figure's last child.
  figure.querySelector(':scope > figcaption').before(...parts, status, shortcuts.dialog);
}

const mediaOf = (figure) => figure && figure.querySelector('video, audio');
for (const figure of document.querySelectorAll('[data-module="app-player"]')) {
  if (mediaOf(figure)) enhancePlayer(figure, mediaOf(figure));
}
for (const [name, init] of [['app-transcript', initTranscript], ['app-chapters', initChapters]]) {
  for (const node of document.querySelectorAll(`[data-module="${name}"]`)) {
    const media = mediaOf(document.getElementById(node.dataset.player));
    if (media) init(node, media);
  }
}
