// Helpers shared by the player modules. Text always goes in as text nodes:
// cue text, labels and voice names are data, never parsed as HTML.

let counter = 0;

/** Return a new element with attributes and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value != null) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Return an id no other element on the page has. */
export function uid(prefix) {
  let id;
  do id = `${prefix}-${++counter}`; while (document.getElementById(id));
  return id;
}

/** Return {field, control}: a labelled <select> of [value, text] options. */
export function select(label, options, value) {
  const id = uid('app-field');
  const control = el('select', {id, class: 'app-select'}, ...options.map(([v, text]) => el('option', {value: v}, text)));
  control.value = value;
  return {control, field: el('div', {class: 'app-field'}, el('label', {for: id, class: 'app-field__label'}, label), control)};
}

/** Return {field, control}: a labelled checkbox. */
export function checkbox(label, checked) {
  const id = uid('app-check');
  const control = el('input', {type: 'checkbox', id, class: 'app-check__input'});
  control.checked = checked;
  return {control, field: el('div', {class: 'app-check'}, control, el('label', {for: id, class: 'app-check__label'}, label))};
}

/** Return a <fieldset> of related controls under a legend. */
export function fieldset(legend, ...children) {
  return el('fieldset', {class: 'app-fieldset'}, el('legend', {class: 'app-fieldset__legend'}, legend), ...children);
}

// localStorage may be switched off or full: preferences then last as long as the page.
export const store = {
  read(key, defaults) {
    try {
      return {...defaults, ...JSON.parse(localStorage.getItem(key))};
    } catch {
      return {...defaults};
    }
  },
  write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* this page only */ }
  },
  remove(key) {
    try { localStorage.removeItem(key); } catch { /* nothing stored */ }
  },
};

/** Mark a node as the current one, or not: a class for the eye, aria-current for screen readers. */
export function setCurrent(node, on, className) {
  node.classList.toggle(className, on);
  if (on) node.setAttribute('aria-current', 'true');
  else node.removeAttribute('aria-current');
}

export const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** Return m:ss for a number of seconds. */
export function clock(seconds) {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Return the caption and subtitle tracks, in the order of their <track> elements. */
export const captionTracks = (media) => [...media.textTracks].filter((t) => t.kind === 'captions' || t.kind === 'subtitles');

/** Return a cue's words without its WebVTT tags. */
export const cueText = (cue) => cue.getCueAsHTML().textContent.replace(/\s+/g, ' ').trim();

/**
 * Seek to target's data-start instead of following its "?t=" link; returns whether it did.
 * Clicks that open a new tab or window, or end a text selection, are left to the browser.
 */
export function seekOnClick(event, media, target) {
  if (event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return false;
  if (!event.target.closest('a') && !getSelection().isCollapsed) return false;
  event.preventDefault();
  media.currentTime = Number(target.dataset.start);
  return true;
}
