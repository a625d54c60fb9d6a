// Evaluates a batch of AWS requests against IAM policies with
// @cloud-copilot/iam-simulate (AGPL-3.0), a test-time tool of this project:
// it runs in tests and local runs, never in what the project ships.
//
// stdin:  {"policies": {"<name>": <policy document>, ...},
//          "requests": [{"principal": "<ARN or service principal>",
//                        "action": "s3:GetObject",
//                        "resource": "<ARN>", "account": "<resource account>",
//                        "context": {"<key>": "<value>" or ["<value>", ...]},
//                        "identity": ["<policy name>", ...],
//                        "resourcePolicy": "<policy name>" or absent}, ...]}
// stdout: {"decisions": [{"result": "Allowed" | "ExplicitlyDenied" |
//          "ImplicitlyDenied" | "Error", "deciding": [{"policy", "type",
//          "sid", "index", "effect"}], "ignoredContextKeys": [...],
//          "error": "..."}, ...]}, one decision per request, in order.
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const policies = batch.policies ?? {}

function policy(name) {
  if (!(name in policies)) throw new Error(`no policy named ${name} in the batch`)
  return policies[name]
}

// The name of the resource policy is kept apart from the statement, as the
// simulator does not name resource policies.
function deciding(req, reasons, effect) {
  return reasons.map((r) => ({
    type: r.policyType,
    policy: r.policyType === 'resource' ? (req.resourcePolicy ?? '') : (r.policyIdentifier ?? r.identifier ?? ''),
    sid: r.statementId ?? '',
    index: r.statementIndex ?? 0,
    effect
  }))
}

async function decide(req) {
  const simulation = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.account },
      contextVariables: req.context ?? {}
    },
    identityPolicies: (req.identity ?? []).map((name) => ({ name, policy: policy(name) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: req.resourcePolicy ? policy(req.resourcePolicy) : undefined
  }
  const res = await runSimulation(simulation, {})
  if (res.resultType === 'error') {
    return { result: 'Error', deciding: [], error: JSON.stringify(res.errors) }
  }
  if (res.resultType !== 'single') {
    return { result: 'Error', deciding: [], error: `resource ${req.resource} is a pattern, not one resource` }
  }
  const analysis = res.result.analysis
  const out = { result: res.overallResult, ignoredContextKeys: res.result.ignoredContextKeys ?? [] }
  if (res.overallResult === 'Allowed') {
    out.deciding = deciding(req, getGrantReasons(analysis), 'Allow')
  } else {
    out.deciding = deciding(req, getDenialReasons(analysis), res.overallResult === 'ExplicitlyDenied' ? 'Deny' : '')
  }
  return out
}

const decisions = []
for (const req of batch.requests ?? []) {
  try {
    decisions.push(await decide(req))
  } catch (e) {
    decisions.push({ result: 'Error', deciding: [], error: String(e?.message ?? e) })
  }
}
process.stdout.write(JSON.stringify({ decisions }) + '\n')
