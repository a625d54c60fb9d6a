package standin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// processingRequest is the part of SageMaker's CreateProcessingJob request
// the local run uses.
type processingRequest struct {
	ProcessingJobName string
	AppSpecification  struct {
		ImageUri            string
		ContainerEntrypoint []string
		ContainerArguments  []string
	}
	ProcessingInputs []struct {
		InputName string
		S3Input   *struct {
			S3Uri                  string
			LocalPath              string
			S3DataType             string
			S3InputMode            string
			S3DataDistributionType string
		}
	}
	ProcessingOutputConfig struct {
		Outputs []struct {
			OutputName string
			S3Output   *struct {
				S3Uri        string
				LocalPath    string
				S3UploadMode string
			}
		}
	}
	ProcessingResources struct {
		ClusterConfig struct {
			InstanceCount int
			InstanceType  string
		}
	}
	StoppingCondition struct {
		MaxRuntimeInSeconds int
	}
	Environment stringMap
}

// processingInput and processingOutput are validated inputs and outputs:
// an S3 URI and the path relative to the job root.
type processingInput struct {
	uri, rel, distribution string
}

type processingOutput struct {
	uri, rel string
}

// processingRel maps a ProcessingInput's or ProcessingOutput's LocalPath to
// a path relative to the job root. SageMaker requires these paths to begin
// with /opt/ml/processing/ ("How Amazon SageMaker Processing Configures
// Input and Output For Your Processing Container").
func processingRel(localPath string) (string, error) {
	rel, err := containerRel(localPath)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(rel, "processing/") {
		return "", fmt.Errorf("local path %q is not below %s/processing/", localPath, containerRoot)
	}
	return rel, nil
}

// notUTF8 is the failure reason of a processing job whose
// /opt/ml/output/message is not UTF-8 text: "If the data in this file isn't
// UTF-8 encoded, the job fails and returns a ClientError" ("Save and Access
// Metadata Information About Your Processing Job").
const notUTF8 = "ClientError: /opt/ml/output/message is not UTF-8 encoded text"

// exitMessage returns the ExitMessage of a processing job whose instances
// all succeeded: the /opt/ml/output/message files of its instances, in host
// order, concatenated and cut to 1 KB, as the page cited at notUTF8 says.
// A message that is not UTF-8 fails the job.
func exitMessage(j *job) (string, error) {
	var msg []byte
	for i := range j.hosts {
		b, err := os.ReadFile(filepath.Join(j.root(i), filepath.FromSlash(j.failureFile)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if !utf8.Valid(b) {
			return "", j.failed(notUTF8)
		}
		msg = append(msg, b...)
	}
	return truncate(string(msg), maxFailureReason), nil
}

// processingJob runs a processing job: one process per instance, inputs
// downloaded before, outputs uploaded after all instances succeeded. Every
// instance's output files are uploaded, instance by instance; a relative
// name two instances both write ends up with the last instance's file, which
// suits the pipeline's jobs, whose outputs are named after their inputs.
func (s *service) processingJob(ctx context.Context, call Call) (any, error) {
	const svc = "SageMaker"
	if err := s.needStore(); err != nil {
		return nil, err
	}
	var req processingRequest
	if err := decodeParams(svc, call.Parameters, &req); err != nil {
		return nil, err
	}
	if !jobNamePattern.MatchString(req.ProcessingJobName) {
		return nil, validation(svc, "ProcessingJobName %q does not match %s", req.ProcessingJobName, jobNamePattern)
	}
	n, err := instanceCount(svc, "ProcessingResources.ClusterConfig.InstanceCount", req.ProcessingResources.ClusterConfig.InstanceCount)
	if err != nil {
		return nil, err
	}
	limit, seconds, err := maxRuntime(svc, req.StoppingCondition.MaxRuntimeInSeconds)
	if err != nil {
		return nil, err
	}
	if len(req.AppSpecification.ContainerEntrypoint) == 0 {
		// The image's own entrypoint is unknown locally.
		return nil, validation(svc, "AppSpecification.ContainerEntrypoint is required by the local run: it selects the local executable")
	}
	var inputs []processingInput
	for i, in := range req.ProcessingInputs {
		field := fmt.Sprintf("ProcessingInputs[%d]", i)
		if !channelNamePattern.MatchString(in.InputName) {
			return nil, validation(svc, "%s: invalid InputName %q", field, in.InputName)
		}
		if in.S3Input == nil {
			return nil, validation(svc, "%s: only S3Input is supported by the local run", field)
		}
		if err := checkDataType(svc, field, in.S3Input.S3DataType); err != nil {
			return nil, err
		}
		dist, err := checkDistribution(svc, field, in.S3Input.S3DataDistributionType)
		if err != nil {
			return nil, err
		}
		if _, _, err := ParseS3URI(in.S3Input.S3Uri); err != nil {
			return nil, validation(svc, "%s: %v", field, err)
		}
		rel, err := processingRel(in.S3Input.LocalPath)
		if err != nil {
			return nil, validation(svc, "%s: %v", field, err)
		}
		inputs = append(inputs, processingInput{uri: in.S3Input.S3Uri, rel: rel, distribution: dist})
	}
	var outputs []processingOutput
	for i, out := range req.ProcessingOutputConfig.Outputs {
		field := fmt.Sprintf("ProcessingOutputConfig.Outputs[%d]", i)
		if out.S3Output == nil {
			return nil, validation(svc, "%s: only S3Output is supported by the local run", field)
		}
		if _, _, err := ParseS3URI(out.S3Output.S3Uri); err != nil {
			return nil, validation(svc, "%s: %v", field, err)
		}
		rel, err := processingRel(out.S3Output.LocalPath)
		if err != nil {
			return nil, validation(svc, "%s: %v", field, err)
		}
		outputs = append(outputs, processingOutput{uri: out.S3Output.S3Uri, rel: rel})
	}

	dir, err := s.createJobDir(req.ProcessingJobName)
	if err != nil {
		return nil, err
	}
	j := &job{
		kind:        "Processing",
		name:        req.ProcessingJobName,
		dir:         dir,
		hosts:       hostNames(n),
		failureFile: "output/message",
		maxRuntime:  limit,
		maxSeconds:  seconds,
		// "docker run --entrypoint [ContainerEntrypoint] [ImageUri]
		// [ContainerArguments]" ("How Amazon SageMaker Processing Runs Your
		// Processing Container Image"): the entrypoint's own arguments come
		// first.
		args: append(slices.Clone(req.AppSpecification.ContainerEntrypoint[1:]), req.AppSpecification.ContainerArguments...),
		env:  envList(req.Environment),
	}
	j.call, j.settings = call, settings("Processing", paramsMap(call.Parameters))
	s.recordCreateJob(call, j.settings)
	if j.bin, err = s.binary(j, req.AppSpecification.ContainerEntrypoint[0]); err != nil {
		return nil, err
	}
	// The layout and its sources: layout.go.
	jobConfig, err := processingJobConfig(call.Parameters, j.arn(), seconds)
	if err != nil {
		return nil, err
	}
	j.readOnly = []string{"config"}
	for i, host := range j.hosts {
		root := j.root(i)
		if err := writeConfig(filepath.Join(root, "config", "resourceconfig.json"), processingResourceConfig{CurrentHost: host, Hosts: j.hosts}); err != nil {
			return nil, err
		}
		if err := writeConfig(filepath.Join(root, "config", "processingjobconfig.json"), jobConfig); err != nil {
			return nil, err
		}
		// SageMaker creates the output directories before the job starts.
		for _, out := range outputs {
			if err := makeDirs(root, out.rel); err != nil {
				return nil, err
			}
		}
	}
	for _, in := range inputs {
		if err := s.downloadInput(j, in.uri, in.distribution, in.rel); err != nil {
			return nil, err
		}
		j.readOnly = append(j.readOnly, in.rel)
	}
	if err := s.run(ctx, j); err != nil {
		return nil, err
	}
	exit, err := exitMessage(j)
	if err != nil {
		return nil, err
	}
	for _, out := range outputs {
		for i := range j.hosts {
			stored, err := s.cfg.Store.upload(filepath.Join(j.root(i), filepath.FromSlash(out.rel)), out.uri)
			s.recordWrite(call, j.settings.role, j.settings.outputKey, stored)
			if err != nil {
				return nil, fmt.Errorf("upload %s of %s: %w", out.uri, j.name, err)
			}
		}
	}
	result := describe(call.Parameters)
	result["ProcessingJobName"] = j.name
	result["ProcessingJobArn"] = j.arn()
	result["ProcessingJobStatus"] = "Completed"
	if exit != "" {
		result["ExitMessage"] = exit
	}
	return result, nil
}
