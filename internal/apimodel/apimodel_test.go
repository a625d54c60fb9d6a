package apimodel

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m))
	return m
}

// processingJob is a valid CreateProcessingJob request.
const processingJob = `{
  "ProcessingJobName": "mlp-dev-preprocess-0123456789abcdef",
  "AppSpecification": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag", "ContainerEntrypoint": ["/usr/local/bin/preprocess"]},
  "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}},
  "ProcessingInputs": [{"InputName": "data", "S3Input": {"S3Uri": "s3://b/raw/", "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
  "RoleArn": "arn:aws:iam::123456789012:role/job",
  "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
  "Environment": {"A": "b"},
  "Tags": [{"Key": "mlpipeline:execution", "Value": "local-training"}]
}`

func processing(t *testing.T) *Task {
	m := OpenOrSkip(t)
	task, err := m.Task("arn:aws:states:::sagemaker:createProcessingJob.sync")
	require.NoError(t, err)
	return task
}

func TestValidRequestPasses(t *testing.T) {
	task := processing(t)
	assert.Empty(t, task.Validate(decode(t, processingJob), Options{}))
	assert.Equal(t, "sagemaker CreateProcessingJob", task.Describe())
}

// TestEveryViolationWithItsPath breaks one rule of each kind at once and
// expects each reported, with its path.
func TestEveryViolationWithItsPath(t *testing.T) {
	task := processing(t)
	req := decode(t, processingJob)
	cluster := req["ProcessingResources"].(map[string]any)["ClusterConfig"].(map[string]any)
	cluster["InstanceCnt"] = cluster["InstanceCount"]
	delete(cluster, "InstanceCount")
	cluster["VolumeSizeInGB"] = json.Number("0")
	cluster["InstanceType"] = "ml.m5.huge"
	delete(req, "RoleArn")
	req["ProcessingJobName"] = strings.Repeat("a", 64)
	req["Tags"].([]any)[0].(map[string]any)["Value"] = "run!"
	req["StoppingCondition"] = map[string]any{"MaxRuntimeInSeconds": "3600"}
	req["ProcessingInputs"] = []any{}
	req["Environment"] = map[string]any{"A": true}
	got := task.Validate(req, Options{})
	var lines []string
	for _, v := range got {
		lines = append(lines, v.String())
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		`ProcessingResources.ClusterConfig.InstanceCnt: unknown member: ProcessingClusterConfig has no member "InstanceCnt"; did you mean "InstanceCount"?`,
		`ProcessingResources.ClusterConfig.InstanceCount: required: ProcessingClusterConfig requires member InstanceCount`,
		`ProcessingResources.ClusterConfig.VolumeSizeInGB: range: 0, below the minimum 1`,
		`ProcessingResources.ClusterConfig.InstanceType: enum: "ml.m5.huge" is not a value of ProcessingInstanceType; valid: `,
		`RoleArn: required: CreateProcessingJobRequest requires member RoleArn`,
		`ProcessingJobName: length: 64 characters, above the maximum 63`,
		`Tags[0].Value: pattern: "run!" does not match the pattern of TagValue, ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`,
		`StoppingCondition.MaxRuntimeInSeconds: type: ProcessingMaxRuntimeInSeconds must be an integer, not a string`,
		`Environment["A"]: type: ProcessingEnvironmentValue must be a string, not a boolean`,
	} {
		assert.Contains(t, text, want)
	}
	assert.Len(t, got, 9, text)
}

func TestListSizeAndDeferredValues(t *testing.T) {
	m := OpenOrSkip(t)
	task, err := m.Task("arn:aws:states:::sagemaker:createTrainingJob.sync")
	require.NoError(t, err)
	svc := task.Operation.Service
	max := int(*svc.Shapes["TagList"].Max)
	tags := make([]any, max+1)
	for i := range tags {
		tags[i] = map[string]any{"Key": "k", "Value": "v"}
	}
	got := task.Validate(map[string]any{"Tags": tags}, Options{})
	var tagErr []Violation
	for _, v := range got {
		if v.Path == "Tags" {
			tagErr = append(tagErr, v)
		}
	}
	require.Len(t, tagErr, 1)
	assert.Equal(t, RuleSize, tagErr[0].Rule)

	role := map[string]any{"RoleArn": "arn:aws:placeholder:us-east-1:123456789012:jobrole/Arn"}
	has := func(vs []Violation, path string) bool {
		for _, v := range vs {
			if v.Path == path {
				return true
			}
		}
		return false
	}
	assert.True(t, has(task.Validate(role, Options{}), "RoleArn"), "a placeholder breaks the role ARN pattern")
	deferred := Options{Deferred: func(s string) bool { return strings.HasPrefix(s, "arn:aws:placeholder:") }}
	assert.False(t, has(task.Validate(role, deferred), "RoleArn"), "a deferred value is checked for its type only")
	assert.True(t, has(task.Validate(map[string]any{"RoleArn": 1.0}, deferred), "RoleArn"), "but its type is checked")
}

func TestStaticParameters(t *testing.T) {
	task := processing(t)
	params := decode(t, processingJob)
	delete(params, "ProcessingJobName")
	params["ProcessingJobName.$"] = "States.Format('x-{}', $$.Execution.Name)"
	params["Tags"] = []any{map[string]any{"Key": "k", "Value.$": "$$.Execution.Name"}}
	assert.Empty(t, task.Validate(Static(params), Options{}))
	params["ProcessingJobNam.$"] = "$.x"
	got := task.Validate(Static(params), Options{})
	require.Len(t, got, 1)
	assert.Equal(t, "ProcessingJobNam", got[0].Path)
}

func TestTaskResources(t *testing.T) {
	m := OpenOrSkip(t)
	for resource, want := range map[string]string{
		"arn:aws:states:::aws-sdk:s3:getObject":                   "s3 GetObject",
		"arn:aws-cn:states:::aws-sdk:sagemaker:listModelPackages": "sagemaker ListModelPackages",
		"arn:aws:states:::aws-sdk:sfn:startExecution":             "stepfunctions StartExecution",
		"arn:aws:states:::aws-sdk:eventbridge:putEvents":          "events PutEvents",
		"arn:aws:states:::sns:publish":                            "sns Publish",
		"arn:aws:states:::sagemaker:createTrainingJob.sync":       "sagemaker CreateTrainingJob",
	} {
		task, err := m.Task(resource)
		if assert.NoError(t, err, resource) {
			assert.Equal(t, want, task.Describe(), resource)
		}
	}
	_, err := m.Task("arn:aws:states:::aws-sdk:s3:getObjekt")
	assert.ErrorContains(t, err, `did you mean "GetObject"?`)
	_, err = m.Task("arn:aws:states:::lambda:invoke")
	assert.ErrorContains(t, err, "has no entry in internal/apimodel/integrations.go")
}

func TestSNSMessageMayBeJSON(t *testing.T) {
	m := OpenOrSkip(t)
	task, err := m.Task("arn:aws:states:::sns:publish")
	require.NoError(t, err)
	req := map[string]any{"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": map[string]any{"a": 1.0}}
	assert.Empty(t, task.Validate(req, Options{}))
	assert.NotEmpty(t, task.Operation.Validate(req, Options{}), "the API itself takes a string")
}

func TestOpenMissingFolder(t *testing.T) {
	_, err := Open(t.TempDir())
	assert.ErrorIs(t, err, ErrNoModels)
	assert.ErrorContains(t, err, "python3-botocore")
}

func TestTranslate(t *testing.T) {
	for java, want := range map[string]string{
		`^a*+b++$`:                 `^a*b+$`,
		`^\p{Alpha}[\p{Alnum}_]*$`: `^[[:alpha:]][[:alnum:]_]*$`,
		`\p{IsLatin}\p{L}`:         `\p{Latin}\p{L}`,
		`[\u0020-\uD7FF\uD800\uDC00-\uDBFF\uDFFF]`: `[\x{20}-\x{D7FF}\x{10000}-\x{10FFFF}]`,
		`^x{2,1003}$`: `^(?:(?:x){2}(?:x){0,1000}(?:x){0,1})$`,
		`^\S+{1,3}$`:  `^(?:\S+){1,3}$`,
		`\Qa.b\E`:     `(?:a\.b)`,
	} {
		got, err := Translate(java)
		if assert.NoError(t, err, java) {
			assert.Equal(t, want, got, java)
			_, err := Compile(java)
			assert.NoError(t, err, java)
		}
	}
	for java, want := range map[string]string{
		`\p{InGreek}`: "Unicode block",
		`[a-z&&[^q]]`: "intersection",
		`[\Hx]`:       "negated class",
	} {
		_, err := Compile(java)
		assert.ErrorContains(t, err, want, java)
	}
	// A leading negative lookahead and a trailing negative lookbehind test
	// the value's start and end (tag keys, model package group names).
	for java, cases := range map[string]map[string]bool{
		`^(?!aws:)[a-z:]*$`: {"team": true, "aws:x": false, "x:aws:": true},
		`(arn:aws:[a-z]+/)?([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)$`: {"mlp-dev-models": true, "mlp-dev-": false, "arn:aws:x/a": true},
		// Lookaround elsewhere, and back references, need backtracking.
		`^([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)(\/[0-9]{1,5})?$`: {"mlp-dev-models/3": true, "mlp-dev-/3": false},
		`^(?!.*?(.)\1{3})[a-z]*$`:                                  {"abc": true, "aaaab": false},
	} {
		re, err := Compile(java)
		require.NoError(t, err, java)
		for s, want := range cases {
			assert.Equal(t, want, re.MatchString(s), "%s on %q", java, s)
		}
	}
	re, err := Compile(`^x{2,1003}$`)
	require.NoError(t, err)
	assert.True(t, re.MatchString(strings.Repeat("x", 1003)))
	assert.False(t, re.MatchString(strings.Repeat("x", 1004)))
	assert.False(t, re.MatchString("x"))
}

// TestUncheckablePatternIsReported: a pattern neither engine compiles is
// a violation of its own, not a pass.
func TestUncheckablePatternIsReported(t *testing.T) {
	svc := &Service{Name: "example", Shapes: map[string]*Shape{
		"In": {Type: "structure", Members: map[string]Ref{"Name": {Shape: "Name"}}},
		// From botocore's models: Java's class intersection.
		"Name": {Type: "string", Pattern: `[\p{Print}&&[^|:/]]+`},
	}}
	op := &Operation{Name: "Example", Service: svc}
	op.Input.Shape = "In"
	got := op.Validate(map[string]any{"Name": "a"}, Options{})
	require.Len(t, got, 1)
	assert.Equal(t, RulePattern, got[0].Rule)
	assert.Contains(t, got[0].Message, "cannot be checked")
	assert.Contains(t, got[0].Message, "intersection")
}
