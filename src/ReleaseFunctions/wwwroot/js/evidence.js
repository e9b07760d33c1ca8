// Reads the audit trail's evidence into what the detail page draws: the rollout and the gates' measurements.
import { actionName, outcomeName } from './format.js';

const byStage = (events, kind) => events.filter((event) => event.kind === kind && event.evidence && typeof event.evidence === 'object');

/** A window as recorded ({since, end} for a measurement, {start, end} for an SLI window) in epoch ms, or null. */
export function windowOf(window) {
  const start = Date.parse(window?.start ?? window?.since);
  const end = Date.parse(window?.end);
  return Number.isFinite(start) && Number.isFinite(end) ? { start, end } : null;
}

/** Fired alerts as recorded ({name, startsAt, labels, summary, url}), oldest first. */
export const firedAlerts = (list) => (Array.isArray(list) ? list : [])
  .map((alert) => ({ name: alert.name, startsAt: alert.startsAt, labels: alert.labels ?? {}, summary: alert.summary ?? null, url: alert.url ?? null }))
  .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));

/**
 * The rollout as stages of steps: stage names from the release-received record, steps (with their weights) from the
 * traffic shifts, the current stage's step count from the engine's progress.
 */
export function rollout(events, release, progress) {
  const received = events.find((event) => event.kind === 'release-received');
  const names = Array.isArray(received?.evidence?.stages) ? [...received.evidence.stages] : [];
  const currentStage = progress?.stage ?? release?.stage ?? null;
  if (currentStage && !names.includes(currentStage)) names.push(currentStage);
  const shifts = [...byStage(events, 'traffic-shifted'), ...byStage(events, 'stage-promoted')];
  const finished = release && ['Promoted', 'RolledBack', 'Failed', 'Aborted', 'RollbackFailed'].includes(release.status);

  return names.map((name, index) => {
    const stageShifts = shifts.filter((event) => event.evidence.stage === name);
    const weights = new Map();
    for (const event of stageShifts) {
      const action = actionName(event.evidence.action);
      if (action === 'Rollback' || action === 'Promote') continue;
      const weight = event.evidence.state?.candidateWeightPercent ?? event.evidence.requested;
      weights.set(event.evidence.step, weight);
    }
    const isCurrent = name === currentStage;
    const reachedSteps = weights.size ? Math.max(...weights.keys()) : 0;
    const stepCount = Math.max(isCurrent && progress?.stepCount ? progress.stepCount : 0, reachedSteps, 1);
    const promoted = stageShifts.some((event) => actionName(event.evidence.action) === 'Promote');
    const currentIndex = names.indexOf(currentStage);
    const state = promoted || (release?.status === 'Promoted') ? 'done'
      : isCurrent ? (finished ? 'stopped' : 'current')
        : currentIndex >= 0 && index < currentIndex ? 'done' : 'pending';
    const currentStep = isCurrent ? (progress?.step ?? release?.step ?? 0) : 0;
    const steps = Array.from({ length: stepCount }, (_, i) => {
      const step = i + 1;
      const stepState = state === 'done' ? 'done'
        : state === 'pending' ? 'pending'
          : step < currentStep ? 'done' : step === currentStep ? (state === 'stopped' ? 'stopped' : 'current') : 'pending';
      return { step, weight: weights.get(step) ?? null, state: stepState };
    });
    return { name, state, steps };
  });
}

/**
 * The gates' measurements per stage, scope and objective, oldest first: observed (canary) and reference (baseline)
 * values and each criterion's threshold at the end of each measurement window.
 */
export function gateSeries(events) {
  const groups = new Map();
  const errors = [];
  for (const event of byStage(events, 'gate-measurement')) {
    const evidence = event.evidence;
    const at = Date.parse(evidence.window?.end ?? event.at);
    if (!evidence.verdict) {
      errors.push({ stage: evidence.stage, step: evidence.step, at, error: evidence.error ?? event.reason });
      continue;
    }
    const firingAlerts = firedAlerts(evidence.verdict.firingAlerts);
    const preexistingAlerts = firedAlerts(evidence.verdict.preexistingAlerts);
    for (const objective of evidence.verdict.objectives ?? []) {
      const key = `${evidence.stage}\u0000${evidence.scope ?? 'Stage'}\u0000${objective.objective}`;
      if (!groups.has(key)) {
        groups.set(key, { stage: evidence.stage, scope: evidence.scope ?? 'Stage', objective: objective.objective, measurements: [] });
      }
      groups.get(key).measurements.push({
        objective: objective.objective,
        at,
        step: evidence.step,
        weight: evidence.weight,
        observed: objective.observed,
        reference: objective.reference,
        referencePopulation: objective.referencePopulation,
        checks: (objective.checks ?? []).map((check) => ({ criterion: check.criterion, threshold: check.threshold, held: check.held, note: check.note ?? null })),
        outcome: outcomeName(objective.outcome),
        pValue: objective.pValue,
        shiftEstimate: objective.shiftEstimate,
        canarySamples: objective.canarySamples,
        referenceSamples: objective.referenceSamples,
        reason: objective.reason,
        sequence: event.sequence,
        // The SLI window the canary was read over; the measurement's own when the objective had no reading.
        window: windowOf(objective.window) ?? windowOf(evidence.window),
        referenceWindow: windowOf(objective.referenceWindow),
        // Evidence recorded before the query and the test were kept has neither: the page says so.
        query: objective.query && typeof objective.query === 'object' ? objective.query : null,
        test: objective.test ?? null,
        error: evidence.error ?? null,
        firingAlerts,
        preexistingAlerts,
      });
    }
  }
  return { gates: [...groups.values()], errors };
}

/**
 * What the watches found during soaks (`soak-watch` records), oldest first: the fired alerts and the burn-rate pairs with
 * their numbers. Durations stay .NET TimeSpan text ("00:05:00"); the page turns them into words.
 */
export function soakWatches(events) {
  return byStage(events, 'soak-watch').map((event) => {
    const evidence = event.evidence;
    const burnRate = evidence.burnRate && typeof evidence.burnRate === 'object' ? evidence.burnRate : null;
    const alerts = evidence.alerts && typeof evidence.alerts === 'object' ? evidence.alerts : null;
    return {
      sequence: event.sequence,
      at: Date.parse(evidence.window?.end ?? event.at),
      stage: evidence.stage,
      step: evidence.step,
      weight: evidence.weight,
      window: windowOf(evidence.window),
      reason: event.reason,
      error: evidence.error ?? null,
      firing: firedAlerts(alerts?.firing),
      preexisting: firedAlerts(alerts?.preexisting),
      alertsRead: alerts !== null,
      burnRate: burnRate && {
        sloTargetPercent: burnRate.sloTargetPercent,
        query: burnRate.query,
        tripped: burnRate.tripped === true,
        reason: burnRate.reason,
        windows: (burnRate.windows ?? []).map((pair) => ({
          short: pair.short,
          long: pair.long,
          factor: pair.factor,
          shortBurnRate: pair.shortBurnRate,
          longBurnRate: pair.longBurnRate,
          shortErrorRatio: pair.shortErrorRatio,
          longErrorRatio: pair.longErrorRatio,
          shortWindow: windowOf(pair.shortWindow),
          longWindow: windowOf(pair.longWindow),
          tripped: pair.tripped === true,
        })),
      },
    };
  });
}

/** The measurements an analysis (a `gate-verdict` record) was made of: its stage, step and scope, since the same start. */
export function analysisMeasurements(events, verdictEvent) {
  const verdict = verdictEvent.evidence ?? {};
  const since = Date.parse(verdict.since);
  return byStage(events, 'gate-measurement').filter((event) => event.sequence < verdictEvent.sequence
    && event.evidence.stage === verdict.stage && event.evidence.step === verdict.step
    && (event.evidence.scope ?? 'Stage') === (verdict.scope ?? 'Stage')
    && (!Number.isFinite(since) || Date.parse(event.evidence.window?.since) === since));
}
