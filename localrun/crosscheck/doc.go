// Package crosscheck holds no code, only a test: it runs the synthesized
// state machine definitions of several environments under two ASL engines,
// the local run's own executor (package asl, with the local stand-ins of
// package local) and aws-local-stepfunctions (npm, see scripts/aslengine.mjs),
// over the pipeline's main paths, and fails on any difference in the states
// entered, the Task requests or the execution's output or error.
package crosscheck
