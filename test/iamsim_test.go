package test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
	"github.com/mlpipeline-go/mlpipeline/internal/iamsim"
)

// TestAlarmNotificationsReachTheTopic replays, against every environment's
// synthesized policies and with a real IAM evaluator, what CloudWatch does
// when a failed-execution alarm fires: it publishes to the encrypted topic
// and uses the topic's key. The topic policy replaces SNS's default one,
// so without its own grant to cloudwatch.amazonaws.com the alarm fires into
// nothing. Another account's alarm must stay denied.
func TestAlarmNotificationsReachTheTopic(t *testing.T) {
	requireIAMEvaluator(t)
	for _, stack := range stacks {
		name := *stack.StackName()
		t.Run(name, func(t *testing.T) {
			doc, policies := stackPolicies(t, stack)
			topics, alarms, keys := doc.IDs("AWS::SNS::Topic"), doc.IDs("AWS::CloudWatch::Alarm"), doc.IDs("AWS::KMS::Key")
			require.NotEmpty(t, topics)
			require.NotEmpty(t, alarms)
			var reqs []iamsim.Request
			for _, topic := range topics {
				topicArn, err := doc.Ref(topic)
				require.NoError(t, err)
				keyArn := topicKey(t, doc, topic)
				require.Contains(t, keys, keyArn.id, "the topic's key is in the stack")
				for _, alarm := range alarms {
					alarmArn, err := doc.ARN(alarm)
					require.NoError(t, err)
					ctx := map[string]any{"aws:SourceAccount": cfn.AccountID, "aws:SourceArn": alarmArn}
					reqs = append(reqs,
						iamsim.Request{Principal: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: topicArn, Context: ctx},
						iamsim.Request{Principal: "cloudwatch.amazonaws.com", Action: "kms:GenerateDataKey", Resource: keyArn.arn, Context: ctx},
						iamsim.Request{Principal: "cloudwatch.amazonaws.com", Action: "kms:Decrypt", Resource: keyArn.arn, Context: ctx})
				}
			}
			_, err := iamsim.Check(context.Background(), "..", policies, reqs)
			require.NoError(t, err, "CloudWatch alarms must reach the topic")

			// An alarm of another account is refused by the conditions.
			topicArn, _ := doc.Ref(topics[0])
			other := map[string]any{"aws:SourceAccount": "111122223333", "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:x"}
			got, err := iamsim.Evaluate(context.Background(), "..", policies, []iamsim.Request{
				{Principal: "cloudwatch.amazonaws.com", Action: "sns:Publish", Resource: topicArn, Context: other}})
			require.NoError(t, err)
			assert.False(t, got[0].Allowed(), "another account's alarm: %s", got[0])
		})
	}
}

type keyRef struct{ id, arn string }

// topicKey returns the key that encrypts topic (its KmsMasterKeyId).
func topicKey(t *testing.T, doc *cfn.Template, topic string) keyRef {
	t.Helper()
	ref := doc.Resources[topic].Properties["KmsMasterKeyId"]
	m, ok := ref.(map[string]any)
	require.True(t, ok, "topic %s is encrypted with a key of the stack: %v", topic, ref)
	var id string
	if att, ok := m["Fn::GetAtt"].([]any); ok {
		id, _ = att[0].(string)
	} else if r, ok := m["Ref"].(string); ok {
		id = r
	}
	arn, err := doc.ARN(id)
	require.NoError(t, err)
	return keyRef{id, arn}
}

// requireIAMEvaluator skips the test, or fails it under CI, when the IAM
// evaluator (@cloud-copilot/iam-simulate) is not installed.
func requireIAMEvaluator(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("../node_modules/@cloud-copilot/iam-simulate"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node_modules is missing: run npm ci (scripts/test.sh does)")
		}
		t.Skip("node_modules is missing: run npm ci (scripts/test.sh does)")
	}
}

// stackPolicies returns stack's template, resolved by package cfn, and
// its IAM policies for iamsim.
func stackPolicies(t *testing.T, stack awscdk.Stack) (*cfn.Template, *iamsim.Policies) {
	t.Helper()
	template, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	require.NoError(t, err)
	doc, err := cfn.Parse(template)
	require.NoError(t, err)
	policies, err := iamsim.FromTemplate(template)
	require.NoError(t, err)
	return doc, policies
}

// administratorAccess is the AWS managed policy AdministratorAccess, as
// the AWS Managed Policy Reference gives it: the identity policy of the
// principals from outside the stack that these tests send, so that what
// denies them is the stack's resource policies alone.
var administratorAccess = map[string]any{"Version": "2012-10-17", "Statement": []any{
	map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}}}

// addAdministrators adds the principals arns, from outside the stack,
// with AdministratorAccess.
func addAdministrators(t *testing.T, policies *iamsim.Policies, arns ...string) {
	t.Helper()
	policies.Documents["AdministratorAccess"] = administratorAccess
	for _, arn := range arns {
		require.NoError(t, policies.AddPrincipal(arn, "AdministratorAccess"))
	}
}

// notDenied is the result a case wants when the evaluator cannot tell
// Allowed: no statement denies the request, and what would allow it is
// not in the stack's policies.
const notDenied = "not ExplicitlyDenied"

// decisionCase is a request and what the evaluator must decide: want is
// Allowed, ExplicitlyDenied (by the statements denies names, see
// iamsim.Decision.ExplicitDenies) or notDenied.
type decisionCase struct {
	iamsim.Request
	want   string
	denies []string
}

// assertDecisions evaluates the cases in one batch and checks each.
func assertDecisions(t *testing.T, policies *iamsim.Policies, cases []decisionCase) {
	t.Helper()
	reqs := make([]iamsim.Request, len(cases))
	for i, c := range cases {
		reqs[i] = c.Request
	}
	got, err := iamsim.Evaluate(context.Background(), "..", policies, reqs)
	require.NoError(t, err)
	for i, d := range got {
		if cases[i].want == notDenied {
			assert.NotContains(t, []string{"ExplicitlyDenied", "Error"}, d.Result, "%s", d)
			continue
		}
		assert.Equal(t, cases[i].want, d.Result, "%s", d)
		assert.Equal(t, cases[i].denies, d.ExplicitDenies(), "denying statements of %s", d)
	}
}

// TestServicePrincipalsAreConfined: the service principals the stack
// trusts act only for this account's resources. CloudWatch Logs may use
// the key for the account's log groups, which it names in the encryption
// context, and EventBridge may assume the scheduler role for the
// account's rules; the same services acting for another account's log
// group or rule are denied (the confused-deputy conditions).
func TestServicePrincipalsAreConfined(t *testing.T) {
	requireIAMEvaluator(t)
	const other = "111122223333"
	for _, stack := range stacks {
		name := *stack.StackName()
		t.Run(name, func(t *testing.T) {
			template, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
			require.NoError(t, err)
			doc, err := cfn.Parse(template)
			require.NoError(t, err)
			policies, err := iamsim.FromTemplate(template)
			require.NoError(t, err)
			// Another account's resource is denied implicitly: no
			// statement's condition holds for it.
			allowed, denied := "Allowed", "ImplicitlyDenied"
			var cases []decisionCase
			logs := "logs." + cfn.Region + ".amazonaws.com"
			for _, id := range doc.IDs("AWS::Logs::LogGroup") {
				keyRef := doc.Resources[id].Properties["KmsKeyId"]
				if keyRef == nil {
					continue
				}
				key, err := doc.String(keyRef)
				require.NoError(t, err)
				group, err := doc.ARN(id)
				require.NoError(t, err)
				own := strings.TrimSuffix(group, ":*")
				foreign := strings.Replace(own, cfn.AccountID, other, 1)
				for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
					cases = append(cases,
						decisionCase{Request: iamsim.Request{Principal: logs, Action: action, Resource: key, Context: map[string]any{"kms:EncryptionContext:aws:logs:arn": own}}, want: allowed},
						decisionCase{Request: iamsim.Request{Principal: logs, Action: action, Resource: key, Context: map[string]any{"kms:EncryptionContext:aws:logs:arn": foreign}}, want: denied})
				}
			}
			for _, id := range doc.IDs("AWS::IAM::Role") {
				trust, _ := json.Marshal(doc.Resources[id].Properties["AssumeRolePolicyDocument"])
				if !strings.Contains(string(trust), "events.amazonaws.com") {
					continue
				}
				role, err := doc.ARN(id)
				require.NoError(t, err)
				rule := "arn:aws:events:" + cfn.Region + ":" + cfn.AccountID + ":rule/any"
				foreignRule := "arn:aws:events:" + cfn.Region + ":" + other + ":rule/any"
				cases = append(cases,
					decisionCase{Request: iamsim.Request{Principal: "events.amazonaws.com", Action: "sts:AssumeRole", Resource: role,
						Context: map[string]any{"aws:SourceAccount": cfn.AccountID, "aws:SourceArn": rule}}, want: allowed},
					decisionCase{Request: iamsim.Request{Principal: "events.amazonaws.com", Action: "sts:AssumeRole", Resource: role,
						Context: map[string]any{"aws:SourceAccount": other, "aws:SourceArn": foreignRule}}, want: denied})
			}
			require.NotEmpty(t, cases, "the stack has encrypted log groups or a scheduler role")
			assertDecisions(t, policies, cases)
		})
	}
}
