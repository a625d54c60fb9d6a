package sagemakerjob

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
)

// testRole stands in for a role where validation only checks that one is
// set; a nil *struct in an interface is not nil.
type testRole struct{ awsiam.IRole }

// validProcessing returns props that validate, changed by edit.
func validProcessing(edit func(p *ProcessingJobProps)) ProcessingJobProps {
	p := ProcessingJobProps{
		JobNamePrefix:    "preprocess",
		StateMachineRole: testRole{},
		Role:             testRole{},
		ImageUri:         jsii.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs"),
		Entrypoint:       []string{"/usr/local/bin/preprocess"},
		Inputs:           []Input{{Name: "raw", S3UriPath: "$.data.raw", LocalPath: "/opt/ml/processing/input/raw"}},
		Outputs:          []Output{{Name: "curated", S3Uri: jsii.String("s3://team-data/curated/"), LocalPath: "/opt/ml/processing/output"}},
	}
	if edit != nil {
		edit(&p)
	}
	return p
}

// validTraining returns props that validate, changed by edit.
func validTraining(edit func(p *TrainingJobProps)) TrainingJobProps {
	p := TrainingJobProps{
		JobNamePrefix:    "train",
		StateMachineRole: testRole{},
		Role:             testRole{},
		ImageUri:         jsii.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlpipeline:jobs"),
		Inputs:           []Input{{Name: "train", S3UriPath: "$.data.train", ContentType: "text/csv"}},
		Output:           Output{S3UriPath: "$.artifacts.models"},
	}
	if edit != nil {
		edit(&p)
	}
	return p
}

func TestValidateProcessing(t *testing.T) {
	tests := []struct {
		name    string
		props   ProcessingJobProps
		wantErr string
	}{
		{"valid", validProcessing(nil), ""},
		{"everything set", validProcessing(func(p *ProcessingJobProps) {
			p.Arguments = []string{"--seed", "1"}
			p.Inputs[0].Distribution = "ShardedByS3Key"
			p.InstanceType, p.InstanceCount, p.VolumeSizeGB = "ml.c5.2xlarge", 100, 16384
			p.MaxRuntime = awscdk.Duration_Days(jsii.Number(9))
			p.Environment = map[string]string{"_LOG_LEVEL2": "debug"}
			p.Tags = map[string]string{"team": "ml"}
			p.SubnetIds, p.SecurityGroupIds = []string{"subnet-1"}, []string{"sg-1"}
			p.ResultPath = "$.preprocess"
		}), ""},
		{"tokens are not checked", validProcessing(func(p *ProcessingJobProps) {
			p.InstanceType = *awscdk.Aws_REGION()
			p.Outputs[0].S3Uri = awscdk.Aws_URL_SUFFIX()
		}), ""},
		{"prefix with uppercase", validProcessing(func(p *ProcessingJobProps) { p.JobNamePrefix = "Preprocess" }),
			`invalid JobNamePrefix "Preprocess"; valid: 1 to 30 lowercase letters, digits and hyphens, starting with a letter`},
		{"prefix with digit first", validProcessing(func(p *ProcessingJobProps) { p.JobNamePrefix = "1pre" }),
			`invalid JobNamePrefix "1pre"; valid: 1 to 30 lowercase letters, digits and hyphens, starting with a letter`},
		{"prefix too long", validProcessing(func(p *ProcessingJobProps) { p.JobNamePrefix = strings.Repeat("p", 31) }),
			`invalid JobNamePrefix "ppppppppppppppppppppppppppppppp"; valid: 1 to 30 lowercase letters, digits and hyphens, starting with a letter`},
		{"no state machine role", validProcessing(func(p *ProcessingJobProps) { p.StateMachineRole = nil }),
			"invalid StateMachineRole nil; valid: the role the state machine runs as"},
		{"no role", validProcessing(func(p *ProcessingJobProps) { p.Role = nil }),
			"invalid Role nil; valid: the SageMaker execution role the job runs as"},
		{"no image", validProcessing(func(p *ProcessingJobProps) { p.ImageUri = nil }),
			`invalid ImageUri ""; valid: the URI of the job's container image`},
		{"empty image", validProcessing(func(p *ProcessingJobProps) { p.ImageUri = jsii.String("") }),
			`invalid ImageUri ""; valid: the URI of the job's container image`},
		{"instance type without ml.", validProcessing(func(p *ProcessingJobProps) { p.InstanceType = "m5.large" }),
			`invalid InstanceType "m5.large"; valid: an ML instance type such as "ml.m5.large"`},
		{"negative instance count", validProcessing(func(p *ProcessingJobProps) { p.InstanceCount = -1 }),
			"invalid InstanceCount -1; valid: 0 for the default of 1, or 1 to 100"},
		{"too many instances", validProcessing(func(p *ProcessingJobProps) { p.InstanceCount = 101 }),
			"invalid InstanceCount 101; valid: 0 for the default of 1, or 1 to 100"},
		{"volume too large", validProcessing(func(p *ProcessingJobProps) { p.VolumeSizeGB = 16385 }),
			"invalid VolumeSizeGB 16385; valid: 0 for the default of 30, or 1 to 16384"},
		{"negative volume", validProcessing(func(p *ProcessingJobProps) { p.VolumeSizeGB = -30 }),
			"invalid VolumeSizeGB -30; valid: 0 for the default of 30, or 1 to 16384"},
		{"runtime too long", validProcessing(func(p *ProcessingJobProps) { p.MaxRuntime = awscdk.Duration_Days(jsii.Number(10)) }),
			"invalid MaxRuntime 864000s; valid: nil for the default of 1 hour, or whole seconds from 1 to 777600s (9 days)"},
		{"runtime under a second", validProcessing(func(p *ProcessingJobProps) { p.MaxRuntime = awscdk.Duration_Millis(jsii.Number(500)) }),
			"invalid MaxRuntime 0.5s; valid: nil for the default of 1 hour, or whole seconds from 1 to 777600s (9 days)"},
		{"too many variables", validProcessing(func(p *ProcessingJobProps) { p.Environment = manyStrings(101) }),
			"invalid Environment of 101 variables; valid: at most 100"},
		{"variable with hyphen", validProcessing(func(p *ProcessingJobProps) { p.Environment = map[string]string{"LOG-LEVEL": "info"} }),
			`invalid Environment variable "LOG-LEVEL"; valid: letters, digits and '_', not starting with a digit`},
		{"too many tags", validProcessing(func(p *ProcessingJobProps) { p.Tags = manyStrings(50) }),
			"invalid Tags of 50 tags; valid: at most 49, as the task adds mlpipeline:execution"},
		{"aws tag", validProcessing(func(p *ProcessingJobProps) { p.Tags = map[string]string{"aws:team": "ml"} }),
			`invalid Tags key "aws:team"; valid: 1 to 128 characters, not starting with "aws:", other than mlpipeline:execution`},
		{"execution tag", validProcessing(func(p *ProcessingJobProps) { p.Tags = map[string]string{ExecutionTagKey: "x"} }),
			`invalid Tags key "mlpipeline:execution"; valid: 1 to 128 characters, not starting with "aws:", other than mlpipeline:execution`},
		{"empty tag key", validProcessing(func(p *ProcessingJobProps) { p.Tags = map[string]string{"": "x"} }),
			`invalid Tags key ""; valid: 1 to 128 characters, not starting with "aws:", other than mlpipeline:execution`},
		{"subnets without security groups", validProcessing(func(p *ProcessingJobProps) { p.SubnetIds = []string{"subnet-1"} }),
			"invalid SubnetIds and SecurityGroupIds of 1 and 0 entries; valid: both empty, or 1 to 16 subnets and 1 to 5 security groups"},
		{"too many security groups", validProcessing(func(p *ProcessingJobProps) {
			p.SubnetIds, p.SecurityGroupIds = []string{"subnet-1"}, []string{"sg-1", "sg-2", "sg-3", "sg-4", "sg-5", "sg-6"}
		}), "invalid SubnetIds and SecurityGroupIds of 1 and 6 entries; valid: both empty, or 1 to 16 subnets and 1 to 5 security groups"},
		{"result path without $", validProcessing(func(p *ProcessingJobProps) { p.ResultPath = "jobs.pre" }),
			`invalid ResultPath "jobs.pre"; valid: empty for $.jobs.<state id>, or a JSONPath starting with "$"`},
		{"no entrypoint", validProcessing(func(p *ProcessingJobProps) { p.Entrypoint = nil }),
			`invalid Entrypoint []; valid: the container's command, such as ["/usr/local/bin/preprocess"]`},
		{"input without name", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].Name = "" }),
			`invalid Inputs[0].Name ""; valid: 1 to 256 characters, unique among Inputs`},
		{"inputs with one name", validProcessing(func(p *ProcessingJobProps) { p.Inputs = append(p.Inputs, p.Inputs[0]) }),
			`invalid Inputs[1].Name "raw"; valid: 1 to 256 characters, unique among Inputs`},
		{"input without location", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].S3UriPath = "" }),
			"invalid Inputs[0] without S3Uri or S3UriPath; valid: exactly one of them"},
		{"input with two locations", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].S3Uri = jsii.String("s3://b/raw/") }),
			"invalid Inputs[0] with both S3Uri and S3UriPath; valid: exactly one of them"},
		{"input URI without s3://", validProcessing(func(p *ProcessingJobProps) {
			p.Inputs[0].S3UriPath, p.Inputs[0].S3Uri = "", jsii.String("team-data/raw/")
		}), `invalid Inputs[0].S3Uri "team-data/raw/"; valid: an s3:// URI`},
		{"input path without $", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].S3UriPath = "data.raw" }),
			`invalid Inputs[0].S3UriPath "data.raw"; valid: a JSONPath starting with "$", such as "$.data.raw"`},
		{"unknown distribution", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].Distribution = "Sharded" }),
			`invalid Inputs[0].Distribution "Sharded"; valid: FullyReplicated (the default) or ShardedByS3Key`},
		{"input local path outside the contract", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].LocalPath = "/data" }),
			`invalid Inputs[0].LocalPath "/data"; valid: a directory under /opt/ml/processing/, such as /opt/ml/processing/input/data`},
		{"input local path at the root", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].LocalPath = "/opt/ml/processing/" }),
			`invalid Inputs[0].LocalPath "/opt/ml/processing/"; valid: a directory under /opt/ml/processing/, such as /opt/ml/processing/input/data`},
		{"input content type", validProcessing(func(p *ProcessingJobProps) { p.Inputs[0].ContentType = "text/csv" }),
			`invalid Inputs[0].ContentType "text/csv"; valid: empty, as processing inputs have none`},
		{"no outputs", validProcessing(func(p *ProcessingJobProps) { p.Outputs = nil }),
			"invalid Outputs []; valid: at least one output"},
		{"outputs with one name", validProcessing(func(p *ProcessingJobProps) { p.Outputs = append(p.Outputs, p.Outputs[0]) }),
			`invalid Outputs[1].Name "curated"; valid: 1 to 256 characters, unique among Outputs`},
		{"output without location", validProcessing(func(p *ProcessingJobProps) { p.Outputs[0].S3Uri = nil }),
			"invalid Outputs[0] without S3Uri or S3UriPath; valid: exactly one of them"},
		{"output without local path", validProcessing(func(p *ProcessingJobProps) { p.Outputs[0].LocalPath = "" }),
			`invalid Outputs[0].LocalPath ""; valid: a directory under /opt/ml/processing/, such as /opt/ml/processing/input/data`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.props.validate()
			if tt.wantErr == "" {
				assert.NoError(t, err, "validate()")
				return
			}
			assert.EqualError(t, err, tt.wantErr, "validate()")
		})
	}
}

func TestValidateTraining(t *testing.T) {
	tests := []struct {
		name    string
		props   TrainingJobProps
		wantErr string
	}{
		{"valid", validTraining(nil), ""},
		{"everything set", validTraining(func(p *TrainingJobProps) {
			p.Entrypoint, p.Arguments = []string{"/usr/local/bin/train"}, []string{"--verbose"}
			p.Hyperparameters = map[string]string{"eta": "0.3"}
			p.Inputs = append(p.Inputs, Input{Name: "validation.v2_x-1", S3Uri: jsii.String("s3://b/v/"), Distribution: "ShardedByS3Key"})
			p.MetricDefinitions = []MetricDefinition{{Name: "rmse", Regex: "rmse=(.*)"}}
			p.MaxRuntime = awscdk.Duration_Days(jsii.Number(28))
		}), ""},
		{"no inputs", validTraining(func(p *TrainingJobProps) { p.Inputs = nil }), ""},
		{"hyperparameters from the input", validTraining(func(p *TrainingJobProps) { p.HyperparametersPath = "$.hyperparameters" }), ""},
		// The rules shared with processing jobs apply.
		{"prefix with underscore", validTraining(func(p *TrainingJobProps) { p.JobNamePrefix = "train_xgb" }),
			`invalid JobNamePrefix "train_xgb"; valid: 1 to 30 lowercase letters, digits and hyphens, starting with a letter`},
		{"no role", validTraining(func(p *TrainingJobProps) { p.Role = nil }),
			"invalid Role nil; valid: the SageMaker execution role the job runs as"},
		{"runtime too long", validTraining(func(p *TrainingJobProps) { p.MaxRuntime = awscdk.Duration_Days(jsii.Number(29)) }),
			"invalid MaxRuntime 2505600s; valid: nil for the default of 1 hour, or whole seconds from 1 to 2419200s (28 days)"},
		{"channel name with space", validTraining(func(p *TrainingJobProps) { p.Inputs[0].Name = "train data" }),
			`invalid Inputs[0].Name "train data"; valid: 1 to 64 letters, digits, '.', '-' and '_', unique among Inputs`},
		{"channel name too long", validTraining(func(p *TrainingJobProps) { p.Inputs[0].Name = strings.Repeat("c", 65) }),
			fmt.Sprintf(`invalid Inputs[0].Name %q; valid: 1 to 64 letters, digits, '.', '-' and '_', unique among Inputs`, strings.Repeat("c", 65))},
		{"channels with one name", validTraining(func(p *TrainingJobProps) { p.Inputs = append(p.Inputs, p.Inputs[0]) }),
			`invalid Inputs[1].Name "train"; valid: 1 to 64 letters, digits, '.', '-' and '_', unique among Inputs`},
		{"channel with two locations", validTraining(func(p *TrainingJobProps) { p.Inputs[0].S3Uri = jsii.String("s3://b/train/") }),
			"invalid Inputs[0] with both S3Uri and S3UriPath; valid: exactly one of them"},
		{"channel with unknown distribution", validTraining(func(p *TrainingJobProps) { p.Inputs[0].Distribution = "fullyreplicated" }),
			`invalid Inputs[0].Distribution "fullyreplicated"; valid: FullyReplicated (the default) or ShardedByS3Key`},
		{"channel local path", validTraining(func(p *TrainingJobProps) { p.Inputs[0].LocalPath = "/opt/ml/input/data/train" }),
			`invalid Inputs[0].LocalPath "/opt/ml/input/data/train"; valid: empty, as training channels are at /opt/ml/input/data/<Name>`},
		{"output with name", validTraining(func(p *TrainingJobProps) { p.Output.Name = "model" }), ""},
		{"output with local path", validTraining(func(p *TrainingJobProps) { p.Output.LocalPath = "/opt/ml/model" }),
			`invalid Output.LocalPath "/opt/ml/model"; valid: empty, as the model is uploaded from /opt/ml/model`},
		{"no output", validTraining(func(p *TrainingJobProps) { p.Output = Output{} }),
			"invalid Output without S3Uri or S3UriPath; valid: exactly one of them"},
		{"output URI without s3://", validTraining(func(p *TrainingJobProps) { p.Output = Output{S3Uri: jsii.String("https://b.s3.amazonaws.com/models/")} }),
			`invalid Output.S3Uri "https://b.s3.amazonaws.com/models/"; valid: an s3:// URI`},
		{"both hyperparameter sources", validTraining(func(p *TrainingJobProps) {
			p.Hyperparameters, p.HyperparametersPath = map[string]string{"eta": "0.3"}, "$.hyperparameters"
		}), `invalid HyperparametersPath "$.hyperparameters" with Hyperparameters set; valid: one of them`},
		{"hyperparameters path without $", validTraining(func(p *TrainingJobProps) { p.HyperparametersPath = "hyperparameters" }),
			`invalid HyperparametersPath "hyperparameters"; valid: a JSONPath starting with "$", such as "$.data.raw"`},
		{"metric without regex", validTraining(func(p *TrainingJobProps) { p.MetricDefinitions = []MetricDefinition{{Name: "rmse"}} }),
			`invalid MetricDefinitions[0] with Name "rmse" and Regex ""; valid: both set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.props.validate()
			if tt.wantErr == "" {
				assert.NoError(t, err, "validate()")
				return
			}
			assert.EqualError(t, err, tt.wantErr, "validate()")
		})
	}
}

// manyStrings returns a map of n valid keys.
func manyStrings(n int) map[string]string {
	m := make(map[string]string, n)
	for i := 0; i < n; i++ {
		m[fmt.Sprintf("K%d", i)] = "v"
	}
	return m
}
