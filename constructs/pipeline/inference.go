package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/sagemakerjob"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// InferencePipelineProps configures InferencePipeline.
type InferencePipelineProps struct {
	ObservabilityProps
	// Name prefixes the state machine and job names, e.g. mlp-dev.
	// Required: 1 to 20 lowercase letters, digits or hyphens.
	Name string
	// Storage holds the files to score (inference/) and receives the
	// predictions (predictions/<execution name>/). Required.
	Storage storage.Storage
	// Image holds the job binaries. Required.
	Image images.JobImage
	// JobRole is the SageMaker execution role of the job. Required.
	JobRole awsiam.IRole
	// ModelPackageGroupName is the model registry group whose latest
	// approved version scores the data. Required.
	ModelPackageGroupName *string
	// Infer is the compute of the batch inference job; its instance count
	// shards the input files across instances. Default: see JobResources.
	Infer JobResources
	// Security hardens the inference job. Default: see JobSecurity.
	Security JobSecurity
	// Attributions adds each row's exact TreeSHAP attributions per schema
	// column to the predictions (the infer job's -attributions).
	// Default: false.
	Attributions bool
}

// validate reports the first prop that NewInferencePipeline cannot honour.
func (p *InferencePipelineProps) validate() error {
	if err := validateName("name", p.Name); err != nil {
		return err
	}
	if p.Storage == nil || p.Image == nil || p.JobRole == nil || p.ModelPackageGroupName == nil {
		return fmt.Errorf("pipeline: storage, image, job role and model package group name are required")
	}
	return p.Security.validate()
}

// InferencePipeline is the batch inference state machine: find the latest
// approved model version, score the input as a processing job over N
// instances, notify.
type InferencePipeline interface {
	constructs.Construct
	// StateMachine returns the state machine.
	StateMachine() sfn.StateMachine
	// Topic returns the notification topic.
	Topic() awssns.ITopic
}

type inferencePipeline struct {
	constructs.Construct
	sm    sfn.StateMachine
	topic awssns.ITopic
}

func (p *inferencePipeline) StateMachine() sfn.StateMachine { return p.sm }
func (p *inferencePipeline) Topic() awssns.ITopic           { return p.topic }

// NewInferencePipeline defines the inference state machine, its role and
// its observability.
func NewInferencePipeline(scope constructs.Construct, id string, props *InferencePipelineProps) InferencePipeline {
	if err := props.validate(); err != nil {
		panic(err)
	}
	this := constructs.NewConstruct(scope, &id)
	name := props.Name + "-inference"
	obs := newObservability(this, &props.ObservabilityProps, name)
	role := newStateMachineRole(this, "Runs the "+props.Name+" inference state machine.")
	data := props.Storage.DataBucket().BucketName()
	configure := sfn.NewPass(this, jsii.String("Configure"), &sfn.PassProps{
		Comment: jsii.String("Names this run's input and output locations."),
		Parameters: &map[string]any{
			"run.$": "$$.Execution.Name",
			"uris": map[string]any{
				"input":    fmt.Sprintf("s3://%s/%s", *data, storage.PrefixInference),
				"output.$": fmt.Sprintf("States.Format('s3://%s/%s{}/', $$.Execution.Name)", *data, storage.PrefixPredictions),
			},
		},
	})

	packages := modelPackageArns(this, props.ModelPackageGroupName)
	findModel := awsstepfunctionstasks.NewCallAwsService(this, jsii.String("FindModel"), &awsstepfunctionstasks.CallAwsServiceProps{
		Comment:   jsii.String("Lists the latest approved model version."),
		Service:   jsii.String("sagemaker"),
		Action:    jsii.String("listModelPackages"),
		IamAction: jsii.String("sagemaker:ListModelPackages"),
		Parameters: &map[string]any{
			"ModelPackageGroupName": props.ModelPackageGroupName,
			"ModelApprovalStatus":   "Approved",
			"SortBy":                "CreationTime",
			"SortOrder":             "Descending",
			"MaxResults":            1,
		},
		// ListModelPackages is a List call: it names no model package to
		// authorize against, and the reference lists no required resource
		// type for it, so it is granted on "*" (as AWS's managed policy
		// AmazonSageMakerReadOnly does); the group name narrows the call, and
		// DescribeModelPackage below stays scoped to the group's versions.
		// Service Authorization Reference, "Actions, resources, and
		// condition keys for Amazon SageMaker AI":
		// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
		IamResources: jsii.Strings("*"),
		ResultPath:   jsii.String("$.models"),
		TaskTimeout:  taskTimeout(),
	})
	findModel.AddRetry(apiRetry(sageMakerAPIErrors...))
	describeModel := awsstepfunctionstasks.NewCallAwsService(this, jsii.String("DescribeModel"), &awsstepfunctionstasks.CallAwsServiceProps{
		Comment:   jsii.String("Reads where the model version's artifacts are."),
		Service:   jsii.String("sagemaker"),
		Action:    jsii.String("describeModelPackage"),
		IamAction: jsii.String("sagemaker:DescribeModelPackage"),
		Parameters: &map[string]any{
			"ModelPackageName.$": "$.models.ModelPackageSummaryList[0].ModelPackageArn",
		},
		IamResources: jsii.Strings(*packages),
		ResultSelector: &map[string]any{
			"arn.$":          "$.ModelPackageArn",
			"modelDataUrl.$": "$.InferenceSpecification.Containers[0].ModelDataUrl",
		},
		ResultPath:  jsii.String("$.model"),
		TaskTimeout: taskTimeout(),
	})
	describeModel.AddRetry(apiRetry(sageMakerAPIErrors...))

	infer := sagemakerjob.NewProcessingJob(this, "Infer", props.Security.processing(&sagemakerjob.ProcessingJobProps{
		JobNamePrefix:    props.Name + "-infer",
		StateMachineRole: role,
		Role:             props.JobRole,
		ImageUri:         props.Image.ImageUri(),
		Entrypoint:       props.Image.Entrypoint("infer"),
		Arguments:        inferArguments(props.Attributions),
		Inputs: []sagemakerjob.Input{
			{Name: "model", S3UriPath: "$.model.modelDataUrl", LocalPath: "/opt/ml/processing/model"},
			// Each instance gets its own share of the input files.
			{Name: "data", S3UriPath: "$.uris.input", LocalPath: processingInput, Distribution: "ShardedByS3Key"},
		},
		Outputs:      []sagemakerjob.Output{{Name: "predictions", S3UriPath: "$.uris.output", LocalPath: processingOutput}},
		OutputKmsKey: props.Storage.Key(),
		InstanceType: props.Infer.InstanceType, InstanceCount: props.Infer.InstanceCount,
		VolumeSizeGB: props.Infer.VolumeSizeGB, MaxRuntime: props.Infer.MaxRuntime,
	}))

	noModel := sfn.NewFail(this, jsii.String("NoApprovedModel"), &sfn.FailProps{
		Error: jsii.String("NoApprovedModel"),
		Cause: jsii.String(fmt.Sprintf("model package group %s has no approved model version", *props.ModelPackageGroupName)),
	})
	notifyNoModel := obs.notify(this, "NotifyNoModel", "ML pipeline: no approved model ("+props.Name+")",
		fmt.Sprintf("States.Format('Execution {}: model package group %s has no approved model version to score with.', $$.Execution.Name)", *props.ModelPackageGroupName))
	notifyNoModel.AddCatch(noModel, &sfn.CatchProps{ResultPath: jsii.String("$.notifyError")})
	notifyDone := obs.notify(this, "NotifyDone", "ML pipeline: predictions ready ("+props.Name+")",
		"States.Format('Execution {}: predictions by {} are in {}.', $$.Execution.Name, $.model.arn, $.uris.output)")
	succeeded := sfn.NewSucceed(this, jsii.String("Succeeded"), nil)

	failure := obs.failurePath(this, props.Name+" inference")
	catch := &sfn.CatchProps{ResultPath: jsii.String("$.error")}
	findModel.AddCatch(failure, catch)
	describeModel.AddCatch(failure, catch)
	infer.AddCatch(failure, catch)
	notifyDone.AddCatch(failure, catch)

	hasModel := sfn.NewChoice(this, jsii.String("HasApprovedModel"), nil)
	badName, invalidName := checkExecutionName(this, failure)
	validate := sfn.NewChoice(this, jsii.String("ValidateInput"), &sfn.ChoiceProps{
		Comment: jsii.String("Fails the execution before the job runs when its name cannot run the pipeline."),
	})
	definition := configure.
		Next(validate.
			When(badName, invalidName, nil).
			Otherwise(findModel.
				Next(hasModel.
					When(sfn.Condition_IsPresent(jsii.String("$.models.ModelPackageSummaryList[0]")),
						describeModel.Next(infer).Next(notifyDone).Next(succeeded), nil).
					Otherwise(notifyNoModel.Next(noModel)))))
	sm := obs.stateMachine(this, name, role, definition, awscdk.Duration_Hours(jsii.Number(24)))
	return &inferencePipeline{Construct: this, sm: sm, topic: obs.topic}
}

// inferArguments returns the infer job's arguments.
func inferArguments(attributions bool) []string {
	if attributions {
		return []string{"-attributions"}
	}
	return nil
}
