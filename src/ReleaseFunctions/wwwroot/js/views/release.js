// One release: facts, rollout bar, commands, gates with their charts, approvals, timeline, post-release review and the audit trail.
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { h } from '../dom.js';
import { actionName, analysisStatusName, at, duration, finalStatuses, number, statusLabel, time } from '../format.js';
import { gateSeries, rollout } from '../evidence.js';

const commands = [
  { name: 'approve', label: 'Approve', explain: 'approves the step the release is waiting on' },
  { name: 'reject', label: 'Reject', explain: 'rejects the approval the release is waiting on', danger: true },
  { name: 'promote', label: 'Promote', explain: 'skips the rest of the current soak and its gate, or proceeds after an inconclusive gate' },
  { name: 'pause', label: 'Pause', explain: 'holds the release where it is until it is resumed' },
  { name: 'resume', label: 'Resume', explain: 'lets a paused release go on' },
  { name: 'rollback', label: 'Roll back', explain: 'moves all traffic back to the stable version and ends the release', danger: true },
  { name: 'abort', label: 'Abort', explain: 'stops the release where it is, without a rollback', danger: true },
];

/** Replaces a section's content only when its data changed, so open details and focus survive a refresh. */
function section(id, title) {
  const content = h('div', { class: 'section-body' });
  const element = h('section', { id, 'aria-labelledby': `${id}-title`, class: 'panel' }, h('h2', { id: `${id}-title` }, title), content);
  let signature = null;
  return {
    element,
    update(data, render) {
      const next = JSON.stringify(data);
      if (next === signature) return;
      signature = next;
      content.replaceChildren(...[render(data)].flat().filter(Boolean));
    },
  };
}

function facts(detail) {
  const release = detail.release;
  const progress = detail.progress;
  const items = [];
  const add = (term, value) => { if (value !== null && value !== undefined && value !== '') items.push(h('dt', null, term), h('dd', null, value)); };
  if (release) {
    add('Repository', release.repository);
    add('Pull request', h('a', { href: `https://github.com/${release.repository}/pull/${release.pullRequest}`, rel: 'noopener noreferrer', target: '_blank' }, `#${release.pullRequest} ${release.title}`));
    add('Author', release.author);
    add('Commit', h('code', null, release.mergeCommitSha.slice(0, 12)));
    add('Merged', at(release.mergedAt));
    add('Started', at(release.startedAt));
    add(release.completedAt ? 'Completed' : 'Age', release.completedAt
      ? `${at(release.completedAt)} (took ${duration(Date.parse(release.completedAt) - Date.parse(release.startedAt))})`
      : duration(Date.now() - Date.parse(release.startedAt)));
    add('Weight', release.weightPercent === null ? null : `${release.weightPercent}% on ${release.version}`);
    add('Summary', release.summary);
  }
  add('Next', progress?.nextStep);
  add('Engine', detail.runtimeStatus);
  return h('dl', { class: 'facts' }, items);
}

function rolloutBar(stages) {
  if (stages.length === 0) return h('p', { class: 'empty' }, 'The rollout has not started.');
  return h('ol', { class: 'rollout', 'aria-label': 'Rollout through stages and steps' }, stages.map((stage) =>
    h('li', { class: `stage ${stage.state}`, dataset: { stage: stage.name } },
      h('span', { class: 'stage-name' }, stage.name, h('span', { class: 'visually-hidden' }, ` (${stage.state})`)),
      h('ol', { class: 'steps' }, stage.steps.map((step) =>
        h('li', { class: `step ${step.state}`, 'aria-current': step.state === 'current' ? 'step' : null },
          h('span', { class: 'step-label' }, `Step ${step.step}`),
          h('span', { class: 'step-weight' }, step.weight === null ? '' : `${step.weight}%`),
          h('span', { class: 'visually-hidden' }, ` ${step.state}`)))))));
}

function gates(detail, events) {
  const { gates: series, errors } = gateSeries(events);
  const verdicts = detail.gateVerdicts.map((event) => {
    const result = event.evidence?.result ?? {};
    return h('li', { class: `verdict outcome-${analysisStatusName(result.status).toLowerCase()}` },
      h('strong', null, `${event.evidence?.stage ?? ''} step ${event.evidence?.step ?? ''}: `), event.reason);
  });
  const parts = [];
  if (verdicts.length) parts.push(h('h3', null, 'Verdicts'), h('ul', { class: 'verdicts' }, verdicts));
  if (series.length === 0 && errors.length === 0) {
    parts.push(h('p', { class: 'empty' }, 'No gate has measured yet.'));
    return parts;
  }
  for (const gate of series) {
    const criteria = [...new Set(gate.measurements.flatMap((m) => m.checks.map((c) => c.criterion)))];
    const population = gate.measurements.find((m) => m.referencePopulation)?.referencePopulation;
    const lines = [{
      name: 'observed (canary)',
      kind: 'observed',
      points: gate.measurements.filter((m) => Number.isFinite(m.observed))
        .map((m) => ({ x: m.at, y: m.observed, note: `step ${m.step} at ${m.weight ?? 0}%: ${m.outcome}` })),
    }];
    if (gate.measurements.some((m) => Number.isFinite(m.reference))) {
      lines.push({
        name: `reference (${population ?? 'baseline'})`,
        kind: 'reference',
        points: gate.measurements.filter((m) => Number.isFinite(m.reference)).map((m) => ({ x: m.at, y: m.reference })),
      });
    }
    criteria.forEach((criterion, i) => lines.push({
      name: `threshold ${criterion}`,
      kind: `threshold threshold-${i}`,
      step: true,
      markers: false,
      points: gate.measurements.map((m) => ({ x: m.at, y: m.checks.find((c) => c.criterion === criterion)?.threshold }))
        .filter((p) => Number.isFinite(p.y)),
    }));
    const last = gate.measurements[gate.measurements.length - 1];
    const where = gate.scope === 'Stage' ? gate.stage : `${gate.stage} (${gate.scope})`;
    const chart = lineChart({ title: `${where} · ${gate.objective}`, yLabel: gate.objective, series: lines, formatX: (ms) => time(new Date(ms).toISOString()) });
    chart.dataset.gate = gate.scope === 'Stage' ? `${gate.stage}/${gate.objective}` : `${gate.stage}/${gate.scope}/${gate.objective}`;
    chart.append(h('p', { class: 'chart-note' },
      `${gate.measurements.length} measurement(s); last: ${last.outcome}`,
      last.pValue !== null && last.pValue !== undefined ? `, p = ${number(last.pValue)}` : '',
      ` (canary ${last.canarySamples} sample(s), reference ${last.referenceSamples}). ${last.reason ?? ''}`));
    parts.push(chart);
  }
  if (errors.length) {
    parts.push(h('h3', null, 'Failed measurements'), h('ul', null, errors.map((e) => h('li', null, `${e.stage} step ${e.step}: ${e.error}`))));
  }
  return parts;
}

function approvals(detail) {
  const who = detail.progress?.approvedBy ?? [];
  const parts = [h('p', null, who.length ? `Approved by ${who.join(', ')}.` : 'No approval given for the current step.')];
  if (detail.approvals.length) {
    parts.push(h('ul', { class: 'approvals' }, detail.approvals.map((event) =>
      h('li', null, h('time', { datetime: event.at }, at(event.at)), ' ', h('span', { class: 'kind' }, event.kind), ' ', h('strong', null, event.actor), ': ', event.reason))));
  } else {
    parts.push(h('p', { class: 'empty' }, 'The policy has asked for no approval so far.'));
  }
  return parts;
}

function review(detail) {
  const written = detail.review;
  if (!written) {
    return h('p', { class: 'empty' }, detail.release?.completedAt
      ? 'Not written yet: the review runs once the policy\'s review delay has passed since the release finished.'
      : 'The review is written after the release finishes and the policy\'s review delay has passed.');
  }
  const value = (n) => (n === null || n === undefined ? 'no data' : number(n));
  const parts = [
    h('p', null, h('strong', null, statusLabel(written.outcome)), `: ${written.outcomeReason}`),
    h('dl', { class: 'facts' },
      h('dt', null, 'Reviewed'), h('dd', null, at(written.reviewedAt)),
      h('dt', null, 'Lead time'), h('dd', null, written.leadTime),
      h('dt', null, 'Change failure'), h('dd', null, written.changeFailure ? 'yes' : 'no'),
      h('dt', null, 'Error budget'), h('dd', null, written.errorBudget
        ? `${number(written.errorBudget.remainingAtRelease)}% left at release, ${number(written.errorBudget.remainingNow)}% now`
        : 'no error-budget objective'),
      h('dt', null, 'Published'), h('dd', null, written.publishedAt ? at(written.publishedAt) : 'not yet')),
  ];
  if (written.slis.length) {
    parts.push(h('table', { class: 'responsive', id: 'review-slis' },
      h('caption', null, 'SLIs before versus after the release'),
      h('thead', null, h('tr', null, ['Objective', 'Before', 'After', 'Assessment'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', null, written.slis.map((sli) => h('tr', null,
        h('td', { 'data-label': 'Objective' }, sli.objective),
        h('td', { 'data-label': 'Before' }, value(sli.before)),
        h('td', { 'data-label': 'After' }, value(sli.after)),
        h('td', { 'data-label': 'Assessment' }, sli.assessment))))));
  }
  if (written.notes.length) parts.push(h('ul', { class: 'notes' }, written.notes.map((note) => h('li', null, note))));
  return parts;
}

function timelineItem(event) {
  const rollback = event.kind === 'traffic-shifted' && actionName(event.evidence?.action) === 'Rollback';
  return h('li', { class: `event kind-${event.kind}${rollback ? ' rollback' : ''}`, dataset: { sequence: event.sequence, kind: event.kind } },
    h('time', { datetime: event.at }, time(event.at)),
    h('span', { class: 'kind' }, event.kind),
    h('span', { class: 'actor' }, event.actor),
    h('p', { class: 'reason' }, event.reason),
    h('details', null, h('summary', null, 'Evidence'), h('pre', null, JSON.stringify(event.evidence, null, 2))));
}

function audit(timeline) {
  const verification = timeline.audit;
  const banner = h('p', { class: `verification ${verification.isIntact ? 'intact' : 'broken'}`, id: 'audit-verification' },
    verification.isIntact ? `✔ Chain verified: ${verification.reason}.` : `✘ Chain broken at record ${verification.brokenAtSequence}: ${verification.reason}.`);
  const rows = timeline.events.map((event) => h('tr', { class: verification.brokenAtSequence === event.sequence ? 'broken' : null },
    h('td', { 'data-label': '#' }, String(event.sequence)),
    h('td', { 'data-label': 'At' }, at(event.at)),
    h('td', { 'data-label': 'Actor' }, event.actor),
    h('td', { 'data-label': 'Kind' }, event.kind),
    h('td', { 'data-label': 'Hash' }, h('code', { title: event.hash }, event.hash.slice(0, 16)))));
  return [banner, h('details', null, h('summary', null, `Audit records (${timeline.events.length})`),
    h('table', { class: 'audit responsive' },
      h('thead', null, h('tr', null, ['#', 'At', 'Actor', 'Kind', 'Hash'].map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', null, rows)))];
}

/** Mounts one release into `main`; returns a function that stops its refreshing. */
export function mountRelease(main, instanceId, context) {
  let stopped = false;
  let busy = false;
  let finished = false;
  let current = null;

  const heading = h('h1', { id: 'release-title' }, instanceId);
  const badge = h('span', { class: 'state', id: 'release-state', hidden: true });
  const updated = h('p', { class: 'updated', id: 'release-updated' });
  const problem = h('div', { class: 'problem', role: 'alert', hidden: true });
  const summary = section('release-facts', 'Where it stands');
  const bar = section('release-rollout', 'Rollout');
  const gateSection = section('release-gates', 'Gates');
  const approvalSection = section('release-approvals', 'Approvals');
  const auditSection = section('release-audit', 'Audit trail');
  const reviewSection = section('release-review', 'Post-release review');
  const timeline = h('ol', { class: 'timeline', id: 'timeline', 'aria-label': 'Timeline of the release, oldest first' });
  const timelineSection = h('section', { id: 'release-timeline', class: 'panel', 'aria-labelledby': 'release-timeline-title' },
    h('h2', { id: 'release-timeline-title' }, 'Timeline'), timeline);

  const commandStatus = h('p', { id: 'command-status', role: 'status', 'aria-live': 'polite' });
  // Only the commands the signed-in operator's roles allow get a button; the API refuses the others anyway.
  const operator = context.operator();
  const allowed = commands.filter((command) => operator?.commands.includes(command.name));
  const buttons = allowed.map((command) => h('button', {
    type: 'button', class: command.danger ? 'danger' : null, dataset: { command: command.name }, onclick: () => confirmCommand(command),
  }, command.label));
  const commandSection = h('section', { id: 'release-commands', class: 'panel', 'aria-labelledby': 'release-commands-title' },
    h('h2', { id: 'release-commands-title' }, 'Commands'), h('div', { class: 'command-buttons' }, buttons), commandStatus);

  const content = h('div', { class: 'release-content' },
    summary.element, h('div', { class: 'side' }, commandSection, approvalSection.element),
    bar.element, gateSection.element, timelineSection, reviewSection.element, auditSection.element);
  main.replaceChildren(h('article', { 'aria-labelledby': 'release-title', class: 'release' },
    h('p', null, h('a', { href: '#/releases' }, '← All releases')),
    h('div', { class: 'title-row' }, heading, badge), updated, problem, content));

  function setButtons() {
    for (const button of buttons) {
      button.disabled = finished;
      button.setAttribute('aria-disabled', String(finished));
    }
    if (finished) commandStatus.textContent = 'The release has finished: commands go to running releases only.';
    else if (!operator) commandStatus.textContent = 'Sign in to send commands.';
    else if (allowed.length === 0) commandStatus.textContent = `Signed in as ${operator.name} with ${operator.roles.join(', ')}: reading only. Commands need Release.Operate (pause, resume, promote, roll back, abort) or Release.Approve (approve, reject).`;
  }

  async function confirmCommand(command) {
    const release = current?.release;
    const what = release ? `${release.service} ${release.version}` : instanceId;
    const answer = await context.confirm(`${command.label}: ${what}?`, `This ${command.explain}.`, command.label);
    if (answer === null) {
      commandStatus.textContent = `${command.label} cancelled.`;
      return;
    }
    commandStatus.textContent = `Sending ${command.name}…`;
    try {
      const accepted = await api.sendCommand(instanceId, command.name, answer);
      commandStatus.textContent = `${command.label} sent as ${accepted.actor} at ${time(accepted.issuedAt)} UTC; the timeline shows what the release made of it.`;
      refresh();
    } catch (error) {
      commandStatus.textContent = error.unauthorized
        ? `The API refused the command (${error.message}). Sign in again.`
        : `The command was not accepted: ${error.message}`;
    }
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    try {
      const [detail, trail] = await Promise.all([api.getRelease(instanceId), api.getTimeline(instanceId)]);
      if (stopped) return;
      current = detail;
      problem.hidden = true;
      content.hidden = false;
      const release = detail.release;
      const status = release?.status ?? detail.progress?.status ?? 'Pending';
      finished = finalStatuses.has(status);
      heading.textContent = release ? `${release.service} ${release.version}` : instanceId;
      document.title = `${heading.textContent} · ReleaseFunctions`;
      badge.className = `state state-${status}`;
      badge.textContent = statusLabel(status);
      badge.dataset.status = status;
      badge.hidden = false;

      summary.update({ release, progress: detail.progress, runtime: detail.runtimeStatus }, () => facts(detail));
      bar.update(rollout(trail.events, release, detail.progress), rolloutBar);
      const measured = trail.events.filter((e) => e.kind === 'gate-measurement' || e.kind === 'gate-verdict').map((e) => e.sequence);
      gateSection.update(measured, () => gates(detail, trail.events));
      approvalSection.update({ approvals: detail.approvals.map((e) => e.sequence), by: detail.progress?.approvedBy }, () => approvals(detail));
      auditSection.update({ n: trail.events.length, audit: trail.audit }, () => audit(trail));
      reviewSection.update({ review: detail.review, completed: release?.completedAt }, () => review(detail));

      const shown = new Set([...timeline.children].map((li) => Number(li.dataset.sequence)));
      timeline.append(...trail.events.filter((event) => !shown.has(event.sequence)).map(timelineItem));
      setButtons();
      updated.textContent = `Updated ${time(new Date().toISOString())} UTC` + (finished ? '; the release has finished.' : `, refreshing every ${context.refreshSeconds} s.`);
    } catch (error) {
      if (stopped) return;
      content.hidden = true;
      context.showProblem(problem, error, 'see this release and send it commands');
    } finally {
      busy = false;
    }
  }

  refresh();
  const timer = setInterval(() => { if (!document.hidden && !finished) refresh(); }, context.refreshSeconds * 1000);
  return () => { stopped = true; clearInterval(timer); };
}
