// Caption style: size, colours, background opacity and font. The choices
// become CSS custom properties on the player's figure, which the video::cue
// rule in app.css reads; the preview inherits them too. Nothing here writes a
// style attribute, which the content security policy would refuse.
import {el, fieldset, select, store} from './dom.js';

const KEY = 'newsreel:captions';
const DEFAULTS = {size: '100', color: '#ffffff', background: '#000000', opacity: '75', font: 'sans'};
const percent = (values) => values.map((value) => [value, `${value} %`]);
const FONTS = {
  sans: ['Sans serif', 'system-ui, "Liberation Sans", Arial, sans-serif'],
  serif: ['Serif', 'Georgia, "Liberation Serif", serif'],
  mono: ['Monospace', '"Liberation Mono", "Courier New", monospace'],
  wide: ['Wide (Verdana)', 'Verdana, "DejaVu Sans", sans-serif'],
};
const CHOICES = {
  size: ['Text size', percent(['75', '100', '125', '150', '175', '200'])],
  color: ['Text colour', [['#ffffff', 'White'], ['#ffff00', 'Yellow'], ['#00ffff', 'Cyan'], ['#00ff00', 'Green'], ['#000000', 'Black']]],
  background: ['Background colour', [['#000000', 'Black'], ['#ffffff', 'White'], ['#0b3d91', 'Dark blue'], ['#ffff00', 'Yellow']]],
  opacity: ['Background opacity', percent(['0', '25', '50', '75', '100'])],
  font: ['Font', Object.entries(FONTS).map(([key, [name]]) => [key, name])],
};

/** Return the caption style fieldset for a player figure, its choices applied. */
export function initPreferences(figure, announce) {
  const stored = store.read(KEY, DEFAULTS);
  const controls = {};
  let prefs = {};
  for (const [key, [label, options]] of Object.entries(CHOICES)) {
    // A stored value that is not a choice (an older version, a hand edit) falls back to the default.
    prefs[key] = options.some(([value]) => value === stored[key]) ? stored[key] : DEFAULTS[key];
    controls[key] = select(label, options, prefs[key]);
  }
  const warning = el('p', {class: 'app-caption-style__warning', role: 'status'});
  const reset = el('button', {type: 'button', class: 'app-button app-button--secondary'}, 'Reset caption style');
  const group = fieldset('Caption style', ...Object.values(controls).map((item) => item.field),
    el('div', {class: 'app-caption-style__preview'}, el('span', {class: 'app-caption-style__cue'}, 'Captions will look like this.')),
    warning, el('p', {class: 'app-caption-style__note'}, 'Your choices are kept in this browser only.'), reset);

  const apply = () => {
    const [r, g, b] = channels(prefs.background);
    for (const [name, value] of [['size', `${prefs.size}%`], ['color', prefs.color], ['font', FONTS[prefs.font][1]],
      ['background', `rgba(${r}, ${g}, ${b}, ${prefs.opacity / 100})`]]) figure.style.setProperty(`--app-cue-${name}`, value);
    // A see-through background shows the picture, so only warn about solid colours that are alike.
    const ratio = contrast(prefs.color, prefs.background);
    warning.textContent = prefs.opacity >= 50 && ratio < 4.5
      ? `These colours are hard to tell apart (contrast ${ratio.toFixed(1)} to 1).` : '';
  };
  group.addEventListener('change', () => {
    for (const key in controls) prefs[key] = controls[key].control.value;
    store.write(KEY, prefs);
    apply();
  });
  reset.addEventListener('click', () => {
    store.remove(KEY);
    prefs = {...DEFAULTS};
    for (const key in controls) controls[key].control.value = prefs[key];
    apply();
    announce('Caption style reset.');
  });
  apply();
  return group;
}

const channels = (hex) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));

/** Return the WCAG contrast ratio of two #rrggbb colours. */
function contrast(...colours) {
  const [light, dark] = colours.map((hex) => {
    const [r, g, b] = channels(hex).map((value) => {
      const c = value / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }).sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
