package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validEnv returns a complete environment as cdk.json writes it.
func validEnv() map[string]any {
	job := func(t string) map[string]any {
		return map[string]any{"instanceType": t, "instanceCount": 2, "volumeSizeGb": 40, "maxRuntimeMinutes": 90}
	}
	return map[string]any{
		"account":       "123456789012",
		"region":        "eu-west-1",
		"removalPolicy": "retain",
		"jobs": map[string]any{
			"preprocess": job("ml.m5.large"),
			"train":      map[string]any{"instanceType": "ml.m5.2xlarge", "instanceCount": 1, "volumeSizeGb": 40, "maxRuntimeMinutes": 90},
			"evaluate":   job("ml.t3.medium"),
			"infer":      job("ml.c5.18xlarge"),
		},
		"schedules":         map[string]any{"inference": "rate(1 day)", "retraining": "cron(0 3 ? * SUN *)"},
		"qualityGate":       map[string]any{"metric": "mse", "threshold": 5.5},
		"notificationEmail": "ml-team@example.com",
		"logRetentionDays":  90,
		"tags":              map[string]any{"team": "ml"},
		"hyperparameters":   map[string]any{"max_depth": "5"},
		"security":          map[string]any{"adminRole": "MlPipelineAdmin"},
	}
}

// byoVpc is a valid existing VPC as cdk.json describes it.
func byoVpc() map[string]any {
	return map[string]any{
		"id":                "vpc-0123456789abcdef0",
		"cidrBlock":         "10.20.0.0/16",
		"availabilityZones": []any{"eu-west-1a", "eu-west-1b"},
		"subnetIds":         []any{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
		"routeTableIds":     []any{"rtb-0123456789abcdef0", "rtb-0123456789abcdef1"},
	}
}

// set writes value at a dotted path of m; a nil value deletes the key.
func set(m map[string]any, path string, value any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	if value == nil {
		delete(m, keys[len(keys)-1])
		return
	}
	m[keys[len(keys)-1]] = value
}

func TestLoadEnvironmentsValid(t *testing.T) {
	envs, err := LoadEnvironments(map[string]any{"prod": validEnv()}, "")
	require.NoError(t, err)
	require.Len(t, envs, 1)
	got := envs[0]
	want := Environment{
		Name:          "prod",
		Account:       "123456789012",
		Region:        "eu-west-1",
		RemovalPolicy: Retain,
		Jobs: map[JobKind]JobResources{
			Preprocess: {InstanceType: "ml.m5.large", InstanceCount: 2, VolumeSizeGB: 40, MaxRuntime: 90 * time.Minute},
			Train:      {InstanceType: "ml.m5.2xlarge", InstanceCount: 1, VolumeSizeGB: 40, MaxRuntime: 90 * time.Minute},
			Evaluate:   {InstanceType: "ml.t3.medium", InstanceCount: 2, VolumeSizeGB: 40, MaxRuntime: 90 * time.Minute},
			Infer:      {InstanceType: "ml.c5.18xlarge", InstanceCount: 2, VolumeSizeGB: 40, MaxRuntime: 90 * time.Minute},
		},
		Schedules:         Schedules{Inference: "rate(1 day)", Retraining: "cron(0 3 ? * SUN *)"},
		QualityGate:       QualityGate{Metric: "mse", Threshold: 5.5},
		NotificationEmail: "ml-team@example.com",
		LogRetentionDays:  90,
		ManualApproval:    true,
		Hyperparameters:   map[string]string{"max_depth": "5"},
		Tags:              map[string]string{"team": "ml"},
		Security:          Security{Enabled: true, AdminRole: "MlPipelineAdmin"},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, "regression_metrics.mse", got.QualityGate.Key())
	assert.False(t, got.QualityGate.HigherIsBetter(), "mse gate passes lower values")
}

func TestLoadEnvironmentsDefaults(t *testing.T) {
	env := validEnv()
	for _, p := range []string{"account", "region", "schedules", "notificationEmail", "logRetentionDays", "tags"} {
		set(env, p, nil)
	}
	for _, kind := range JobKinds() {
		for _, f := range []string{"instanceCount", "volumeSizeGb", "maxRuntimeMinutes"} {
			set(env, "jobs."+string(kind)+"."+f, nil)
		}
	}
	envs, err := LoadEnvironments(map[string]any{"dev": env}, "dev")
	require.NoError(t, err)
	got := envs[0]
	assert.Equal(t, "", got.Account, "account defaults to environment-agnostic")
	assert.Equal(t, "", got.Region, "region defaults to environment-agnostic")
	assert.Equal(t, Schedules{}, got.Schedules, "schedules default to off")
	assert.Equal(t, 30, got.LogRetentionDays)
	assert.Equal(t, JobResources{InstanceType: "ml.m5.2xlarge", InstanceCount: 1, VolumeSizeGB: 30, MaxRuntime: time.Hour}, got.Jobs[Train])
	assert.Equal(t, Security{AdminRole: "MlPipelineAdmin"}, got.Security, "security is off by default outside staging and prod")
}

func TestSecurityDefaults(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit map[string]any // the security object
		want Security
	}{
		{"staging", map[string]any{"adminRole": "Admin"}, Security{Enabled: true, AdminRole: "Admin"}},
		{"prod", map[string]any{"adminRole": "arn:aws:iam::123456789012:role/team/Admin"},
			Security{Enabled: true, AdminRole: "arn:aws:iam::123456789012:role/team/Admin"}},
		{"prod", map[string]any{"enabled": false}, Security{}},
		{"dev", map[string]any{}, Security{}},
		{"dev", map[string]any{"enabled": true, "adminRole": "Admin", "vpc": byoVpc()}, Security{Enabled: true, AdminRole: "Admin", Vpc: &ExistingVpc{
			ID: "vpc-0123456789abcdef0", CidrBlock: "10.20.0.0/16", AvailabilityZones: []string{"eu-west-1a", "eu-west-1b"},
			SubnetIDs:     []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
			RouteTableIDs: []string{"rtb-0123456789abcdef0", "rtb-0123456789abcdef1"}, CreateEndpoints: true,
		}}},
	} {
		env := validEnv()
		env["security"] = tt.edit
		envs, err := LoadEnvironments(map[string]any{tt.name: env}, "")
		require.NoError(t, err, "%s with security %v", tt.name, tt.edit)
		assert.Equal(t, tt.want, envs[0].Security, "%s with security %v", tt.name, tt.edit)
	}
}

func TestLoadEnvironmentsSelection(t *testing.T) {
	all := map[string]any{"prod": validEnv(), "dev": validEnv(), "staging": validEnv()}
	tests := []struct {
		selector string
		want     []string
		wantErr  string
	}{
		{selector: "", want: []string{"dev", "prod", "staging"}},
		{selector: "staging", want: []string{"staging"}},
		{selector: "qa", wantErr: `unknown environment "qa"; valid: dev, prod, staging`},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			envs, err := LoadEnvironments(all, tt.selector)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, e := range envs {
				names = append(names, e.Name)
			}
			assert.Equal(t, tt.want, names, "LoadEnvironments(%q) names", tt.selector)
		})
	}
}

func TestLoadEnvironmentsValidatesOnlySelected(t *testing.T) {
	broken := validEnv()
	set(broken, "removalPolicy", "keep")
	envs, err := LoadEnvironments(map[string]any{"dev": validEnv(), "prod": broken}, "dev")
	require.NoError(t, err, "a broken prod must not block synthesizing dev")
	assert.Len(t, envs, 1)
	_, err = LoadEnvironments(map[string]any{"dev": validEnv(), "prod": broken}, "")
	assert.ErrorContains(t, err, `environment "prod": removalPolicy`)
}

func TestLoadEnvironmentsErrors(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		value any
		want  string
	}{
		{"instance count zero", "jobs.train.instanceCount", 0,
			`environment "prod": jobs.train.instanceCount = 0 is invalid; valid: an integer from 1 to 100`},
		{"instance count too high", "jobs.infer.instanceCount", 101,
			`environment "prod": jobs.infer.instanceCount = 101 is invalid; valid: an integer from 1 to 100`},
		{"instance count not a number", "jobs.infer.instanceCount", "two",
			`environment "prod": jobs.infer.instanceCount = "two" is invalid; valid: an integer`},
		{"instance count fractional", "jobs.infer.instanceCount", 1.5,
			`environment "prod": jobs.infer.instanceCount = 1.5 is invalid; valid: an integer`},
		{"instance type", "jobs.preprocess.instanceType", "m5.large",
			`environment "prod": jobs.preprocess.instanceType = "m5.large" is invalid; valid: a SageMaker ML instance type such as ml.m5.xlarge`},
		{"instance type missing", "jobs.preprocess.instanceType", nil,
			`environment "prod": jobs.preprocess.instanceType is missing; valid: a SageMaker ML instance type such as ml.m5.xlarge`},
		{"job missing", "jobs.evaluate", nil,
			`environment "prod": jobs.evaluate is missing; valid: an object with at least instanceType`},
		{"volume", "jobs.train.volumeSizeGb", 0,
			`environment "prod": jobs.train.volumeSizeGb = 0 is invalid; valid: an integer from 1 to 16384`},
		{"runtime", "jobs.train.maxRuntimeMinutes", 7201,
			`environment "prod": jobs.train.maxRuntimeMinutes = 7201 is invalid; valid: an integer from 1 to 7200`},
		{"account", "account", "12345",
			`environment "prod": account = "12345" is invalid; valid: a 12-digit AWS account ID, or omit it for an environment-agnostic stack`},
		{"region", "region", "Europe",
			`environment "prod": region = "Europe" is invalid; valid: an AWS region such as eu-west-1, or omit it for an environment-agnostic stack`},
		{"removal policy", "removalPolicy", "snapshot",
			`environment "prod": removalPolicy = "snapshot" is invalid; valid: "retain" or "destroy"`},
		{"removal policy missing", "removalPolicy", nil,
			`environment "prod": removalPolicy is missing; valid: "retain" or "destroy"`},
		{"schedule", "schedules.inference", "every day",
			`environment "prod": schedules.inference = "every day" (neither rate(value unit) nor cron(six fields)) is invalid; valid: an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`},
		{"cron with five fields", "schedules.retraining", "cron(0 3 * * *)",
			`environment "prod": schedules.retraining = "cron(0 3 * * *)" (cron: want six fields (minutes hours day-of-month month day-of-week year) one space apart, got 5) is invalid; valid: an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`},
		{"rate 1 with a plural unit", "schedules.inference", "rate(1 minutes)",
			`environment "prod": schedules.inference = "rate(1 minutes)" (rate unit "minutes" with value 1: want minute, hour or day (singular for 1)) is invalid; valid: an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`},
		{"rate 2 with a singular unit", "schedules.inference", "rate(2 day)",
			`environment "prod": schedules.inference = "rate(2 day)" (rate unit "day" with value 2: want minutes, hours or days (plural above 1)) is invalid; valid: an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`},
		{"cron without a ? day", "schedules.retraining", "cron(0 3 * * MON *)",
			`environment "prod": schedules.retraining = "cron(0 3 * * MON *)" (cron day-of-month "*" and day-of-week "MON": one of them must be ?) is invalid; valid: an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`},
		{"cron minute out of range", "schedules.retraining", "cron(99 3 * * ? *)",
			`environment "prod": schedules.retraining = "cron(99 3 * * ? *)" (cron minutes field "99": "99" is not a value 0-59) is invalid; valid: an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`},
		{"gate metric", "qualityGate.metric", "mape",
			`environment "prod": qualityGate.metric = "mape" is invalid; valid: one of accuracy, auc, f1, log_loss, mae, mse, precision, r2, recall, rmse`},
		{"gate threshold missing", "qualityGate.threshold", nil,
			`environment "prod": qualityGate.threshold is missing; valid: a number`},
		{"gate threshold negative", "qualityGate.threshold", -1,
			`environment "prod": qualityGate.threshold = -1 is invalid; valid: a number from 0 to +Inf for mse`},
		{"email", "notificationEmail", "ml-team",
			`environment "prod": notificationEmail = "ml-team" is invalid; valid: an e-mail address, or omit it for no subscription`},
		{"retention", "logRetentionDays", 10,
			`environment "prod": logRetentionDays = 10 is invalid; valid: one of the CloudWatch Logs retention values 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`},
		{"reserved tag", "tags.environment", "x",
			`environment "prod": tags.environment = "x" is invalid; valid: no value: the environment tag is set to the environment's name`},
		{"aws tag", "tags.aws:foo", "x",
			`environment "prod": tags = "aws:foo" is invalid; valid: tag keys of 1 to 128 characters not starting with aws:`},
		{"empty hyperparameter", "hyperparameters", map[string]any{"eta": ""},
			`environment "prod": hyperparameters = "eta=" is invalid; valid: names and values that are not empty, such as "max_depth": "5"`},
		{"log retention fractional", "logRetentionDays", 1.5,
			`environment "prod": logRetentionDays = 1.5 is invalid; valid: an integer`},
		{"gate threshold a string", "qualityGate.threshold", "0.5",
			`environment "prod": qualityGate.threshold = "0.5" is invalid; valid: a number`},
		{"flag a string", "manualApproval", "yes",
			`environment "prod": manualApproval = "yes" is invalid; valid: true or false`},
		{"jobs an array", "jobs", []any{"train"},
			`environment "prod": jobs = ["train"] is invalid; valid: an object`},
		{"tags an array", "tags", []any{"team"},
			`environment "prod": tags = ["team"] is invalid; valid: an object whose values are strings`},
		{"subnets a string", "security.vpc", func() map[string]any { v := byoVpc(); v["subnetIds"] = "subnet-0123456789abcdef0"; return v }(),
			`environment "prod": security.vpc.subnetIds = "subnet-0123456789abcdef0" is invalid; valid: an array of strings`},
		{"long value shortened", "jobs.train.instanceCount", strings.Repeat("x", 100),
			`environment "prod": jobs.train.instanceCount = "` + strings.Repeat("x", 59) + `… is invalid; valid: an integer`},
		{"hyperparameter not a string", "hyperparameters", map[string]any{"eta": 0.2},
			`environment "prod": hyperparameters = {"eta":0.2} is invalid; valid: an object whose values are strings`},
		{"train on two instances", "jobs.train.instanceCount", 2,
			`environment "prod": jobs.train.instanceCount = 2 is invalid; valid: 1: the train job trains on one instance`},
		{"unknown hyperparameter", "hyperparameters", map[string]any{"max_depht": "5"},
			`environment "prod": hyperparameters.max_depht = "5" is invalid; valid: a hyperparameter the train job knows, one of alpha, colsample_bytree, early_stopping_rounds, eta, eval_metric, gamma, lambda, learning_rate, max_bin, max_depth, min_child_weight, min_split_loss, num_round, objective, reg_alpha, reg_lambda, seed, subsample, tree_method`},
		{"invalid hyperparameter", "hyperparameters", map[string]any{"max_depth": "0"},
			`environment "prod": hyperparameters.max_depth = "0" is invalid; valid: an integer in [1, 64]`},
		{"admin role missing", "security.adminRole", nil,
			`environment "prod": security.adminRole is missing; valid: the name or ARN of the role that administers the data, besides the pipeline's roles (required with security on)`},
		{"admin role not a role", "security.adminRole", "arn:aws:iam::123456789012:user/alice",
			`environment "prod": security.adminRole = "arn:aws:iam::123456789012:user/alice" is invalid; valid: an IAM role name such as MlPipelineAdmin, or a role ARN such as arn:aws:iam::123456789012:role/MlPipelineAdmin`},
		{"vpc id", "security.vpc", func() map[string]any { v := byoVpc(); v["id"] = "vpc-1"; return v }(),
			`environment "prod": security.vpc.id = "vpc-1" is invalid; valid: a VPC ID such as vpc-0123456789abcdef0, or leave out vpc for a new VPC`},
		{"vpc cidr", "security.vpc", func() map[string]any { v := byoVpc(); delete(v, "cidrBlock"); return v }(),
			`environment "prod": security.vpc.cidrBlock is missing; valid: the VPC's IPv4 CIDR block such as 10.0.0.0/16`},
		{"vpc subnets", "security.vpc", func() map[string]any {
			v := byoVpc()
			v["subnetIds"] = []any{"subnet-0123456789abcdef0", "sn-2"}
			return v
		}(),
			`environment "prod": security.vpc.subnetIds = "sn-2" is invalid; valid: subnet IDs such as subnet-0123456789abcdef0`},
		{"vpc zones", "security.vpc", func() map[string]any { v := byoVpc(); v["availabilityZones"] = []any{"eu-west-1a"}; return v }(),
			`environment "prod": security.vpc.availabilityZones = ["eu-west-1a"] is invalid; valid: one zone per subnet ID (2), such as eu-west-1a`},
		{"vpc route tables", "security.vpc", func() map[string]any { v := byoVpc(); delete(v, "routeTableIds"); return v }(),
			`environment "prod": security.vpc.routeTableIds = [] is invalid; valid: the route table of each subnet ID (2), such as rtb-0123456789abcdef0, for the S3 gateway endpoint; or createEndpoints false`},
		{"unknown security field", "security.vpcId", "vpc-0123456789abcdef0",
			`environment "prod": security.vpcId = (unknown field) is invalid; valid: one of the fields documented in README.md`},
		{"unknown field", "jobs.train.instanceCont", 2,
			`environment "prod": jobs.train.instanceCont = (unknown field) is invalid; valid: one of the fields documented in README.md`},
		{"unknown job kind", "jobs.serve", map[string]any{"instanceType": "ml.m5.large"},
			`environment "prod": jobs.serve = (unknown field) is invalid; valid: one of the fields documented in README.md`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			set(env, tt.path, tt.value)
			_, err := LoadEnvironments(map[string]any{"prod": env}, "")
			require.Error(t, err, "LoadEnvironments with %s = %v", tt.path, tt.value)
			assert.Equal(t, tt.want, err.Error(), "LoadEnvironments with %s = %v", tt.path, tt.value)
			assert.NotContains(t, err.Error(), "\n", "one problem gives a one-line message")
		})
	}
}

func TestLoadEnvironmentsThresholdRange(t *testing.T) {
	tests := []struct {
		metric    string
		threshold float64
		ok        bool
	}{
		{"auc", 0.8, true},
		{"auc", 1.2, false},
		{"r2", -3, true},
		{"r2", 1.01, false},
		{"rmse", 0, true},
	}
	for _, tt := range tests {
		env := validEnv()
		set(env, "qualityGate", map[string]any{"metric": tt.metric, "threshold": tt.threshold})
		envs, err := LoadEnvironments(map[string]any{"prod": env}, "")
		if !tt.ok {
			assert.Error(t, err, "gate %s %g", tt.metric, tt.threshold)
			continue
		}
		require.NoError(t, err, "gate %s %g", tt.metric, tt.threshold)
		assert.Equal(t, tt.metric == "auc" || tt.metric == "r2", envs[0].QualityGate.HigherIsBetter(), "HigherIsBetter(%s)", tt.metric)
		group := map[bool]string{true: "binary_classification_metrics.", false: "regression_metrics."}[tt.metric == "auc"]
		assert.Equal(t, group+tt.metric, envs[0].QualityGate.Key(), "Key(%s)", tt.metric)
	}
}

func TestLoadEnvironmentsReportsEveryProblem(t *testing.T) {
	env := validEnv()
	set(env, "jobs.train.instanceCount", 0)
	set(env, "removalPolicy", "keep")
	_, err := LoadEnvironments(map[string]any{"prod": env}, "")
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 2, "one line per problem: %q", err.Error())
}

func TestLoadEnvironmentsShape(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"missing", nil, `context key "environments" is missing: cdk.json must define the environments`},
		{"not an object", []any{"dev"}, `context key "environments" must be an object keyed by environment name, got ["dev"]`},
		{"bad name", map[string]any{"Dev Env": validEnv()}, `environment "Dev Env": name = "Dev Env" is invalid; valid: 1 to 15 lowercase letters, digits or hyphens, starting with a letter`},
		{"environment not an object", map[string]any{"dev": "small"}, `environment "dev": want an object, got a string`},
		{"environment an array", map[string]any{"dev": []any{"small"}}, `environment "dev": want an object, got an array`},
		{"environment null", map[string]any{"dev": nil}, `environment "dev": want an object, got null`},
		{"no environments", map[string]any{}, `context key "environments" is empty: cdk.json must define at least one environment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadEnvironments(tt.in, "")
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// TestProjectContextIsValid keeps the shipped cdk.json loadable.
func TestProjectContextIsValid(t *testing.T) {
	ctx, err := ReadContext("../cdk.json")
	require.NoError(t, err)
	envs, err := LoadEnvironments(ctx[EnvironmentsContextKey], "")
	require.NoError(t, err)
	var names []string
	for _, e := range envs {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"dev", "prod", "staging"}, names)
	byName := map[string]Environment{}
	for _, e := range envs {
		byName[e.Name] = e
	}
	assert.Equal(t, Destroy, byName["dev"].RemovalPolicy, "dev is torn down with its data")
	assert.Equal(t, Retain, byName["prod"].RemovalPolicy, "prod keeps its data")
	assert.Equal(t, Schedules{}, byName["dev"].Schedules, "dev runs no schedules")
	assert.True(t, byName["prod"].ManualApproval, "prod models wait for a person")
	assert.False(t, byName["dev"].ManualApproval, "dev models are approved automatically")
	data, err := json.Marshal(ctx["@aws-cdk/core:enablePartitionLiterals"])
	require.NoError(t, err)
	assert.Equal(t, "true", string(data), "cdk.json carries the recommended feature flags")
}

func TestRetentionDaysCoverEveryValidValue(t *testing.T) {
	require.Len(t, retentionDays, len(logRetentionDays), "one CDK retention per valid value")
	assert.Equal(t, awslogs.RetentionDays_ONE_MONTH, retentionDays[slices.Index(logRetentionDays, 30)])
	assert.Equal(t, awslogs.RetentionDays_THIRTEEN_MONTHS, retentionDays[slices.Index(logRetentionDays, 400)])
	assert.Equal(t, awslogs.RetentionDays_TEN_YEARS, retentionDays[slices.Index(logRetentionDays, 3653)])
}

func TestGateMetricsFor(t *testing.T) {
	assert.Equal(t, []string{"mae", "mse", "r2", "rmse"}, GateMetricsFor("regression"))
	assert.Equal(t, []string{"accuracy", "auc", "f1", "log_loss", "precision", "recall"}, GateMetricsFor("binary_classification"))
	assert.Nil(t, GateMetricsFor("multiclass"))
	for _, task := range []string{"regression", "binary_classification"} {
		for _, m := range GateMetricsFor(task) {
			assert.True(t, strings.HasPrefix(QualityGate{Metric: m}.Key(), task+"_metrics."), "Key(%s) is under %s_metrics", m, task)
		}
	}
}

// TestReadContextErrors: a cdk.json that cannot be read says where and
// what, in JSON's terms.
func TestReadContextErrors(t *testing.T) {
	for _, tt := range []struct{ name, content, want string }{
		{"syntax", "{\n  \"context\": {\n    \"environments\": {,}\n  }\n}\n", `cdk.json:3:22: invalid character ',' looking for beginning of object key string`},
		{"an array", `["dev"]`, `cdk.json: want an object, got an array`},
		{"context an array", `{"context": [1]}`, `cdk.json: "context" must be an object, got an array`},
		{"no context", `{"app": "go run ./infra/cmd/app"}`, `cdk.json has no "context" object`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cdk.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			_, err := ReadContext(path)
			require.Error(t, err)
			assert.Equal(t, "read CDK context: "+filepath.Join(filepath.Dir(path), tt.want), err.Error())
			assert.NotContains(t, err.Error(), "Go value")
		})
	}
}

// TestLoadEnvironmentsAcceptsWhatTheTrainerAccepts: SageMaker's own
// hyperparameters pass, as the train job ignores them, and so does an
// eval_metric that fits the objective the schema will choose.
func TestLoadEnvironmentsAcceptsWhatTheTrainerAccepts(t *testing.T) {
	env := validEnv()
	set(env, "hyperparameters", map[string]any{"max_depth": "5", "_tuning_objective_metric": "validation:rmse", "sagemaker_program": "train", "eval_metric": "logloss"})
	_, err := LoadEnvironments(map[string]any{"prod": env}, "")
	assert.NoError(t, err)
}
