package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/mlpipeline-go/mlpipeline/constructs/images"
	"github.com/mlpipeline-go/mlpipeline/constructs/network"
	"github.com/mlpipeline-go/mlpipeline/constructs/pipeline"
	"github.com/mlpipeline-go/mlpipeline/constructs/roles"
	"github.com/mlpipeline-go/mlpipeline/constructs/storage"
)

// StackName returns the name, and construct ID, of an environment's stack.
func StackName(env string) string { return "MlPipeline-" + env }

// NewPipelineStack defines the stack of one environment: every resource of
// the pipeline, tagged with the environment's name and tags.
func NewPipelineStack(scope constructs.Construct, env Environment) awscdk.Stack {
	tags := map[string]*string{"environment": jsii.String(env.Name)}
	for k, v := range env.Tags {
		tags[k] = jsii.String(v)
	}
	props := &awscdk.StackProps{
		StackName:   jsii.String(StackName(env.Name)),
		Description: jsii.String(fmt.Sprintf("ML pipeline (%s): storage, job image, roles, training and inference state machines.", env.Name)),
		Tags:        &tags,
	}
	if env.Account != "" || env.Region != "" {
		props.Env = &awscdk.Environment{Account: optional(env.Account), Region: optional(env.Region)}
	}
	stack := awscdk.NewStack(scope, jsii.String(StackName(env.Name)), props)
	// Stack tags reach resources only at deploy time; tagging the resources
	// too puts the tags into the template, where tests and reviewers see them.
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		awscdk.Tags_Of(stack).Add(jsii.String(k), tags[k], nil)
	}

	removal := removalPolicy(env.RemovalPolicy)
	store := storage.NewStorage(stack, "Storage", &storage.StorageProps{RemovalPolicy: removal})
	image := images.NewJobImage(stack, "JobImage", nil)
	retention := retentionDays[slices.Index(logRetentionDays, env.LogRetentionDays)]
	roleProps := &roles.SageMakerRoleProps{Storage: store, Image: image}
	var security pipeline.JobSecurity
	if env.Security.Enabled {
		net := newJobNetwork(stack, env.Security, store, retention, removal)
		roleProps.Vpc, roleProps.Subnets = net.Vpc(), net.Subnets()
		roleProps.SecurityGroups = []awsec2.ISecurityGroup{net.SecurityGroup()}
		roleProps.VolumeKmsKey = store.Key()
		security = pipeline.JobSecurity{
			Subnets:          net.Subnets(),
			SecurityGroups:   roleProps.SecurityGroups,
			NetworkIsolation: true,
			VolumeKmsKey:     store.Key(),
		}
	}
	jobRole := roles.NewSageMakerRole(stack, "JobRole", roleProps)
	topic := pipeline.NewTopic(stack, "Notifications", store.Key())
	if env.NotificationEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(env.NotificationEmail), nil))
	}
	observability := pipeline.ObservabilityProps{
		Topic:         topic,
		EncryptionKey: store.Key(),
		LogRetention:  retention,
		RemovalPolicy: removal,
	}
	name := "mlp-" + env.Name
	training := pipeline.NewTrainingPipeline(stack, "Training", &pipeline.TrainingPipelineProps{
		ObservabilityProps: observability,
		Name:               name,
		Storage:            store,
		Image:              image,
		JobRole:            jobRole.Role(),
		Preprocess:         jobResources(env.Jobs[Preprocess]),
		Train:              jobResources(env.Jobs[Train]),
		Evaluate:           jobResources(env.Jobs[Evaluate]),
		Hyperparameters:    env.Hyperparameters,
		GateMetric:         env.QualityGate.Key(),
		GateThreshold:      env.QualityGate.Threshold,
		GateHigherIsBetter: env.QualityGate.HigherIsBetter(),
		ManualApproval:     env.ManualApproval,
		Security:           security,
	})
	inference := pipeline.NewInferencePipeline(stack, "Inference", &pipeline.InferencePipelineProps{
		ObservabilityProps:    observability,
		Name:                  name,
		Storage:               store,
		Image:                 image,
		JobRole:               jobRole.Role(),
		ModelPackageGroupName: training.ModelPackageGroupName(),
		Infer:                 jobResources(env.Jobs[Infer]),
		Security:              security,
		Attributions:          env.InferenceAttributions,
	})
	pipeline.NewSchedules(stack, "Schedules", &pipeline.SchedulesProps{
		Training:           training.StateMachine(),
		Inference:          inference.StateMachine(),
		RetrainingSchedule: env.Schedules.Retraining,
		InferenceSchedule:  env.Schedules.Inference,
	})
	if env.Security.Enabled {
		// Only the pipeline's roles and the admin role reach the data: the
		// jobs, and the training state machine reading evaluation.json.
		store.RestrictAccess([]awsiam.IRole{jobRole.Role(), training.StateMachine().Role(), adminRole(stack, env.Security.AdminRole)})
	}
	suppressNagFindings(stack)
	return stack
}

// newJobNetwork defines the private network of the jobs: a new VPC, or the
// configured one described without a lookup, so synth needs no AWS access.
func newJobNetwork(stack awscdk.Stack, sec Security, store storage.Storage, retention awslogs.RetentionDays, removal awscdk.RemovalPolicy) network.JobNetwork {
	props := &network.JobNetworkProps{EncryptionKey: store.Key(), FlowLogRetention: retention, RemovalPolicy: removal}
	if v := sec.Vpc; v != nil {
		attrs := &awsec2.VpcAttributes{
			VpcId:             jsii.String(v.ID),
			VpcCidrBlock:      jsii.String(v.CidrBlock),
			AvailabilityZones: jsii.Strings(v.AvailabilityZones...),
			IsolatedSubnetIds: jsii.Strings(v.SubnetIDs...),
		}
		if len(v.RouteTableIDs) > 0 {
			attrs.IsolatedSubnetRouteTableIds = jsii.Strings(v.RouteTableIDs...)
		}
		props.Vpc = awsec2.Vpc_FromVpcAttributes(stack, jsii.String("Vpc"), attrs)
		props.SkipEndpoints = !v.CreateEndpoints
	}
	return network.NewJobNetwork(stack, "Network", props)
}

// adminRole returns the configured admin role: an ARN as given, or a name
// in the stack's account.
func adminRole(stack awscdk.Stack, role string) awsiam.IRole {
	if strings.HasPrefix(role, "arn:") {
		return awsiam.Role_FromRoleArn(stack, jsii.String("AdminRole"), jsii.String(role), &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(false)})
	}
	return awsiam.Role_FromRoleName(stack, jsii.String("AdminRole"), jsii.String(role), &awsiam.FromRoleNameOptions{Mutable: jsii.Bool(false)})
}

// retentionDays holds the CDK name of each value of logRetentionDays.
var retentionDays = []awslogs.RetentionDays{
	awslogs.RetentionDays_ONE_DAY, awslogs.RetentionDays_THREE_DAYS, awslogs.RetentionDays_FIVE_DAYS,
	awslogs.RetentionDays_ONE_WEEK, awslogs.RetentionDays_TWO_WEEKS, awslogs.RetentionDays_ONE_MONTH,
	awslogs.RetentionDays_TWO_MONTHS, awslogs.RetentionDays_THREE_MONTHS, awslogs.RetentionDays_FOUR_MONTHS,
	awslogs.RetentionDays_FIVE_MONTHS, awslogs.RetentionDays_SIX_MONTHS, awslogs.RetentionDays_ONE_YEAR,
	awslogs.RetentionDays_THIRTEEN_MONTHS, awslogs.RetentionDays_EIGHTEEN_MONTHS, awslogs.RetentionDays_TWO_YEARS,
	awslogs.RetentionDays_THREE_YEARS, awslogs.RetentionDays_FIVE_YEARS, awslogs.RetentionDays_SIX_YEARS,
	awslogs.RetentionDays_SEVEN_YEARS, awslogs.RetentionDays_EIGHT_YEARS, awslogs.RetentionDays_NINE_YEARS,
	awslogs.RetentionDays_TEN_YEARS,
}

func jobResources(r JobResources) pipeline.JobResources {
	return pipeline.JobResources{
		InstanceType:  r.InstanceType,
		InstanceCount: r.InstanceCount,
		VolumeSizeGB:  r.VolumeSizeGB,
		MaxRuntime:    awscdk.Duration_Minutes(jsii.Number(r.MaxRuntime.Minutes())),
	}
}

func removalPolicy(p RemovalPolicy) awscdk.RemovalPolicy {
	if p == Destroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
