// The version of the clip with its descriptions spoken in the soundtrack. The
// page names it on the player's figure (data-described); switching swaps the
// <source>s and keeps the place, play or pause, speed and caption choice. The
// extended version, whose times differ, stays a link of its own.
import {el} from './dom.js';

/** Return {on, set(on)} for a player with a spoken version, or null. */
export function initSpoken(figure, media) {
  if (!figure.dataset.described) return null;
  const versions = JSON.parse(figure.dataset.described);
  let on = versions.on;
  // The switch in the player replaces the page's link to the other version; one control, not two.
  const link = figure.querySelector('.app-video__described-switch');
  if (link) {
    const list = link.parentElement;
    link.remove();
    if (!list.children.length) list.remove();
  }

  function swap(sources) {
    const time = media.currentTime;
    const paused = media.paused;
    const rate = media.playbackRate;
    const tracks = [...media.textTracks];
    const modes = tracks.map((track) => track.mode);
    // Before its metadata, the clip is still at the page's start time: keep its #t= fragment.
    const fresh = media.readyState === 0;
    const old = media.querySelector('source');
    const fragment = fresh && old ? old.getAttribute('src').split('#')[1] : undefined;
    for (const source of media.querySelectorAll('source')) source.remove();
    media.prepend(...sources.map(({src, type}) => el('source', {src: fragment ? `${src}#${fragment}` : src, type})));
    media.load();
    // Chromium (156) keeps the modes across load(), as the HTML standard's load algorithm
    // does not touch them; putting them back anyway covers a browser that re-runs its
    // automatic track choice, which would show the default captions instead of the viewer's.
    const restore = () => tracks.forEach((track, index) => {
      if (track.mode !== modes[index]) track.mode = modes[index];
    });
    restore();
    media.addEventListener('loadedmetadata', () => {
      if (!fresh) media.currentTime = time;
      media.playbackRate = rate;
      restore();
      if (!paused) media.play().catch(() => {});
    }, {once: true});
  }

  return {
    get on() { return on; },
    language: versions.language,
    set(wanted) {
      if (wanted === on) return;
      on = wanted;
      swap(on ? versions.described : versions.plain);
      // A reload or a shared address then opens the version playing now.
      const url = new URL(location.href);
      if (on) url.searchParams.set('described', '1');
      else url.searchParams.delete('described');
      history.replaceState(history.state, '', url);
    },
  };
}
