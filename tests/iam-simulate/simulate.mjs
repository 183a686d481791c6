// Runs IAM requests through @cloud-copilot/iam-simulate (pinned in package.json and
// package-lock.json next to this file), for tests/iam_crosscheck.rs.
//
// stdin: one JSON request a line,
//   {"id": ..., "identity": [policy docs], "boundary": doc|null, "resourcePolicy": doc|null,
//    "principal": "arn..."|null, "resourceAccount": "123456789012"|null (optional),
//    "action": "service:Action", "resource": "arn...", "context": {"key": ["v", ...]}}
// stdout: one JSON line per request, in order,
//   {"id": ..., "result": "Allowed"|"ExplicitlyDenied"|"ImplicitlyDenied"|"Error", "detail": "..."}
//
// The simulator's documented entry point is `runSimulation(simulation, options)`; it validates
// the policies, the action and the resource's shape against its service data (iam-data) and
// answers a discriminated union: `resultType: 'error'` (with `errors`), `'single'` (with
// `overallResult`, one of Allowed / ExplicitlyDenied / ImplicitlyDenied) or `'wildcard'`.
// It drops, without failing, context keys that do not apply to the action (listed in
// `result.ignoredContextKeys`) and keeps only the first value of a single-valued key. Both would
// make it judge another request than the one the evaluator judged, so both are reported here as
// "Error" instead of a decision.
import { createInterface } from 'node:readline';
import { isConditionKeyArray, runSimulation, typeForContextKey } from '@cloud-copilot/iam-simulate';

const DEFAULT_PRINCIPAL = 'arn:aws:iam::123456789012:role/crosscheck';
const DEFAULT_ACCOUNT = '123456789012';

function accountOf(arn) {
  const account = typeof arn === 'string' ? arn.split(':')[4] : undefined;
  return account && /^[0-9]{12}$/.test(account) ? account : undefined;
}

// The context as the simulator takes it, or a reason it cannot be given faithfully.
async function contextVariables(context) {
  const out = {};
  for (const [key, values] of Object.entries(context ?? {})) {
    const list = [values].flat();
    if (list.length === 0) {
      return { error: `context key ${key} has no values (leave it out instead)` };
    }
    const type = await typeForContextKey(key.toLowerCase());
    if (!isConditionKeyArray(type) && list.length > 1) {
      return { error: `context key ${key} is single-valued (${type}) but was given ${list.length} values` };
    }
    out[key] = isConditionKeyArray(type) ? list : list[0];
  }
  return { variables: out };
}

// Which statements decided, for the report.
function statements(analysis, field) {
  return (analysis?.[field] ?? []).map((s) => `${s.policyId ?? 'resource'}/${s.explain?.identifier ?? '?'}`);
}

function describe(analysis) {
  const parts = [];
  for (const [name, a] of [
    ['identity', analysis.identityAnalysis],
    ['boundary', analysis.permissionBoundaryAnalysis],
    ['resource', analysis.resourceAnalysis]
  ]) {
    if (!a) continue;
    const allow = statements(a, 'allowStatements');
    const deny = statements(a, 'denyStatements');
    parts.push(`${name}: ${a.result}` + (deny.length ? ` deny ${deny.join(',')}` : '') + (allow.length ? ` allow ${allow.join(',')}` : ''));
  }
  if (analysis.blockedBy?.length) parts.push(`blocked by ${analysis.blockedBy.join(',')}`);
  return parts.join('; ');
}

async function simulate(request) {
  const { variables, error } = await contextVariables(request.context);
  if (error) return { result: 'Error', detail: error };
  const principal = request.principal ?? DEFAULT_PRINCIPAL;
  const simulation = {
    request: {
      principal,
      action: request.action,
      resource: {
        resource: request.resource,
        accountId: request.resourceAccount ?? accountOf(request.resource) ?? accountOf(principal) ?? DEFAULT_ACCOUNT
      },
      contextVariables: variables
    },
    identityPolicies: (request.identity ?? []).map((policy, i) => ({ name: `identity${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: request.boundary }] } : {}),
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {})
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    return { result: 'Error', detail: JSON.stringify(response.errors) };
  }
  if (response.resultType !== 'single') {
    return { result: 'Error', detail: `a ${response.resultType} simulation (a wildcard in the resource?)` };
  }
  const ignored = response.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) {
    return {
      result: 'Error',
      detail: `context keys that do not apply to ${request.action} on ${response.result.resourceType}: ${ignored.join(', ')}`
    };
  }
  return { result: response.overallResult, detail: describe(response.result.analysis) };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  let id = null;
  let answer;
  try {
    const request = JSON.parse(line);
    id = request.id ?? null;
    answer = await simulate(request);
  } catch (e) {
    answer = { result: 'Error', detail: `the simulator threw: ${e?.stack ?? e}` };
  }
  process.stdout.write(JSON.stringify({ id, ...answer }) + '\n');
}
