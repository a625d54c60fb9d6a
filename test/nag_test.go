package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/infra"
)

// nagFindings returns the cdk-nag messages of one level of the AwsSolutions
// pack on stack, each with the construct path it is about.
func nagFindings(stack assertions.Annotations, level string) []string {
	return packFindings(stack, level, "AwsSolutions-.*")
}

// packFindings returns the messages of one level whose text matches
// pattern (the rule ID starts the message).
func packFindings(stack assertions.Annotations, level, pattern string) []string {
	match := assertions.Match_StringLikeRegexp(jsii.String(pattern))
	//lint:ignore SA1019 Annotations.Find* return cxapi.SynthesisMessage, deprecated for @aws-cdk/cloud-assembly-api, which has no Go binding
	var msgs *[]*cxapi.SynthesisMessage
	if level == "error" {
		msgs = stack.FindError(jsii.String("*"), match)
	} else {
		msgs = stack.FindWarning(jsii.String("*"), match)
	}
	var out []string
	for _, m := range *msgs {
		//lint:ignore SA1019 as above
		out = append(out, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
	}
	return out
}

func TestCdkNagAwsSolutions(t *testing.T) {
	require.NotEmpty(t, stacks)
	for _, stack := range stacks {
		t.Run(*stack.StackName(), func(t *testing.T) {
			annotations := assertions.Annotations_FromStack(stack)
			for _, w := range nagFindings(annotations, "warning") {
				t.Logf("warning %s", w)
			}
			for _, e := range nagFindings(annotations, "error") {
				t.Errorf("error %s", e)
			}
		})
	}
}

func TestCdkNagNIST80053R5Prod(t *testing.T) {
	var prod assertions.Annotations
	for _, stack := range stacks {
		if *stack.StackName() == infra.StackName("prod") {
			prod = assertions.Annotations_FromStack(stack)
		}
	}
	require.NotNil(t, prod, "the prod stack")
	for _, w := range packFindings(prod, "warning", "NIST.800.53.R5-.*") {
		t.Logf("warning %s", w)
	}
	for _, e := range packFindings(prod, "error", "NIST.800.53.R5-.*") {
		t.Errorf("error %s", e)
	}
}

// TestCdkNagRuns guards the test above against passing vacuously: a plain
// bucket without SSL enforcement or access logs must be reported.
func TestCdkNagRuns(t *testing.T) {
	errs := nagFindings(assertions.Annotations_FromStack(nagCanary), "error")
	require.NotEmpty(t, errs, "cdk-nag errors of a bucket without SSL enforcement")
	assert.Contains(t, strings.Join(errs, "\n"), "AwsSolutions-S10", "cdk-nag errors of a bucket without SSL enforcement")
	nist := packFindings(assertions.Annotations_FromStack(nagCanary), "error", "NIST.800.53.R5-.*")
	assert.Contains(t, strings.Join(nist, "\n"), "NIST.800.53.R5-S3BucketLoggingEnabled", "NIST 800-53 R5 errors of a bucket without access logs")
}
