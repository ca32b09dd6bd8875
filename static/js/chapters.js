// Chapter links seek in place instead of reloading the page. The chapter
// playing now is marked for everyone: aria-current for screen readers, a bar
// and bold text on screen.
import {seekOnClick, setCurrent} from './dom.js';

/** Enhance a chapters <nav> whose links carry data-start. */
export function initChapters(nav, media) {
  const links = [...nav.querySelectorAll('a[data-start]')];
  const update = () => {
    // A chapter lasts until the next one starts.
    const current = links.filter((link) => Number(link.dataset.start) <= media.currentTime).pop() || links[0];
    for (const link of links) setCurrent(link, link === current, 'app-chapters__link--current');
  };
  nav.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-start]');
    if (link && seekOnClick(event, media, link)) update();
  });
  for (const type of ['timeupdate', 'seeked', 'loadedmetadata']) media.addEventListener(type, update);
  update();
}
