// Package e2e tests the four job binaries as processes, the way SageMaker
// and the local run start them: built once, run in sequence with flags
// only, and fed bad input to check that each failure exits non-zero with a
// readable reason in the failure file and leaves no output behind.
package e2e
