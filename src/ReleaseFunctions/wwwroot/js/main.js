// The dashboard's shell: who is signed in (an operator key, or Entra ID behind App Service Authentication) and what
// they may do, hash routes, the confirmation dialog.
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

/** The signed-in operator as GET /api/me tells (name, signIn, roles, canRead, commands), or null. */
let signedInOperator = null;

/** Asks the API who this tab is signed in as; a 401 leaves nobody signed in (and may offer the Entra ID sign-in). */
async function checkSignIn() {
  try {
    signedInOperator = await api.me();
  } catch (error) {
    signedInOperator = null;
    document.getElementById('entra-sign-in').hidden = !error.problem?.signIn;
    if (!error.unauthorized) notify(`Could not check who is signed in: ${error.message}`);
  }
  showSignedIn();
}

/** What a set of roles lets its holder do, in words. */
function rights(me) {
  const can = ['read'];
  if (me.commands.includes('pause')) can.push('operate (pause, resume, promote, roll back, abort)');
  if (me.commands.includes('approve')) can.push('approve and reject');
  return `can ${can.join(', ')}`;
}

function showSignedIn() {
  const me = signedInOperator;
  signInForm.hidden = Boolean(me);
  signedIn.hidden = !me;
  signedIn.dataset.roles = me ? me.roles.join(' ') : '';
  const how = me?.signIn === 'api-key' ? `with key …${(operatorKey.get() ?? '').slice(-4)}` : me?.signIn === 'entra-id' ? 'with Microsoft Entra ID' : 'with a token';
  operatorLabel.textContent = me ? `Signed in as ${me.name} ${how}` : '';
  document.getElementById('operator-rights').textContent = !me ? '' : me.roles.length ? `${me.roles.join(', ')}: ${rights(me)}` : 'no release role';
}

/** Shows an API failure in `element`; a 401 says that a sign-in is needed (or was not accepted), a 403 which role is missing. */
function showProblem(element, error, purpose) {
  element.hidden = false;
  element.dataset.status = String(error.status ?? '');
  if (error.unauthorized) {
    element.replaceChildren(
      h('p', null, h('strong', null, operatorKey.get() ? 'The API did not accept your operator API key.' : 'A sign-in is needed.'),
        ` Sign in (top of the page) to ${purpose}.`),
      h('p', { class: 'detail' }, `The API answered ${error.message}`));
  } else if (error.forbidden) {
    element.replaceChildren(
      h('p', null, h('strong', null, `You may not ${purpose}.`), ` Ask for the role ${error.problem?.requiredRole ?? 'it needs'}.`),
      h('p', { class: 'detail' }, `The API answered ${error.message}`));
  } else {
    element.replaceChildren(h('p', null, `Could not load: ${error.message}`));
  }
}

/** The page for a person who is signed in but holds no release role: which roles there are, and which to ask for. */
function mountNoRole(element, me) {
  document.title = 'No access · ReleaseFunctions';
  element.replaceChildren(h('section', { id: 'no-role', class: 'panel' },
    h('h1', null, 'You hold no release role'),
    h('p', null, `You are signed in as ${me.name}, but none of the app's roles is assigned to you, so there is nothing this dashboard can show you.`),
    h('p', null, 'Ask an administrator of the app registration for the role you need:'),
    h('ul', null,
      h('li', null, h('strong', null, 'Release.Read'), ': see releases, their timelines and DORA metrics (this is the one that is missing);'),
      h('li', null, h('strong', null, 'Release.Operate'), ': pause, resume, promote, roll back and abort releases;'),
      h('li', null, h('strong', null, 'Release.Approve'), ': approve and reject releases (still judged by the repository\'s policy);'),
      h('li', null, h('strong', null, 'Release.Admin'), ': all of these.'))));
  return () => {};
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

const context = { refreshSeconds, showProblem, confirm, operator: () => signedInOperator };

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
  if (signedInOperator && !signedInOperator.canRead) {
    unmount = mountNoRole(main, signedInOperator);
  } else if (parts[0] === 'releases' && parts.length >= 2) {
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
    signedInOperator = await api.me();
    keyInput.value = '';
    notify(`Signed in as ${signedInOperator.name}: ${rights(signedInOperator)}.`);
    showSignedIn();
    route();
  } catch (error) {
    operatorKey.clear();
    signedInOperator = null;
    showSignedIn();
    notify(error.unauthorized ? `That key was not accepted: ${error.message}` : `Could not check the key: ${error.message}`);
  }
});

document.getElementById('sign-out').addEventListener('click', () => {
  if (signedInOperator?.signIn === 'entra-id') {
    // The sign-in is App Service Authentication's cookie: only the platform can end it.
    location.assign('/.auth/logout?post_logout_redirect_uri=/');
    return;
  }
  operatorKey.clear();
  signedInOperator = null;
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
await checkSignIn();
route();
