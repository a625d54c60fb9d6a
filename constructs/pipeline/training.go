package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/sagemakerjob"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// Container paths of the processing jobs; the job binaries default to them.
const (
	processingInput  = "/opt/ml/processing/input"
	processingOutput = "/opt/ml/processing/output"
)

// TrainingPipelineProps configures TrainingPipeline.
type TrainingPipelineProps struct {
	ObservabilityProps
	// Name prefixes the state machine, job and model package group names,
	// e.g. mlp-dev. Required: 1 to 20 lowercase letters, digits or hyphens.
	Name string
	// Storage holds the raw data (raw/data/, with the schema in
	// raw/schema/schema.json), and receives the splits, models and reports.
	// Required.
	Storage storage.Storage
	// Image holds the job binaries. Required.
	Image images.JobImage
	// JobRole is the SageMaker execution role of the jobs. Required.
	JobRole awsiam.IRole
	// Preprocess, Train and Evaluate are the compute of each job.
	// Default: see JobResources.
	Preprocess, Train, Evaluate JobResources
	// Hyperparameters are passed to the training job, XGBoost's names.
	// Default: none (the trainer's defaults).
	Hyperparameters map[string]string
	// TrainingImageUri replaces the training step's image, for example with
	// SageMaker's built-in XGBoost algorithm, which trains on the same
	// header-less, target-first CSV splits. Default: Image.
	TrainingImageUri *string
	// TrainingEntrypoint is the training container's entrypoint.
	// Default: Image's train binary, or the image's own entrypoint when
	// TrainingImageUri is set.
	TrainingEntrypoint []string
	// GateMetric is the key of evaluation.json the quality gate checks,
	// such as regression_metrics.mse or binary_classification_metrics.auc.
	// Required.
	GateMetric string
	// GateThreshold is the worst value of GateMetric that passes, unless an
	// execution's input sets "threshold". Required.
	GateThreshold float64
	// GateHigherIsBetter makes the gate pass values at or above the
	// threshold; otherwise values at or below it pass. Default: false.
	GateHigherIsBetter bool
	// ManualApproval registers model versions as PendingManualApproval
	// instead of Approved, so that a person approves them for inference.
	// Default: false.
	ManualApproval bool
	// Security hardens the three jobs. Default: see JobSecurity.
	Security JobSecurity
}

// validate reports the first prop that NewTrainingPipeline cannot honour.
func (p *TrainingPipelineProps) validate() error {
	if err := validateName("name", p.Name); err != nil {
		return err
	}
	switch {
	case p.Storage == nil || p.Image == nil || p.JobRole == nil:
		return fmt.Errorf("pipeline: storage, image and job role are required")
	case !strings.HasPrefix(p.GateMetric, "regression_metrics.") && !strings.HasPrefix(p.GateMetric, "binary_classification_metrics."):
		return fmt.Errorf("pipeline: gate metric %q is invalid; valid: a key of evaluation.json such as regression_metrics.mse or binary_classification_metrics.auc", p.GateMetric)
	case math.IsNaN(p.GateThreshold) || math.IsInf(p.GateThreshold, 0):
		return fmt.Errorf("pipeline: gate threshold %g is invalid; valid: a finite number", p.GateThreshold)
	}
	return p.Security.validate()
}

// TrainingPipeline is the training state machine: Preprocess, Train,
// Evaluate, read evaluation.json, the quality gate, register the model
// version, notify.
type TrainingPipeline interface {
	constructs.Construct
	// StateMachine returns the state machine.
	StateMachine() sfn.StateMachine
	// ModelPackageGroupName returns the name of the model registry group
	// the pipeline registers versions in.
	ModelPackageGroupName() *string
	// Topic returns the notification topic.
	Topic() awssns.ITopic
}

type trainingPipeline struct {
	constructs.Construct
	sm    sfn.StateMachine
	group *string
	topic awssns.ITopic
}

func (t *trainingPipeline) StateMachine() sfn.StateMachine { return t.sm }
func (t *trainingPipeline) ModelPackageGroupName() *string { return t.group }
func (t *trainingPipeline) Topic() awssns.ITopic           { return t.topic }

// NewTrainingPipeline defines the training state machine, its role, its
// model package group and its observability.
func NewTrainingPipeline(scope constructs.Construct, id string, props *TrainingPipelineProps) TrainingPipeline {
	if err := props.validate(); err != nil {
		panic(err)
	}
	this := constructs.NewConstruct(scope, &id)
	name := props.Name + "-training"
	obs := newObservability(this, &props.ObservabilityProps, name)
	role := newStateMachineRole(this, "Runs the "+props.Name+" training state machine.")
	groupName := jsii.String(props.Name + "-models")
	group := awssagemaker.NewCfnModelPackageGroup(this, jsii.String("ModelPackageGroup"), &awssagemaker.CfnModelPackageGroupProps{
		ModelPackageGroupName:        groupName,
		ModelPackageGroupDescription: jsii.String("Model versions trained by the " + props.Name + " training pipeline."),
	})

	data := props.Storage.DataBucket().BucketName()
	artifacts := props.Storage.ArtifactBucket().BucketName()
	dataURI := func(key string) string { return fmt.Sprintf("s3://%s/%s", *data, key) }
	artifactURI := func(key string) string { return fmt.Sprintf("s3://%s/%s", *artifacts, key) }
	// perRun is an intrinsic giving a per-execution S3 URI.
	perRun := func(base, rest string) string {
		return fmt.Sprintf("States.Format('%s{}/%s', $$.Execution.Name)", base, rest)
	}
	defaults := sfn.NewPass(this, jsii.String("Defaults"), &sfn.PassProps{
		Comment:    jsii.String("The environment's defaults; the execution input may override them."),
		Result:     sfn.Result_FromObject(&map[string]any{"threshold": props.GateThreshold}),
		ResultPath: jsii.String("$.defaults"),
	})
	// copyOf is an intrinsic giving a new copy of the JSON at path. It is
	// JsonMerge's first argument below: AWS merges into a new object, but
	// aws-local-stepfunctions, which the cross-check runs, merges into the
	// first argument in place, which would change the execution input or
	// the defaults for the expressions after it.
	copyOf := func(path string) string { return "States.StringToJson(States.JsonToString(" + path + "))" }
	configure := sfn.NewPass(this, jsii.String("Configure"), &sfn.PassProps{
		Comment: jsii.String("Merges the execution input over the defaults and names this run's S3 locations."),
		Parameters: &map[string]any{
			"config.$": "States.JsonMerge(" + copyOf("$.defaults") + ", $$.Execution.Input, false)",
			"run.$":    "$$.Execution.Name",
			"uris": map[string]any{
				"raw":            dataURI(storage.PrefixRaw + "data/"),
				"schema":         dataURI(storage.PrefixRaw + "schema/"),
				"train.$":        perRun(dataURI(storage.PrefixCurated), "train/"),
				"validation.$":   perRun(dataURI(storage.PrefixCurated), "validation/"),
				"test.$":         perRun(dataURI(storage.PrefixCurated), "test/"),
				"preprocessor.$": perRun(dataURI(storage.PrefixCurated), "preprocessor/"),
				"profile.$":      perRun(dataURI(storage.PrefixCurated), "profile/"),
				"models.$":       perRun(artifactURI(storage.PrefixModels), ""),
				"evaluation.$":   perRun(artifactURI(storage.PrefixEvaluation), ""),
			},
			"evaluationKey.$": fmt.Sprintf("States.Format('%s{}/evaluation.json', $$.Execution.Name)", storage.PrefixEvaluation),
			// ValidateInput compares the two: merging the defaults over
			// the input leaves exactly the defaults unless the input has a
			// field they lack. Both strings come from the same engine, so
			// the comparison does not depend on how it writes JSON; with
			// one default field, not on key order either.
			"inputFields": map[string]any{
				"given.$": "States.JsonToString(States.JsonMerge(" + copyOf("$$.Execution.Input") + ", $.defaults, false))",
				"known.$": "States.JsonToString($.defaults)",
			},
		},
	})

	prefix := props.Name
	keys := func(p *sagemakerjob.ProcessingJobProps) *sagemakerjob.ProcessingJobProps {
		p.StateMachineRole, p.Role, p.OutputKmsKey = role, props.JobRole, props.Storage.Key()
		return props.Security.processing(p)
	}
	preprocess := sagemakerjob.NewProcessingJob(this, "Preprocess", keys(&sagemakerjob.ProcessingJobProps{
		JobNamePrefix: prefix + "-preprocess",
		ImageUri:      props.Image.ImageUri(),
		Entrypoint:    props.Image.Entrypoint("preprocess"),
		Inputs: []sagemakerjob.Input{
			{Name: "data", S3UriPath: "$.uris.raw", LocalPath: processingInput + "/data"},
			{Name: "schema", S3UriPath: "$.uris.schema", LocalPath: processingInput + "/schema"},
		},
		Outputs:      outputs(processingOutput, "train", "validation", "test", "preprocessor", "profile"),
		InstanceType: props.Preprocess.InstanceType, InstanceCount: props.Preprocess.InstanceCount,
		VolumeSizeGB: props.Preprocess.VolumeSizeGB, MaxRuntime: props.Preprocess.MaxRuntime,
	}))

	trainImage, trainEntrypoint := props.Image.ImageUri(), props.Image.Entrypoint("train")
	if props.TrainingImageUri != nil {
		trainImage, trainEntrypoint = props.TrainingImageUri, props.TrainingEntrypoint
	} else if props.TrainingEntrypoint != nil {
		trainEntrypoint = props.TrainingEntrypoint
	}
	train := sagemakerjob.NewTrainingJob(this, "Train", props.Security.training(&sagemakerjob.TrainingJobProps{
		JobNamePrefix:    prefix + "-train",
		StateMachineRole: role,
		Role:             props.JobRole,
		ImageUri:         trainImage,
		Entrypoint:       trainEntrypoint,
		Hyperparameters:  props.Hyperparameters,
		Inputs: []sagemakerjob.Input{
			{Name: "train", S3UriPath: "$.uris.train", ContentType: "text/csv"},
			{Name: "validation", S3UriPath: "$.uris.validation", ContentType: "text/csv"},
			{Name: "preprocessor", S3UriPath: "$.uris.preprocessor"},
		},
		Output:       sagemakerjob.Output{Name: "model", S3UriPath: "$.uris.models"},
		OutputKmsKey: props.Storage.Key(),
		MetricDefinitions: []sagemakerjob.MetricDefinition{
			{Name: "train:rmse", Regex: `train-rmse:([0-9.eE+-]+)`},
			{Name: "validation:rmse", Regex: `validation-rmse:([0-9.eE+-]+)`},
			{Name: "train:logloss", Regex: `train-logloss:([0-9.eE+-]+)`},
			{Name: "validation:logloss", Regex: `validation-logloss:([0-9.eE+-]+)`},
		},
		InstanceType: props.Train.InstanceType, InstanceCount: props.Train.InstanceCount,
		VolumeSizeGB: props.Train.VolumeSizeGB, MaxRuntime: props.Train.MaxRuntime,
	}))

	evaluate := sagemakerjob.NewProcessingJob(this, "Evaluate", keys(&sagemakerjob.ProcessingJobProps{
		JobNamePrefix: prefix + "-evaluate",
		ImageUri:      props.Image.ImageUri(),
		Entrypoint:    props.Image.Entrypoint("evaluate"),
		Inputs: []sagemakerjob.Input{
			{Name: "model", S3UriPath: "$.jobs.Train.ModelArtifacts", LocalPath: "/opt/ml/processing/model"},
			{Name: "test", S3UriPath: "$.uris.test", LocalPath: "/opt/ml/processing/test"},
		},
		Outputs:      []sagemakerjob.Output{{Name: "evaluation", S3UriPath: "$.uris.evaluation", LocalPath: "/opt/ml/processing/evaluation"}},
		InstanceType: props.Evaluate.InstanceType, InstanceCount: props.Evaluate.InstanceCount,
		VolumeSizeGB: props.Evaluate.VolumeSizeGB, MaxRuntime: props.Evaluate.MaxRuntime,
	}))

	// Step Functions reads the report with the artifact bucket's key.
	props.Storage.GrantReadArtifacts(role, storage.PrefixEvaluation)
	readEvaluation := awsstepfunctionstasks.NewCallAwsService(this, jsii.String("ReadEvaluation"), &awsstepfunctionstasks.CallAwsServiceProps{
		Comment:   jsii.String("Reads evaluation.json into the execution state."),
		Service:   jsii.String("s3"),
		Action:    jsii.String("getObject"),
		IamAction: jsii.String("s3:GetObject"),
		Parameters: &map[string]any{
			"Bucket": artifacts,
			"Key.$":  "$.evaluationKey",
		},
		IamResources:   jsii.Strings(*props.Storage.ArtifactBucket().ArnForObjects(jsii.String(storage.PrefixEvaluation + "*"))),
		ResultSelector: &map[string]any{"metrics.$": "States.StringToJson($.Body)"},
		ResultPath:     jsii.String("$.evaluation"),
		TaskTimeout:    taskTimeout(),
	})
	readEvaluation.AddRetry(apiRetry(s3APIErrors...))

	approval := "Approved"
	if props.ManualApproval {
		approval = "PendingManualApproval"
	}
	packageArn := modelPackageArns(this, groupName)
	register := awsstepfunctionstasks.NewCallAwsService(this, jsii.String("RegisterModel"), &awsstepfunctionstasks.CallAwsServiceProps{
		Comment:   jsii.String("Registers the model as a new version in the model package group."),
		Service:   jsii.String("sagemaker"),
		Action:    jsii.String("createModelPackage"),
		IamAction: jsii.String("sagemaker:CreateModelPackage"),
		Parameters: &map[string]any{
			"ModelPackageGroupName":     groupName,
			"ModelApprovalStatus":       approval,
			"ModelPackageDescription.$": "States.Format('Trained by execution {}', $$.Execution.Name)",
			"InferenceSpecification": map[string]any{
				"Containers": []any{map[string]any{
					"Image":          props.Image.ImageUri(),
					"ModelDataUrl.$": "$.jobs.Train.ModelArtifacts",
				}},
				"SupportedContentTypes":      []string{"text/csv"},
				"SupportedResponseMIMETypes": []string{"text/csv"},
			},
			"ModelMetrics": map[string]any{"ModelQuality": map[string]any{"Statistics": map[string]any{
				"ContentType": "application/json",
				"S3Uri.$":     fmt.Sprintf("States.Format('s3://%s/%s{}/evaluation.json', $$.Execution.Name)", *artifacts, storage.PrefixEvaluation),
			}}},
		},
		// The version it creates is a model-package resource; the
		// reference lists no other resource type for CreateModelPackage,
		// so a grant on the group ARN would authorize nothing. Service
		// Authorization Reference, "Actions, resources, and condition keys
		// for Amazon SageMaker AI":
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
		IamResources:   jsii.Strings(*packageArn),
		ResultSelector: &map[string]any{"ModelPackageArn.$": "$.ModelPackageArn"},
		ResultPath:     jsii.String("$.registered"),
		TaskTimeout:    taskTimeout(),
	})
	register.Node().AddDependency(group)
	register.AddRetry(apiRetry(sageMakerAPIErrors...))

	metricPath := "$.evaluation.metrics." + props.GateMetric + ".value"
	pass := sfn.Condition_NumberLessThanEqualsJsonPath(jsii.String(metricPath), jsii.String("$.config.threshold"))
	comparison := "above"
	if props.GateHigherIsBetter {
		pass = sfn.Condition_NumberGreaterThanEqualsJsonPath(jsii.String(metricPath), jsii.String("$.config.threshold"))
		comparison = "below"
	}
	metricName := props.GateMetric[strings.LastIndex(props.GateMetric, ".")+1:]
	rejected := sfn.NewFail(this, jsii.String("ModelRejected"), &sfn.FailProps{
		Error:     jsii.String("ModelRejected"),
		CausePath: jsii.String(fmt.Sprintf("States.Format('%s = {} is %s the threshold {}', %s, $.config.threshold)", metricName, comparison, metricPath)),
	})
	notifyRejected := obs.notify(this, "NotifyRejected", "ML pipeline: model rejected ("+props.Name+")",
		fmt.Sprintf("States.Format('Execution {}: the model was rejected: %s = {} is %s the threshold {}.', $$.Execution.Name, %s, $.config.threshold)", metricName, comparison, metricPath))
	notifySuccess := obs.notify(this, "NotifyRegistered", "ML pipeline: model registered ("+props.Name+")",
		fmt.Sprintf("States.Format('Execution {}: model version {} registered (%s), %s = {}.', $$.Execution.Name, $.registered.ModelPackageArn, %s)", approval, metricName, metricPath))
	gate := sfn.NewChoice(this, jsii.String("QualityGate"), &sfn.ChoiceProps{
		Comment: jsii.String(fmt.Sprintf("Passes when %s is %s the threshold.", metricName, map[bool]string{false: "at most", true: "at least"}[props.GateHigherIsBetter])),
	})
	succeeded := sfn.NewSucceed(this, jsii.String("Succeeded"), nil)

	failure := obs.failurePath(this, props.Name+" training")
	catch := &sfn.CatchProps{ResultPath: jsii.String("$.error")}
	for _, task := range []interface {
		AddCatch(sfn.IChainable, *sfn.CatchProps) sfn.TaskStateBase
	}{readEvaluation, register} {
		task.AddCatch(failure, catch)
	}
	preprocess.AddCatch(failure, catch)
	train.AddCatch(failure, catch)
	evaluate.AddCatch(failure, catch)
	notifyRejected.AddCatch(rejected, &sfn.CatchProps{ResultPath: jsii.String("$.notifyError")})
	notifySuccess.AddCatch(failure, catch)

	// The merged config is checked before any job runs: the gate compares
	// numbers only, and a threshold of another type would otherwise run the
	// whole pipeline to reject the model with a contradictory cause.
	// IsString, IsBoolean, IsNull and IsNumeric are the type tests of the
	// Choice state ("Choice workflow state", AWS Step Functions Developer
	// Guide, https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html).
	const threshold = "$.config.threshold"
	example := strconv.FormatFloat(props.GateThreshold, 'g', -1, 64)
	invalidThreshold := func(id, what string) sfn.IChainable {
		cause := fmt.Sprintf("The execution input field threshold is %s; valid: a number, such as %s.", what, example)
		params := map[string]any{"Error": InvalidInputError, "Cause": cause}
		if strings.Contains(what, "{}") {
			delete(params, "Cause")
			params["Cause.$"] = fmt.Sprintf("States.Format('%s', States.JsonToString(%s))", cause, threshold)
		}
		return sfn.NewPass(this, jsii.String(id), &sfn.PassProps{
			Comment:    jsii.String("The gate's threshold must be a number."),
			Parameters: &params,
			ResultPath: jsii.String("$.error"),
		}).Next(failure)
	}
	// A field the pipeline does not read, such as the typo treshold,
	// would otherwise be ignored and the run gated by the default.
	unknownField := sfn.NewPass(this, jsii.String("UnknownInputField"), &sfn.PassProps{
		Comment: jsii.String("The execution input may only have the fields the pipeline reads."),
		Parameters: &map[string]any{
			"Error": InvalidInputError,
			"Cause.$": fmt.Sprintf("States.Format('The execution input {} has a field other than threshold, which the pipeline does not read; "+
				"valid: an object with at most the field threshold, a number such as %s.', States.JsonToString($$.Execution.Input))", example),
		},
		ResultPath: jsii.String("$.error"),
	}).Next(failure)
	badName, invalidName := checkExecutionName(this, failure)
	validate := sfn.NewChoice(this, jsii.String("ValidateInput"), &sfn.ChoiceProps{
		Comment: jsii.String("Fails the execution before any job runs when its name or its input cannot run the pipeline."),
	})
	validate.
		When(badName, invalidName, nil).
		When(sfn.Condition_Not(sfn.Condition_StringEqualsJsonPath(jsii.String("$.inputFields.given"), jsii.String("$.inputFields.known"))), unknownField, nil).
		When(sfn.Condition_IsString(jsii.String(threshold)), invalidThreshold("ThresholdIsAString", "the string {}"), nil).
		When(sfn.Condition_IsBoolean(jsii.String(threshold)), invalidThreshold("ThresholdIsABoolean", "the boolean {}"), nil).
		When(sfn.Condition_IsNull(jsii.String(threshold)), invalidThreshold("ThresholdIsNull", "null"), nil).
		When(sfn.Condition_Not(sfn.Condition_IsNumeric(jsii.String(threshold))), invalidThreshold("ThresholdIsNotANumber", "the object or array {}"), nil)

	definition := defaults.
		Next(configure).
		Next(validate.Otherwise(preprocess.
			Next(train).
			Next(evaluate).
			Next(readEvaluation).
			Next(gate.
				When(pass, register.Next(notifySuccess).Next(succeeded), nil).
				Otherwise(notifyRejected.Next(rejected)))))
	timeout := awscdk.Duration_Hours(jsii.Number(24))
	sm := obs.stateMachine(this, name, role, definition, timeout)
	return &trainingPipeline{Construct: this, sm: sm, group: groupName, topic: obs.topic}
}

// outputs returns one processing output per name, each from a folder of
// root to the state input's $.uris.<name>.
func outputs(root string, names ...string) []sagemakerjob.Output {
	out := make([]sagemakerjob.Output, len(names))
	for i, n := range names {
		out[i] = sagemakerjob.Output{Name: n, S3UriPath: "$.uris." + n, LocalPath: root + "/" + n}
	}
	return out
}
