// Package infra assembles the pipeline's CDK app: it reads the per-environment
// configuration from the CDK context (cdk.json), validates it, and defines one
// stack, MlPipeline-<env>, per environment.
package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipeline-go/mlpipeline/internal/schedule"
	"github.com/mlpipeline-go/mlpipeline/jobs/trainconfig"
)

// EnvironmentsContextKey is the CDK context key holding the environments,
// an object keyed by environment name.
const EnvironmentsContextKey = "environments"

// SelectContextKey is the CDK context key (`cdk synth -c env=dev`) that picks
// one environment to build; without it every environment is built.
const SelectContextKey = "env"

// RemovalPolicy says what happens to stateful resources (buckets, key, logs)
// when the stack is deleted.
type RemovalPolicy string

// The removal policies an environment may choose.
const (
	// Retain keeps data when the stack is deleted; production's choice.
	Retain RemovalPolicy = "retain"
	// Destroy deletes buckets with their objects; for throw-away environments.
	Destroy RemovalPolicy = "destroy"
)

// JobKind names one step of the pipeline that runs as a SageMaker job.
type JobKind string

// The job kinds, one per job binary.
const (
	Preprocess JobKind = "preprocess"
	Train      JobKind = "train"
	Evaluate   JobKind = "evaluate"
	Infer      JobKind = "infer"
)

// JobKinds returns every job kind in pipeline order.
func JobKinds() []JobKind { return []JobKind{Preprocess, Train, Evaluate, Infer} }

// JobResources is the compute an environment gives one kind of job.
type JobResources struct {
	// InstanceType is a SageMaker ML instance type such as ml.m5.xlarge.
	InstanceType string
	// InstanceCount is how many instances the job runs on.
	InstanceCount int
	// VolumeSizeGB is the size of the ML storage volume of each instance.
	VolumeSizeGB int
	// MaxRuntime stops the job when it runs longer.
	MaxRuntime time.Duration
}

// Schedules holds EventBridge schedule expressions; an empty one is off.
type Schedules struct {
	// Inference starts the batch inference state machine.
	Inference string
	// Retraining starts the training state machine.
	Retraining string
}

// QualityGate is the default check a newly trained model must pass before it
// is registered; an execution's input may override the threshold.
type QualityGate struct {
	// Metric is a metric name of evaluation.json, such as mse or auc.
	Metric string
	// Threshold is the worst acceptable value of Metric.
	Threshold float64
}

// Key returns the metric's key in evaluation.json, such as
// regression_metrics.mse.
func (g QualityGate) Key() string {
	if gateMetrics[g.Metric].binary {
		return "binary_classification_metrics." + g.Metric
	}
	return "regression_metrics." + g.Metric
}

// HigherIsBetter reports whether the gate passes values at or above the
// threshold (auc, accuracy, f1, r2) rather than at or below it (errors).
func (g QualityGate) HigherIsBetter() bool { return gateMetrics[g.Metric].higherIsBetter }

// Environment is the validated configuration of one deployment environment.
type Environment struct {
	// Name is the environment's key in cdk.json, such as dev.
	Name string
	// Account is the AWS account ID; empty synthesizes environment-agnostic.
	Account string
	// Region is the AWS region; empty synthesizes environment-agnostic.
	Region string
	// RemovalPolicy applies to the buckets, the key and the log groups.
	RemovalPolicy RemovalPolicy
	// Jobs holds the compute of every job kind.
	Jobs map[JobKind]JobResources
	// Schedules holds the EventBridge schedules; empty ones are off.
	Schedules Schedules
	// QualityGate is the default gate of the training pipeline.
	QualityGate QualityGate
	// NotificationEmail, when set, is subscribed to the notification topic.
	NotificationEmail string
	// LogRetentionDays is how long log groups keep events.
	LogRetentionDays int
	// ManualApproval registers new model versions as pending approval by a
	// person instead of approved.
	ManualApproval bool
	// InferenceAttributions makes batch inference add each row's TreeSHAP
	// attributions per column to the predictions (infer -attributions).
	InferenceAttributions bool
	// Hyperparameters are passed to the training job (XGBoost's names; the
	// train job checks names and values).
	Hyperparameters map[string]string
	// Tags are applied to every taggable resource besides "environment".
	Tags map[string]string
	// Security is the secure profile: private network, network isolation
	// and locked-down buckets.
	Security Security
}

// Security is an environment's secure profile. With it on, the jobs run in
// private subnets without a route to the internet, reaching AWS through VPC
// endpoints, with network isolation and KMS-encrypted volumes; uploads to
// the buckets must use the pipeline's key, and only the pipeline's roles
// and AdminRole may read or write their objects.
type Security struct {
	// Enabled turns the profile on.
	Enabled bool
	// AdminRole is the role, besides the pipeline's own, that may read and
	// write the buckets' objects: a role name in the stack's account or a
	// role ARN.
	AdminRole string
	// Vpc is an existing VPC to run the jobs in; nil defines a new one.
	Vpc *ExistingVpc
}

// ExistingVpc is a VPC brought by the environment rather than defined by
// the stack. It is described, not looked up, so synth needs no AWS access.
type ExistingVpc struct {
	// ID is the VPC's ID, such as vpc-0123456789abcdef0.
	ID string
	// CidrBlock is the VPC's primary CIDR block, which the endpoints'
	// security group rules refer to.
	CidrBlock string
	// AvailabilityZones are the zones of SubnetIDs, one per subnet.
	AvailabilityZones []string
	// SubnetIDs are private subnets without a route to the internet, where
	// the jobs run.
	SubnetIDs []string
	// RouteTableIDs are the route tables of SubnetIDs, one per subnet, to
	// which the S3 gateway endpoint adds its route. Needed only with
	// CreateEndpoints.
	RouteTableIDs []string
	// CreateEndpoints defines the VPC endpoints the jobs need; turn it off
	// when the VPC already has them with private DNS.
	CreateEndpoints bool
}

// ConfigError is a problem with one field of one environment. Its message
// names the environment, the field, the bad value and what would be valid.
type ConfigError struct {
	// Env is the environment's name.
	Env string
	// Field is the dotted path of the field, such as jobs.train.instanceCount.
	Field string
	// Value is the bad value as written, or empty when the field is missing.
	Value string
	// Valid says what would be accepted.
	Valid string
}

// Error returns the problem as one line.
func (e *ConfigError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("environment %q: %s is missing; valid: %s", e.Env, e.Field, e.Valid)
	}
	return fmt.Sprintf("environment %q: %s = %s is invalid; valid: %s", e.Env, e.Field, e.Value, e.Valid)
}

// Limits and defaults of the job resources. The ranges are the ones the
// SageMaker CreateProcessingJob and CreateTrainingJob APIs share.
const (
	minInstanceCount  = 1
	maxInstanceCount  = 100
	minVolumeSizeGB   = 1
	maxVolumeSizeGB   = 16384
	minRuntimeMinutes = 1
	// 5 days: below both the processing (5 days) and training (28 days) caps.
	maxRuntimeMinutes = 5 * 24 * 60

	defaultInstanceCount  = 1
	defaultVolumeSizeGB   = 30
	defaultRuntimeMinutes = 60
	defaultRetentionDays  = 30
)

// logRetentionDays are the values CloudWatch Logs accepts for retention.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

type gateMetric struct {
	higherIsBetter bool
	binary         bool // a binary_classification_metrics key
	min, max       float64
}

// gateMetrics are the metrics evaluation.json reports, by their key there
// (regression_metrics.<key> or binary_classification_metrics.<key>), with
// their ranges.
var gateMetrics = map[string]gateMetric{
	"mse":       {min: 0, max: math.Inf(1)},
	"rmse":      {min: 0, max: math.Inf(1)},
	"mae":       {min: 0, max: math.Inf(1)},
	"r2":        {higherIsBetter: true, min: math.Inf(-1), max: 1},
	"log_loss":  {binary: true, min: 0, max: math.Inf(1)},
	"auc":       {higherIsBetter: true, binary: true, min: 0, max: 1},
	"accuracy":  {higherIsBetter: true, binary: true, min: 0, max: 1},
	"f1":        {higherIsBetter: true, binary: true, min: 0, max: 1},
	"precision": {higherIsBetter: true, binary: true, min: 0, max: 1},
	"recall":    {higherIsBetter: true, binary: true, min: 0, max: 1},
}

// GateMetricsFor returns, sorted, the quality-gate metrics evaluation.json
// reports for a data schema's task ("regression" or
// "binary_classification"): evaluate writes the metrics of the task the
// model was trained for only. It returns nil for any other task.
func GateMetricsFor(task string) []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(gateMetrics)) {
		if m := gateMetrics[name]; (task == "binary_classification" && m.binary) || (task == "regression" && !m.binary) {
			names = append(names, name)
		}
	}
	return names
}

var (
	// 15 characters at most: every name derived from it must fit, and the
	// longest is the job name prefix mlp-<env>-preprocess, which
	// sagemakerjob caps at 30 characters.
	envNameRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,14}$`)
	accountRE      = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	instanceTypeRE = regexp.MustCompile(`^ml\.[a-z][a-z0-9-]*\.(medium|large|[0-9]*xlarge|metal)$`)
	emailRE        = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	roleNameRE     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	roleArnRE      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	vpcIDRE        = regexp.MustCompile(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
	subnetIDRE     = regexp.MustCompile(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	routeTableIDRE = regexp.MustCompile(`^rtb-[0-9a-f]{8}([0-9a-f]{9})?$`)
	cidrRE         = regexp.MustCompile(`^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$`)
	zoneRE         = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9][a-z]$`)
)

// The raw shapes mirror cdk.json; pointers tell a missing field from a zero.
type rawEnvironment struct {
	Account           string            `json:"account"`
	Region            string            `json:"region"`
	RemovalPolicy     string            `json:"removalPolicy"`
	Jobs              rawJobs           `json:"jobs"`
	Schedules         rawSchedules      `json:"schedules"`
	QualityGate       rawQualityGate    `json:"qualityGate"`
	NotificationEmail string            `json:"notificationEmail"`
	LogRetentionDays  *int              `json:"logRetentionDays"`
	ManualApproval    *bool             `json:"manualApproval"`
	Attributions      *bool             `json:"inferenceAttributions"`
	Hyperparameters   map[string]string `json:"hyperparameters"`
	Tags              map[string]string `json:"tags"`
	Security          rawSecurity       `json:"security"`
}

type rawSecurity struct {
	Enabled   *bool   `json:"enabled"`
	AdminRole string  `json:"adminRole"`
	Vpc       *rawVpc `json:"vpc"`
}

type rawVpc struct {
	ID                string   `json:"id"`
	CidrBlock         string   `json:"cidrBlock"`
	AvailabilityZones []string `json:"availabilityZones"`
	SubnetIDs         []string `json:"subnetIds"`
	RouteTableIDs     []string `json:"routeTableIds"`
	CreateEndpoints   *bool    `json:"createEndpoints"`
}

type rawJobs struct {
	Preprocess *rawJob `json:"preprocess"`
	Train      *rawJob `json:"train"`
	Evaluate   *rawJob `json:"evaluate"`
	Infer      *rawJob `json:"infer"`
}

type rawJob struct {
	InstanceType      string `json:"instanceType"`
	InstanceCount     *int   `json:"instanceCount"`
	VolumeSizeGB      *int   `json:"volumeSizeGb"`
	MaxRuntimeMinutes *int   `json:"maxRuntimeMinutes"`
}

type rawSchedules struct {
	Inference  string `json:"inference"`
	Retraining string `json:"retraining"`
}

type rawQualityGate struct {
	Metric    string   `json:"metric"`
	Threshold *float64 `json:"threshold"`
}

// LoadEnvironments parses the value of the "environments" context key and
// returns the environments that selector picks: the one it names, or all of
// them in name order when it is empty. Only the returned environments are
// validated, so a half-written environment does not block the others.
// Every problem found is reported, one per line.
func LoadEnvironments(environments any, selector string) ([]Environment, error) {
	if environments == nil {
		return nil, fmt.Errorf("context key %q is missing: cdk.json must define the environments", EnvironmentsContextKey)
	}
	data, err := json.Marshal(environments)
	if err != nil {
		return nil, fmt.Errorf("context key %q: %w", EnvironmentsContextKey, err)
	}
	var byName map[string]json.RawMessage
	if err := json.Unmarshal(data, &byName); err != nil || byName == nil {
		return nil, fmt.Errorf("context key %q must be an object keyed by environment name, got %s", EnvironmentsContextKey, data)
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("context key %q is empty: cdk.json must define at least one environment", EnvironmentsContextKey)
	}
	if selector != "" {
		if _, ok := byName[selector]; !ok {
			return nil, fmt.Errorf("unknown environment %q; valid: %s", selector, strings.Join(names, ", "))
		}
		names = []string{selector}
	}
	var envs []Environment
	var errs []error
	for _, name := range names {
		env, err := parseEnvironment(name, byName[name])
		errs = append(errs, err)
		envs = append(envs, env)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return envs, nil
}

// parseEnvironment decodes and validates one environment.
func parseEnvironment(name string, data json.RawMessage) (Environment, error) {
	if !envNameRE.MatchString(name) {
		return Environment{}, &ConfigError{Env: name, Field: "name", Value: strconv.Quote(name),
			Valid: "1 to 15 lowercase letters, digits or hyphens, starting with a letter"}
	}
	if kind := jsonKind(data); kind != "an object" {
		return Environment{}, fmt.Errorf("environment %q: want an object, got %s", name, kind)
	}
	if unknown := unknownFields(data, reflect.TypeFor[rawEnvironment](), ""); len(unknown) > 0 {
		return Environment{}, &ConfigError{Env: name, Field: unknown[0], Value: "(unknown field)",
			Valid: "one of the fields documented in README.md"}
	}
	var raw rawEnvironment
	if err := json.Unmarshal(data, &raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) || typeErr.Field == "" {
			return Environment{}, fmt.Errorf("environment %q: %w", name, err)
		}
		// The decoder names the field by its path of object keys, without
		// map keys or array indexes: show that field's whole value and
		// what its type accepts, in JSON's terms.
		value, typ := fieldAt(data, reflect.TypeFor[rawEnvironment](), strings.Split(typeErr.Field, "."))
		return Environment{}, &ConfigError{Env: name, Field: typeErr.Field, Value: value, Valid: wants(typ)}
	}
	return raw.validate(name)
}

// validate converts raw into an Environment, applying defaults, and returns
// every problem it finds.
func (raw rawEnvironment) validate(name string) (Environment, error) {
	var errs []error
	bad := func(field, value, valid string) {
		errs = append(errs, &ConfigError{Env: name, Field: field, Value: value, Valid: valid})
	}
	env := Environment{
		Name:              name,
		Account:           raw.Account,
		Region:            raw.Region,
		RemovalPolicy:     RemovalPolicy(raw.RemovalPolicy),
		Jobs:              map[JobKind]JobResources{},
		Schedules:         Schedules(raw.Schedules),
		NotificationEmail: raw.NotificationEmail,
		LogRetentionDays:  valueOr(raw.LogRetentionDays, defaultRetentionDays),
		// Production models wait for a person unless configured otherwise.
		ManualApproval:        valueOr(raw.ManualApproval, name == "prod"),
		InferenceAttributions: valueOr(raw.Attributions, false),
		Hyperparameters:       raw.Hyperparameters,
		Tags:                  raw.Tags,
	}
	if env.Account != "" && !accountRE.MatchString(env.Account) {
		bad("account", strconv.Quote(env.Account), "a 12-digit AWS account ID, or omit it for an environment-agnostic stack")
	}
	if env.Region != "" && !regionRE.MatchString(env.Region) {
		bad("region", strconv.Quote(env.Region), "an AWS region such as eu-west-1, or omit it for an environment-agnostic stack")
	}
	if env.RemovalPolicy != Retain && env.RemovalPolicy != Destroy {
		bad("removalPolicy", quoteOrEmpty(raw.RemovalPolicy), `"retain" or "destroy"`)
	}

	jobs := map[JobKind]*rawJob{Preprocess: raw.Jobs.Preprocess, Train: raw.Jobs.Train, Evaluate: raw.Jobs.Evaluate, Infer: raw.Jobs.Infer}
	for _, kind := range JobKinds() {
		job := jobs[kind]
		field := "jobs." + string(kind)
		if job == nil {
			bad(field, "", "an object with at least instanceType")
			continue
		}
		res := JobResources{
			InstanceType:  job.InstanceType,
			InstanceCount: valueOr(job.InstanceCount, defaultInstanceCount),
			VolumeSizeGB:  valueOr(job.VolumeSizeGB, defaultVolumeSizeGB),
			MaxRuntime:    time.Duration(valueOr(job.MaxRuntimeMinutes, defaultRuntimeMinutes)) * time.Minute,
		}
		if !instanceTypeRE.MatchString(res.InstanceType) {
			bad(field+".instanceType", quoteOrEmpty(res.InstanceType), "a SageMaker ML instance type such as ml.m5.xlarge")
		}
		if res.InstanceCount < minInstanceCount || res.InstanceCount > maxInstanceCount {
			bad(field+".instanceCount", strconv.Itoa(res.InstanceCount), fmt.Sprintf("an integer from %d to %d", minInstanceCount, maxInstanceCount))
		}
		if res.VolumeSizeGB < minVolumeSizeGB || res.VolumeSizeGB > maxVolumeSizeGB {
			bad(field+".volumeSizeGb", strconv.Itoa(res.VolumeSizeGB), fmt.Sprintf("an integer from %d to %d", minVolumeSizeGB, maxVolumeSizeGB))
		}
		if minutes := int(res.MaxRuntime / time.Minute); minutes < minRuntimeMinutes || minutes > maxRuntimeMinutes {
			bad(field+".maxRuntimeMinutes", strconv.Itoa(minutes), fmt.Sprintf("an integer from %d to %d", minRuntimeMinutes, maxRuntimeMinutes))
		}
		env.Jobs[kind] = res
	}

	for _, s := range []struct{ field, expr string }{
		{"schedules.inference", env.Schedules.Inference},
		{"schedules.retraining", env.Schedules.Retraining},
	} {
		if s.expr == "" {
			continue
		}
		if err := schedule.Validate(s.expr); err != nil {
			bad(s.field, fmt.Sprintf("%q (%v)", s.expr, err), `an EventBridge schedule expression such as "rate(1 day)" or "cron(0 6 * * ? *)" (see README.md), or "" for off`)
		}
	}

	metric, known := gateMetrics[raw.QualityGate.Metric]
	if !known {
		bad("qualityGate.metric", quoteOrEmpty(raw.QualityGate.Metric), "one of "+strings.Join(slices.Sorted(maps.Keys(gateMetrics)), ", "))
	}
	switch t := raw.QualityGate.Threshold; {
	case t == nil:
		bad("qualityGate.threshold", "", "a number")
	case known && (math.IsNaN(*t) || *t < metric.min || *t > metric.max):
		bad("qualityGate.threshold", strconv.FormatFloat(*t, 'g', -1, 64), fmt.Sprintf("a number from %g to %g for %s", metric.min, metric.max, raw.QualityGate.Metric))
	default:
		env.QualityGate = QualityGate{Metric: raw.QualityGate.Metric, Threshold: *t}
	}

	if env.NotificationEmail != "" && !emailRE.MatchString(env.NotificationEmail) {
		bad("notificationEmail", strconv.Quote(env.NotificationEmail), "an e-mail address, or omit it for no subscription")
	}
	if !slices.Contains(logRetentionDays, env.LogRetentionDays) {
		bad("logRetentionDays", strconv.Itoa(env.LogRetentionDays), "one of the CloudWatch Logs retention values "+joinInts(logRetentionDays))
	}
	for _, key := range slices.Sorted(maps.Keys(env.Hyperparameters)) {
		if key == "" || env.Hyperparameters[key] == "" {
			bad("hyperparameters", strconv.Quote(key+"="+env.Hyperparameters[key]), "names and values that are not empty, such as \"max_depth\": \"5\"")
		}
	}
	for _, key := range slices.Sorted(maps.Keys(env.Tags)) {
		value := env.Tags[key]
		switch {
		case key == "" || len(key) > 128 || strings.HasPrefix(key, "aws:"):
			bad("tags", strconv.Quote(key), "tag keys of 1 to 128 characters not starting with aws:")
		case key == "environment":
			bad("tags.environment", strconv.Quote(value), "no value: the environment tag is set to the environment's name")
		case len(value) > 256:
			bad("tags."+key, strconv.Quote(value), "a tag value of at most 256 characters")
		}
	}
	validateTrainJob(env, bad)
	env.Security = raw.Security.validate(name, bad)
	return env, errors.Join(errs...)
}

// validateTrainJob checks the train job's configuration with the train
// job's own rules (jobs/trainconfig), so that what the job would reject
// stops synth instead of failing the Train step after Preprocess has run:
// its instance count, and every hyperparameter's name and value.
// Problems the checks above report (counts out of range, empty names or
// values) are not reported twice.
func validateTrainJob(env Environment, bad func(field, value, valid string)) {
	if n := env.Jobs[Train].InstanceCount; n > trainconfig.MaxInstanceCount && n <= maxInstanceCount {
		bad("jobs.train.instanceCount", strconv.Itoa(n), fmt.Sprintf("%d: the train job trains on one instance", trainconfig.MaxInstanceCount))
	}
	hp := map[string]string{}
	for k, v := range env.Hyperparameters {
		if k != "" && v != "" {
			hp[k] = v
		}
	}
	for _, p := range trainconfig.Check(hp) {
		switch {
		case p.Key == "":
			bad("hyperparameters", "(as a whole)", p.Valid)
		case p.Unknown:
			bad("hyperparameters."+p.Key, strconv.Quote(p.Value), "a hyperparameter the train job knows, "+p.Valid)
		default:
			bad("hyperparameters."+p.Key, strconv.Quote(p.Value), p.Valid)
		}
	}
}

// securedByDefault are the environments whose secure profile is on unless
// configured otherwise.
var securedByDefault = []string{"staging", "prod"}

// validate converts the secure profile of environment name, reporting
// problems through bad.
func (raw rawSecurity) validate(name string, bad func(field, value, valid string)) Security {
	sec := Security{Enabled: valueOr(raw.Enabled, slices.Contains(securedByDefault, name)), AdminRole: raw.AdminRole}
	switch {
	case !sec.Enabled:
		// Settings of a profile that is off are checked below but unused.
	case sec.AdminRole == "":
		bad("security.adminRole", "", "the name or ARN of the role that administers the data, besides the pipeline's roles (required with security on)")
	case strings.HasPrefix(sec.AdminRole, "arn:") && !roleArnRE.MatchString(sec.AdminRole),
		!strings.HasPrefix(sec.AdminRole, "arn:") && !roleNameRE.MatchString(sec.AdminRole):
		bad("security.adminRole", strconv.Quote(sec.AdminRole), "an IAM role name such as MlPipelineAdmin, or a role ARN such as arn:aws:iam::123456789012:role/MlPipelineAdmin")
	}
	if raw.Vpc == nil {
		return sec
	}
	v := &ExistingVpc{ID: raw.Vpc.ID, CidrBlock: raw.Vpc.CidrBlock, AvailabilityZones: raw.Vpc.AvailabilityZones,
		SubnetIDs: raw.Vpc.SubnetIDs, RouteTableIDs: raw.Vpc.RouteTableIDs, CreateEndpoints: valueOr(raw.Vpc.CreateEndpoints, true)}
	if !vpcIDRE.MatchString(v.ID) {
		bad("security.vpc.id", quoteOrEmpty(v.ID), "a VPC ID such as vpc-0123456789abcdef0, or leave out vpc for a new VPC")
	}
	if !cidrRE.MatchString(v.CidrBlock) {
		bad("security.vpc.cidrBlock", quoteOrEmpty(v.CidrBlock), "the VPC's IPv4 CIDR block such as 10.0.0.0/16")
	}
	if len(v.SubnetIDs) == 0 || len(v.SubnetIDs) > 16 {
		bad("security.vpc.subnetIds", fmt.Sprintf("%q", v.SubnetIDs), "1 to 16 private subnet IDs such as subnet-0123456789abcdef0")
	}
	for _, id := range v.SubnetIDs {
		if !subnetIDRE.MatchString(id) {
			bad("security.vpc.subnetIds", strconv.Quote(id), "subnet IDs such as subnet-0123456789abcdef0")
		}
	}
	if len(v.AvailabilityZones) != len(v.SubnetIDs) {
		bad("security.vpc.availabilityZones", fmt.Sprintf("%q", v.AvailabilityZones), fmt.Sprintf("one zone per subnet ID (%d), such as eu-west-1a", len(v.SubnetIDs)))
	}
	if v.CreateEndpoints && len(v.RouteTableIDs) != len(v.SubnetIDs) {
		bad("security.vpc.routeTableIds", fmt.Sprintf("%q", v.RouteTableIDs), fmt.Sprintf("the route table of each subnet ID (%d), such as rtb-0123456789abcdef0, for the S3 gateway endpoint; or createEndpoints false", len(v.SubnetIDs)))
	}
	for _, id := range v.RouteTableIDs {
		if !routeTableIDRE.MatchString(id) {
			bad("security.vpc.routeTableIds", strconv.Quote(id), "route table IDs such as rtb-0123456789abcdef0")
		}
	}
	for _, z := range v.AvailabilityZones {
		if !zoneRE.MatchString(z) {
			bad("security.vpc.availabilityZones", strconv.Quote(z), "availability zone names such as eu-west-1a")
		}
	}
	sec.Vpc = v
	return sec
}

// unknownFields returns the dotted paths of object keys in data that typ
// (a struct with json tags, possibly nested) does not declare, in order.
func unknownFields(data json.RawMessage, typ reflect.Type, prefix string) []string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil // not an object: the decoder reports the type error
	}
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		fields[strings.Split(f.Tag.Get("json"), ",")[0]] = f.Type
	}
	var unknown []string
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		ft, ok := fields[key]
		if !ok {
			unknown = append(unknown, prefix+key)
			continue
		}
		unknown = append(unknown, unknownFields(obj[key], ft, prefix+key+".")...)
	}
	return unknown
}

// valueOr returns *p, or def when the field was left out.
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func quoteOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

// jsonKind names the kind of a JSON value with its article, such as "an
// array".
func jsonKind(data json.RawMessage) string {
	switch b := bytes.TrimSpace(data); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "an object"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case b[0] == 't' || b[0] == 'f':
		return "a boolean"
	case b[0] == 'n':
		return "null"
	default:
		return "a number"
	}
}

// fieldAt returns the compact JSON text of the value at path in data,
// shortened when long, and the Go type that typ (a struct with json tags)
// declares for it.
func fieldAt(data json.RawMessage, typ reflect.Type, path []string) (string, reflect.Type) {
	for _, key := range path {
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			break
		}
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		f, ok := fieldByTag(typ, key)
		if !ok {
			break
		}
		data, typ = obj[key], f.Type
	}
	var buf bytes.Buffer
	if json.Compact(&buf, data) != nil {
		buf.Reset()
		buf.Write(data)
	}
	const max = 60
	text := buf.String()
	if len(text) > max {
		text = text[:max] + "…"
	}
	return text, typ
}

func fieldByTag(typ reflect.Type, key string) (reflect.StructField, bool) {
	if typ.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := range typ.NumField() {
		if f := typ.Field(i); strings.Split(f.Tag.Get("json"), ",")[0] == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// wants says in JSON's terms what a field of Go type t accepts.
func wants(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array of " + plural(t.Elem())
	case reflect.Map:
		return "an object whose values are " + plural(t.Elem())
	default:
		return "an object"
	}
}

func plural(t reflect.Type) string {
	switch w := wants(t); w {
	case "true or false":
		return "true or false"
	default:
		_, noun, _ := strings.Cut(w, " ")
		return noun + "s"
	}
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
