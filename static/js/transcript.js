// The interactive transcript: the server-rendered paragraphs gain a highlight
// that follows the clip, seek on click, a search, and optional auto-scroll.
import {captionTracks, checkbox, el, reducedMotion, seekOnClick, setCurrent, store, uid} from './dom.js';

const KEY = 'newsreel:transcript';

/** Enhance a transcript section whose paragraphs carry data-start and data-end. */
export function initTranscript(section, media) {
  const details = [...section.querySelectorAll('details')];
  if (!details.length) return;
  const cues = [...section.querySelectorAll('.app-transcript__cue')].map((node) => ({
    node, start: Number(node.dataset.start), end: Number(node.dataset.end)}));
  section.classList.add('app-transcript--enhanced');

  // Only with the script is each transcript a bounded box that scrolls by
  // itself; a box that scrolls must be reachable by keyboard, and named.
  const heading = section.querySelector('h2');
  for (const item of details) {
    const summary = item.querySelector('summary');
    summary.id ||= uid('app-transcript-summary');
    const body = item.querySelector('.app-transcript__body');
    body.tabIndex = 0;
    body.setAttribute('role', 'region');
    body.setAttribute('aria-labelledby', `${heading.id} ${summary.id}`);
  }

  const scroll = checkbox('Scroll the transcript with the video', store.read(KEY, {autoscroll: !reducedMotion()}).autoscroll);
  const id = uid('app-transcript-search');
  const search = el('input', {type: 'search', id, class: 'app-input', autocomplete: 'off'});
  const status = el('p', {class: 'app-transcript__status', role: 'status'});
  heading.after(el('div', {class: 'app-transcript__tools', lang: 'en'},
    el('div', {class: 'app-field'}, el('label', {for: id, class: 'app-field__label'}, 'Search the transcript'), search),
    scroll.field, status));
  scroll.control.addEventListener('change', () => {
    store.write(KEY, {autoscroll: scroll.control.checked});
    follow(cues.filter((cue) => cue.on));
  });

  const update = () => {
    const started = [];
    for (const cue of cues) {
      const on = media.currentTime >= cue.start && media.currentTime < cue.end;
      if (on === cue.on) continue;
      cue.on = on;
      setCurrent(cue.node, on, 'app-transcript__cue--current');
      if (on) started.push(cue);
    }
    follow(started);
  };

  // Scrolls the transcript's own box, never the page, and never moves focus:
  // someone reading or tabbing elsewhere stays where they are.
  function follow(started) {
    const cue = scroll.control.checked && started.find((item) => item.node.offsetParent);
    if (!cue) return;
    const box = cue.node.closest('.app-transcript__body');
    const top = box.scrollTop + cue.node.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTo({top: top - box.clientHeight / 3, behavior: reducedMotion() ? 'auto' : 'smooth'});
  }

  for (const type of ['timeupdate', 'seeked', 'loadedmetadata']) media.addEventListener(type, update);
  update();

  section.addEventListener('click', (event) => {
    const cue = event.target.closest('.app-transcript__cue');
    if (cue) seekOnClick(event, media, cue);
  });

  // The transcript follows the caption language: the caption panels come in the order of the caption <track>s.
  // Only a change of language opens one: other track changes leave closed transcripts closed.
  // A silent clip's description panels follow no caption track.
  const captionPanels = details.filter((item) => item.dataset.kind === 'captions' || item.dataset.kind === 'subtitles');
  const tracks = captionTracks(media);
  let showing = tracks.findIndex((track) => track.mode === 'showing');
  media.textTracks.addEventListener('change', () => {
    const index = tracks.findIndex((track) => track.mode === 'showing');
    if (index === showing || !captionPanels[index]) return;
    showing = index;
    captionPanels[index].open = true;
    follow(cues.filter((cue) => cue.on));
  });

  let timer;
  search.addEventListener('input', () => {
    const summary = filter(details, search.value.trim());
    // Announced after a pause in typing, not at every keystroke.
    clearTimeout(timer);
    timer = setTimeout(() => { status.textContent = summary; }, 600);
  });
}

/** Hide the paragraphs without the query and mark it in the rest; return a sentence about the matches. */
function filter(details, query) {
  const pattern = query && new RegExp(`(${query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`, 'iu');
  let total = 0;
  const counts = details.map((item) => {
    for (const mark of item.querySelectorAll('mark')) mark.replaceWith(mark.textContent);
    item.normalize();
    let count = 0;
    for (const node of item.querySelectorAll('.app-transcript__cue')) {
      const texts = textNodes(node);
      node.hidden = pattern && !pattern.test(texts.map((text) => text.data).join(''));
      if (!pattern || node.hidden) continue;
      count += 1;
      for (const text of texts) {
        // split() with a capturing group puts the matches at the odd indexes.
        const parts = text.data.split(new RegExp(pattern.source, 'giu'));
        if (parts.length > 1) text.replaceWith(...parts.map((part, i) => (i % 2 ? el('mark', {class: 'app-transcript__match'}, part) : part)));
      }
    }
    // A chapter heading with nothing left under it would mislead.
    for (const chapter of item.querySelectorAll('h3')) {
      let next = chapter.nextElementSibling;
      while (next && next.hidden && next.localName !== 'h3') next = next.nextElementSibling;
      chapter.hidden = !next || next.localName === 'h3';
    }
    total += count;
    return `${item.querySelector('summary').textContent}: ${count}`;
  });
  if (!pattern) return '';
  return `${total} ${total === 1 ? 'paragraph matches' : 'paragraphs match'} “${query}”${details.length > 1 ? ` (${counts.join(', ')})` : ''}.`;
}

/** Return a paragraph's text nodes, leaving out its "Play the video from" time link. */
function textNodes(node) {
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT,
    (text) => (text.parentElement.closest('.app-transcript__time') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT));
  const found = [];
  while (walker.nextNode()) found.push(walker.currentNode);
  return found;
}
