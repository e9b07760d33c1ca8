// The dashboard's shell: sign-in with an operator key, hash routes, the confirmation dialog.
import { api, operatorKey } from './api.js';
import { h } from './dom.js';
import { mountDora } from './views/dora.js';
import { mountRelease } from './views/release.js';
import { mountReleases } from './views/releases.js';

/** Seconds between refreshes: ?refresh=N in the page address (1 to 60), default 3. */
const refreshSeconds = (() => {
  const asked = Number(new URLSearchParams(location.search).get('refresh'));
  return Number.isInteger(asked) && asked >= 1 && asked <= 60 ? asked : 3;
})();

const main = document.getElementById('main');
const notice = document.getElementById('notice');
const signInForm = document.getElementById('sign-in');
const keyInput = document.getElementById('operator-key');
const signedIn = document.getElementById('signed-in');
const operatorLabel = document.getElementById('operator-label');
const dialog = document.getElementById('confirm-command');

function notify(message) {
  notice.textContent = message;
  notice.hidden = !message;
}

function showSignedIn() {
  const key = operatorKey.get();
  signInForm.hidden = Boolean(key);
  signedIn.hidden = !key;
  operatorLabel.textContent = key ? `Signed in with key …${key.slice(-4)}` : '';
}

/** Shows an API failure in `element`; a 401 says that an operator key is needed (or was not accepted). */
function showProblem(element, error, purpose) {
  element.hidden = false;
  element.dataset.status = String(error.status ?? '');
  if (error.unauthorized) {
    element.replaceChildren(
      h('p', null, h('strong', null, operatorKey.get() ? 'The API did not accept your operator API key.' : 'An operator API key is needed.'),
        ` Sign in with your key (top of the page) to ${purpose}.`),
      h('p', { class: 'detail' }, `The API answered ${error.message}`));
  } else {
    element.replaceChildren(h('p', null, `Could not load: ${error.message}`));
  }
}

/** Asks for confirmation in a modal dialog; resolves to the comment ('' for none), or null when cancelled. */
function confirm(title, text, action) {
  dialog.querySelector('#confirm-title').textContent = title;
  dialog.querySelector('#confirm-text').textContent = text;
  dialog.querySelector('#confirm-send').textContent = action;
  const comment = dialog.querySelector('#confirm-comment');
  comment.value = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm' ? comment.value.trim() : null), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    dialog.querySelector('#confirm-cancel').focus();
  });
}

const context = { refreshSeconds, showProblem, confirm, operatorKey: operatorKey.get };

let unmount = () => {};
function route() {
  unmount();
  const [path, search] = (location.hash.replace(/^#/, '') || '/releases').split('?');
  const params = new URLSearchParams(search ?? '');
  const parts = path.split('/').filter(Boolean);
  for (const link of document.querySelectorAll('nav a[data-section]')) {
    if (link.dataset.section === parts[0]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (parts[0] === 'releases' && parts.length >= 2) {
    unmount = mountRelease(main, decodeURIComponent(parts.slice(1).join('/')), context);
  } else if (parts[0] === 'dora') {
    document.title = 'DORA metrics · ReleaseFunctions';
    unmount = mountDora(main, params, context);
  } else {
    document.title = 'Releases · ReleaseFunctions';
    unmount = mountReleases(main, params, context);
  }
}

signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  operatorKey.set(key);
  try {
    await api.listReleases({ pageSize: 1 });
    keyInput.value = '';
    notify('');
    showSignedIn();
    route();
  } catch (error) {
    operatorKey.clear();
    showSignedIn();
    notify(error.unauthorized ? `That key was not accepted: ${error.message}` : `Could not check the key: ${error.message}`);
  }
});

document.getElementById('sign-out').addEventListener('click', () => {
  operatorKey.clear();
  showSignedIn();
  notify('Signed out. The key is removed from this tab.');
  route();
});

// The skip link moves focus without touching the address: the hash is the route.
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
showSignedIn();
route();
