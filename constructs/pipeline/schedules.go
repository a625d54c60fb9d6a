package pipeline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SchedulesProps configures Schedules.
type SchedulesProps struct {
	// Training and Inference are the state machines to start. Required.
	Training, Inference sfn.IStateMachine
	// RetrainingSchedule and InferenceSchedule are EventBridge schedule
	// expressions ("rate(1 day)", "cron(0 6 * * ? *)"). Default: "", no
	// schedule: the state machine runs only when started.
	RetrainingSchedule, InferenceSchedule string
}

// Schedules starts the state machines on EventBridge schedules, as a role
// that may start these two state machines and nothing else.
type Schedules interface {
	constructs.Construct
	// Role returns the role EventBridge starts executions as.
	Role() awsiam.IRole
}

type schedules struct {
	constructs.Construct
	role awsiam.IRole
}

func (s *schedules) Role() awsiam.IRole { return s.role }

// NewSchedules defines a rule per configured schedule and the role they use.
func NewSchedules(scope constructs.Construct, id string, props *SchedulesProps) Schedules {
	this := constructs.NewConstruct(scope, &id)
	// EventBridge names the account and the rule it acts for; the trust
	// allows only this account's rules, so no other account's rule can
	// start our state machines through the role (EventBridge User Guide,
	// "Cross-service confused deputy prevention").
	stack := awscdk.Stack_Of(this)
	events := awsiam.NewPrincipalWithConditions(awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), &map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("events"), Resource: jsii.String("rule"), ResourceName: jsii.String("*"),
		})},
	})
	role := awsiam.NewRole(this, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   events,
		Description: jsii.String("Starts the ML pipeline's state machines on schedule."),
	})
	props.Training.GrantStartExecution(role)
	props.Inference.GrantStartExecution(role)
	for _, s := range []struct {
		id, expr string
		target   sfn.IStateMachine
	}{{"Retraining", props.RetrainingSchedule, props.Training}, {"Inference", props.InferenceSchedule, props.Inference}} {
		if s.expr == "" {
			continue
		}
		awsevents.NewRule(this, jsii.String(s.id), &awsevents.RuleProps{
			Description: jsii.String("Starts the " + s.id + " state machine."),
			Schedule:    awsevents.Schedule_Expression(jsii.String(s.expr)),
			// Without an input the target would pass the scheduled event,
			// whose fields the training state machine rejects as unknown:
			// a scheduled run is a run with the documented empty input.
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(s.target, &awseventstargets.SfnStateMachineProps{
				Role:  role,
				Input: awsevents.RuleTargetInput_FromObject(map[string]any{}),
			})},
		})
	}
	return &schedules{Construct: this, role: role}
}
