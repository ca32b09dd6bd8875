// Keyboard shortcuts that work only while focus is inside the player: the
// listener sits on the player's figure, so the rest of the page, and a screen
// reader's single-letter keys there, are left alone.
import {el, uid} from './dom.js';

const KEYS = [['k', 'Play or pause'], ['j', 'Back 10 seconds'], ['l', 'Forward 10 seconds'],
  ['c', 'Captions on or off'], ['d', 'Audio description on or off'], ['m', 'Sound on or off'],
  ['<', 'Slower'], ['>', 'Faster'], ['?', 'Show these shortcuts']];
// Keys typed into these belong to them: letters pick a <select> option or go into a text field.
const TYPING = 'select, textarea, input:not([type=checkbox]), dialog';

/** Listen for the player's shortcuts; returns the "Keyboard shortcuts" button and its dialog. */
export function initShortcuts(figure, actions) {
  const title = uid('app-shortcuts-title');
  const close = el('button', {type: 'button', class: 'app-button'}, 'Close');
  const button = el('button', {type: 'button', class: 'app-button app-button--secondary', 'aria-haspopup': 'dialog'}, 'Keyboard shortcuts');
  actions['?'] = () => dialog.showModal();
  // autofocus on the dialog itself: it opens at its title, not scrolled down to the first button.
  const dialog = el('dialog', {class: 'app-shortcuts', 'aria-labelledby': title, autofocus: '', lang: 'en'},
    el('h2', {id: title, class: 'app-shortcuts__title'}, 'Keyboard shortcuts'),
    el('p', {}, 'These keys work while the video or one of its controls has focus. ',
      'On the video itself, Space or Enter also plays and pauses, and the arrow keys move through the clip.'),
    el('table', {class: 'app-shortcuts__table'},
      el('thead', {}, el('tr', {}, el('th', {scope: 'col'}, 'Key'), el('th', {scope: 'col'}, 'Action'))),
      el('tbody', {}, ...KEYS.filter(([key]) => actions[key]).map(([key, text]) =>
        el('tr', {}, el('td', {}, el('kbd', {class: 'app-shortcuts__key'}, key)), el('td', {}, text))))),
    close);

  button.addEventListener('click', actions['?']);
  close.addEventListener('click', () => dialog.close());
  // Escape closes a modal <dialog> by itself; either way, focus goes back to the button.
  dialog.addEventListener('close', () => button.focus());
  figure.addEventListener('keydown', (event) => {
    const action = actions[event.key.length === 1 ? event.key.toLowerCase() : ''];
    if (!action || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.target.closest(TYPING)) return;
    // Also keeps any handling of the same key by the browser from running twice.
    event.preventDefault();
    action();
  });
  return {button, dialog};
}
