// How release states, times and numbers read on the dashboard.
export const statusLabels = {
  Pending: 'pending',
  Running: 'running',
  WaitingForApproval: 'waiting for approval',
  Paused: 'paused',
  AwaitingDecision: 'awaiting decision',
  RollingBack: 'rolling back',
  Promoted: 'promoted',
  RolledBack: 'rolled back',
  Failed: 'failed',
  Aborted: 'aborted',
  RollbackFailed: 'ROLLBACK FAILED',
};

export const finalStatuses = new Set(['Promoted', 'RolledBack', 'Failed', 'Aborted', 'RollbackFailed']);

/** The state filter's choices: each status, plus "active" for every unfinished one. */
export const stateChoices = [
  { value: '', label: 'any state' },
  { value: Object.keys(statusLabels).filter((s) => !finalStatuses.has(s)).join(','), label: 'active (not finished)' },
  ...Object.entries(statusLabels).map(([value, label]) => ({ value, label })),
];

export const statusLabel = (status) => statusLabels[status] ?? String(status ?? 'unknown');

/** Evidence is serialized by the workflow without string enums: outcomes may arrive as numbers. */
const gateOutcomes = ['Pass', 'Warning', 'Fail', 'Inconclusive'];
export const outcomeName = (outcome) => (typeof outcome === 'number' ? gateOutcomes[outcome] ?? String(outcome) : String(outcome ?? ''));

const analysisStatuses = ['Running', 'Pass', 'Warning', 'Fail', 'Inconclusive'];
export const analysisStatusName = (status) => (typeof status === 'number' ? analysisStatuses[status] ?? String(status) : String(status ?? ''));

const trafficActions = ['Shift', 'Swap', 'Rollback', 'Promote'];
export const actionName = (action) => (typeof action === 'number' ? trafficActions[action] ?? String(action) : String(action ?? ''));

/** "3 d 4 h", "12 min", "40 s": the two largest units of a span in milliseconds. */
export function duration(ms) {
  if (!Number.isFinite(ms)) return '–';
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
  const parts = [];
  let rest = seconds;
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 || (parts.length === 0 && size === 1)) parts.push(`${count} ${name}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A .NET TimeSpan as JSON ("1.02:03:04.5", "00:05:00") in milliseconds; null stays null. */
export function timeSpanMs(text) {
  if (text === null || text === undefined) return null;
  const match = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(String(text));
  if (!match) return null;
  const [, minus, days, hours, minutes, seconds, fraction] = match;
  const ms = ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60000 + Number(seconds) * 1000 + Number(`0.${fraction ?? 0}`) * 1000;
  return minus ? -ms : ms;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
const shortDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'UTC' });

export const at = (iso) => (iso ? `${dateTime.format(new Date(iso))} UTC` : '–');
export const day = (iso) => shortDate.format(new Date(iso));
export const time = (iso) => clock.format(new Date(iso));

/** A number with at most four significant digits, in plain notation. */
export function number(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4) return Math.round(value).toLocaleString('en');
  return String(Number(value.toPrecision(4)));
}

export const percent = (ratio) => (ratio === null || ratio === undefined ? '–' : `${number(ratio * 100)}%`);
