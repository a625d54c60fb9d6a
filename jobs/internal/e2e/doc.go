// Package e2e tests the four job binaries as processes, the way SageMaker
// and the local run start them: built once, run in sequence with flags
// only, and fed bad input to check that each failure exits non-zero with a
// readable reason in the failure file and leaves no output behind. The
// bad-input matrix (TestBadInput) is a table of such cases by family;
// README.md lists the families and counts, and a test keeps that true.
package e2e
