package cfn

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefinitionsResolveTokens(t *testing.T) {
	template := `{"Resources": {
		"Bucket": {"Type": "AWS::S3::Bucket"},
		"Role": {"Type": "AWS::IAM::Role"},
		"SM": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
			"StateMachineName": "mlp-dev-training",
			"DefinitionString": {"Fn::Join": ["", [
				"{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":\"s3://",
				{"Ref": "Bucket"}, "/x\",\"Comment\":\"",
				{"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/repo"}, " arn:",
				{"Ref": "AWS::Partition"}, " ", {"Fn::GetAtt": ["Role", "Arn"]},
				"\",\"End\":true}}}"]]}}}}}`
	defs, err := Definitions([]byte(template))
	require.NoError(t, err)
	require.Contains(t, defs, "training")
	var doc struct{ States map[string]map[string]any }
	require.NoError(t, json.Unmarshal(defs["training"], &doc))
	assert.Equal(t, "s3://ref-bucket/x", doc.States["A"]["Result"])
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo arn:aws arn:aws:iam::123456789012:role/ref-role", doc.States["A"]["Comment"])

	_, err = Definitions([]byte(`{"Resources": {"SM": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionString": {"Fn::If": []}}}}}`))
	assert.ErrorContains(t, err, "state machine SM: Fn::If is not supported")
}
