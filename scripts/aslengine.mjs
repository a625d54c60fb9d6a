#!/usr/bin/env node
// Runs Amazon States Language definitions under aws-local-stepfunctions (the
// npm package package.json pins), an ASL engine independent of our own, with
// every Task answered by a mocked result or error, and prints what happened.
//
// Usage: node scripts/aslengine.mjs < cases.json > traces.json
//
// stdin is one JSON object {"cases": [case, ...]}; each case is
//   {"name": "...",            a label, echoed back
//    "definition": {...},      the state machine definition
//    "input": {...},           the execution input
//    "context": {...},         the Context Object ($$) the engine starts from
//    "mocks": {"<Task state>": [{"result": any} | {"error": "Name", "cause": "text"}, ...]}}
// where the mocks of a state answer its calls in order.
//
// stdout is {"cases": [trace, ...]} in the same order; each trace is
//   {"name": "...",
//    "states": ["<state entered>", ...],
//    "tasks": [{"state": "...", "request": <the input the Task's handler got>}, ...],
//    "status": "SUCCEEDED" | "FAILED",
//    "output": <execution output>           when SUCCEEDED,
//    "error": "...", "cause": "..."         when FAILED,
//    "problems": ["...", ...]}              calls without a mock, mocks left over
// The cases run one after another in this one process; exit status 0 means
// every case ran (whatever its status), 1 a broken request or engine.

// aws-local-stepfunctions 3.0.0 declares Node.js >= 22 and calls
// Promise.withResolvers (Node.js 22) in every Task state; Node.js 20, which
// the project supports, gets this equivalent before the engine loads.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

// taskStates returns the names of the Task states of a definition.
function taskStates(definition) {
  return Object.entries(definition.States ?? {})
    .filter(([, s]) => s.Type === 'Task')
    .map(([name]) => name);
}

async function runCase(c) {
  const trace = { name: c.name, states: [], tasks: [], problems: [] };
  const remaining = {};
  for (const [state, list] of Object.entries(c.mocks ?? {})) remaining[state] = [...list];
  const handlers = {};
  for (const state of taskStates(c.definition)) {
    handlers[state] = async (input) => {
      trace.tasks.push({ state, request: structuredClone(input) });
      const next = remaining[state]?.shift();
      if (next === undefined) {
        const msg = `no mock left for call ${trace.tasks.filter((t) => t.state === state).length} of Task state ${state}`;
        trace.problems.push(msg);
        const err = new Error(msg);
        err.name = 'CrossCheck.NoMock';
        throw err;
      }
      if (next.error !== undefined) {
        // The engine names a task error by the thrown error's name and takes
        // its Cause from the message, as Step Functions reports an
        // integration's error name and cause.
        const err = new Error(next.cause ?? '');
        err.name = next.error;
        throw err;
      }
      return next.result;
    };
  }
  const machine = new StateMachine(c.definition);
  const execution = machine.run(c.input, {
    overrides: { taskResourceLocalHandlers: handlers },
    context: c.context,
  });
  const events = (async () => {
    for await (const ev of execution.eventLogs) {
      // Nested events (Map iterations, Parallel branches) carry an index or
      // a parent; the trace lists the top-level states only.
      if (ev.type === 'StateEntered' && ev.index === undefined) trace.states.push(ev.state.name);
    }
  })();
  try {
    trace.output = await execution.result;
    trace.status = 'SUCCEEDED';
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    const inner = e.cause;
    trace.status = 'FAILED';
    trace.error = inner?.name ?? 'Unknown';
    trace.cause = inner?.message ?? '';
  }
  await events;
  for (const [state, list] of Object.entries(remaining)) {
    if (list.length > 0) trace.problems.push(`${list.length} mock(s) of Task state ${state} were not used`);
  }
  return trace;
}

let request;
try {
  request = JSON.parse(await readStdin());
} catch (e) {
  console.error(`aslengine: stdin is not JSON: ${e.message}`);
  process.exit(1);
}
if (!Array.isArray(request?.cases)) {
  console.error('aslengine: stdin must be an object with a "cases" array');
  process.exit(1);
}
const out = [];
for (const c of request.cases) {
  try {
    out.push(await runCase(c));
  } catch (e) {
    console.error(`aslengine: case ${JSON.stringify(c.name)}: ${e.stack ?? e}`);
    process.exit(1);
  }
}
process.stdout.write(JSON.stringify({ cases: out }) + '\n');
