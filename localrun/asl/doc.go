// Package asl executes Amazon States Language definitions in process, so the
// local run can drive the state machines that the CDK app synthesizes without
// deploying them to AWS Step Functions.
//
// Existing interpreters were weighed first: Step Functions Local needs a Java
// runtime or Docker, and the npm package aws-local-stepfunctions needs Node,
// while the local run ships as Go binaries next to the job binaries. Both also
// reach AWS services (or mocks of them) over the network, whereas we want each
// Task resource mapped straight to a Go handler, and both tolerate features we
// do not model. This executor therefore implements only the subset our
// definitions use and fails loudly, naming the state and the feature, on
// anything else, so a definition never silently behaves differently locally.
//
// Supported: the Task, Choice, Pass, Succeed and Fail states; InputPath,
// Parameters, ResultSelector, ResultPath and OutputPath; Retry and Catch;
// Task and execution TimeoutSeconds; the JSONPath subset $, .field,
// ['field'] and [index] on the input and on the context object ($$); and the
// intrinsic functions States.Format, States.StringToJson, States.JsonToString,
// States.JsonMerge, States.Hash, States.Array, States.ArrayGetItem,
// States.MathAdd and States.UUID.
//
// JSON numbers are kept as json.Number throughout, both in the definition and
// in the data, so that integers survive unchanged and States.Format prints
// them the way Step Functions does.
package asl
